"""NanoGPT for LangChain and LlamaIndex.

``import nanogpt_integrations`` stays light: the framework adapters are imported on first use of
their names, so neither framework is imported unless you use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .core import AsyncNanoGPTClient, NanoGPTClient, NanoGPTError

__all__ = [
    "AsyncNanoGPTClient",
    "ChatNanoGPT",
    "NanoGPT",
    "NanoGPTClient",
    "NanoGPTEmbedding",
    "NanoGPTEmbeddings",
    "NanoGPTError",
    "NanoGPTLLM",
    "NanoGPTWebSearchTool",
    "__version__",
    "get_nanogpt_callback",
]

# name -> module that defines it. The retrievers exist once per framework under the same name
# (nanogpt_integrations.langchain / .llama_index), so they are not re-exported here.
_LAZY = {
    "NanoGPTClient": "nanogpt_integrations.core",
    "AsyncNanoGPTClient": "nanogpt_integrations.core",
    "NanoGPTError": "nanogpt_integrations.core",
    "ChatNanoGPT": "nanogpt_integrations.langchain",
    "NanoGPT": "nanogpt_integrations.langchain",
    "get_nanogpt_callback": "nanogpt_integrations.langchain",
    "NanoGPTEmbeddings": "nanogpt_integrations.langchain",
    "NanoGPTWebSearchTool": "nanogpt_integrations.langchain",
    "NanoGPTLLM": "nanogpt_integrations.llama_index",
    "NanoGPTEmbedding": "nanogpt_integrations.llama_index",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nanogpt_integrations' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
