"""LlamaIndex integration: the NanoGPTLLM, web-search retriever and tool spec, embeddings.

Names load lazily so that importing one piece does not import the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .embeddings import NanoGPTEmbedding
    from .llms import NanoGPTLLM
    from .retrievers import NanoGPTWebSearchRetriever
    from .tools import NanoGPTWebSearchToolSpec

__all__ = ["NanoGPTEmbedding", "NanoGPTLLM", "NanoGPTWebSearchRetriever", "NanoGPTWebSearchToolSpec"]

_LAZY = {
    "NanoGPTLLM": ".llms",
    "NanoGPTWebSearchRetriever": ".retrievers",
    "NanoGPTWebSearchToolSpec": ".tools",
    "NanoGPTEmbedding": ".embeddings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
