"""LangChain integration: chat model (and its Batch API jobs), text LLM, cost callback, web-search
retriever/tool, embeddings.

Names load lazily so that importing one piece does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover
    from ._batch_job import NanoGPTBatchJob, abatch_submit, batch_submit
    from .callbacks import NanoGPTCallbackHandler, get_nanogpt_callback
    from .chat_models import ChatNanoGPT
    from .embeddings import NanoGPTEmbeddings
    from .llms import NanoGPT
    from .retrievers import NanoGPTWebSearchRetriever
    from .tools import NanoGPTWebSearchTool

__all__ = [
    "ChatNanoGPT",
    "NanoGPT",
    "NanoGPTBatchJob",
    "NanoGPTCallbackHandler",
    "NanoGPTEmbeddings",
    "NanoGPTWebSearchRetriever",
    "NanoGPTWebSearchTool",
    "abatch_submit",
    "batch_submit",
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
    "NanoGPTBatchJob": "._batch_job",
    "batch_submit": "._batch_job",
    "abatch_submit": "._batch_job",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
