"""NanoGPT for LangChain and LlamaIndex.

``import nanogpt_integrations`` stays light: the framework adapters are imported on first use of
their names, so neither framework is imported unless you use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
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


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
