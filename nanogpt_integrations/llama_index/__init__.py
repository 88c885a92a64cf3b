"""LlamaIndex integration: the NanoGPTLLM (and its Batch API jobs), web-search retriever and tool
spec, embeddings.

Names load lazily so that importing one piece does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # pragma: no cover
    from ._batch import NanoGPTBatchJob
    from .embeddings import NanoGPTEmbedding
    from .llms import NanoGPTLLM
    from .retrievers import NanoGPTWebSearchRetriever
    from .tools import NanoGPTWebSearchToolSpec

__all__ = [
    "NanoGPTBatchJob",
    "NanoGPTEmbedding",
    "NanoGPTLLM",
    "NanoGPTWebSearchRetriever",
    "NanoGPTWebSearchToolSpec",
]

_LAZY = {
    "NanoGPTLLM": ".llms",
    "NanoGPTWebSearchRetriever": ".retrievers",
    "NanoGPTWebSearchToolSpec": ".tools",
    "NanoGPTEmbedding": ".embeddings",
    "NanoGPTBatchJob": "._batch",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
