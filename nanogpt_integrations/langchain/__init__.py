"""LangChain integration: chat model, text LLM, cost callback, web-search retriever/tool, embeddings.

Names load lazily so that importing one piece does not import the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .callbacks import NanoGPTCallbackHandler, get_nanogpt_callback
    from .chat_models import ChatNanoGPT
    from .embeddings import NanoGPTEmbeddings
    from .llms import NanoGPT
    from .retrievers import NanoGPTWebSearchRetriever
    from .tools import NanoGPTWebSearchTool

__all__ = [
    "ChatNanoGPT",
    "NanoGPT",
    "NanoGPTCallbackHandler",
    "NanoGPTEmbeddings",
    "NanoGPTWebSearchRetriever",
    "NanoGPTWebSearchTool",
    "get_nanogpt_callback",
]

_LAZY = {
    "ChatNanoGPT": ".chat_models",
    "NanoGPT": ".llms",
    "NanoGPTCallbackHandler": ".callbacks",
    "get_nanogpt_callback": ".callbacks",
    "NanoGPTWebSearchRetriever": ".retrievers",
    "NanoGPTWebSearchTool": ".tools",
    "NanoGPTEmbeddings": ".embeddings",
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
