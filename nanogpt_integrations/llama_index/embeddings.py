"""``NanoGPTEmbedding``: NanoGPT ``/v1/embeddings`` as a LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field, SecretStr

from ..core import MAX_EMBEDDING_BATCH
from ..core.lazy import LazyClients, OwnsClients
from ..core.search_records import DEFAULT_EMBEDDING_MODEL

__all__ = ["NanoGPTEmbedding"]


class NanoGPTEmbedding(OwnsClients, BaseEmbedding):
    """Embeddings through NanoGPT (``text-embedding-3-small`` by default), sync and async.

    LlamaIndex splits inputs into ``embed_batch_size`` chunks (≤ 2048, the API's limit); each
    chunk is one request. The API key (``NANOGPT_API_KEY`` by default) is never in ``to_dict()``;
    ``http_client`` / ``http_async_client`` take your own httpx clients (never closed here).

    >>> embed_model = NanoGPTEmbedding(model_name="text-embedding-3-large", dimensions=256)  # doctest: +SKIP
    """

    model_name: str = Field(default=DEFAULT_EMBEDDING_MODEL, description="Embedding model ID.")
    embed_batch_size: int = Field(
        default=512, gt=0, le=MAX_EMBEDDING_BATCH, description="Inputs per request."
    )
    dimensions: int | None = Field(default=None, ge=1, description="Output dimensions, where supported.")
    api_key: SecretStr | None = Field(default=None, exclude=True, description="Defaults to NANOGPT_API_KEY.")
    api_base: str | None = Field(default=None, description="Defaults to NANOGPT_BASE_URL.")
    timeout: float | None = Field(default=None, description="Seconds per request.")
    max_retries: int = Field(default=2, ge=0, description="Retries of transient failures.")

    def __init__(self, **data: Any) -> None:
        if "base_url" in data:  # the name the other NanoGPT classes also accept
            data["api_base"] = data.get("api_base") or data.pop("base_url")
            data.pop("base_url", None)
        super().__init__(**data)

    def _lazy_clients(self) -> LazyClients:
        """This instance's own clients for the current settings (``core.lazy``)."""
        return self._owned_clients(self.api_key, self.api_base, self.timeout, self.max_retries)

    @classmethod
    def class_name(cls) -> str:
        return "NanoGPTEmbedding"

    def _embed(self, texts: list[str]) -> list[Embedding]:
        return self._lazy_clients().sync.embed(
            texts, model=self.model_name, dimensions=self.dimensions, batch_size=self.embed_batch_size
        )

    async def _aembed(self, texts: list[str]) -> list[Embedding]:
        return await self._lazy_clients().async_.embed(
            texts, model=self.model_name, dimensions=self.dimensions, batch_size=self.embed_batch_size
        )

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aembed([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self._aembed(texts)
