"""``NanoGPTEmbeddings``: NanoGPT ``/v1/embeddings`` as LangChain ``Embeddings``."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from langchain_core.utils import from_env, secret_from_env
from pydantic import ConfigDict, Field, SecretStr

from ..core import MAX_EMBEDDING_BATCH
from ..core.lazy import LazyClients, OwnsClients
from ..core.search_records import DEFAULT_EMBEDDING_MODEL

__all__ = ["NanoGPTEmbeddings"]


class NanoGPTEmbeddings(OwnsClients, Embeddings):
    """Embeddings through NanoGPT (``text-embedding-3-small`` by default).

    Inputs are sent in batches of at most ``batch_size`` (≤ 2048, the API's limit); the vectors
    come back in input order. Sync methods use a pooled client, async ones a native async client;
    ``http_client`` / ``http_async_client`` take your own httpx clients (never closed here).

    >>> embeddings = NanoGPTEmbeddings(model="text-embedding-3-large", dimensions=256)  # doctest: +SKIP
    >>> embeddings.embed_query("hello")  # doctest: +SKIP
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=(), hide_input_in_errors=True)

    model: str = DEFAULT_EMBEDDING_MODEL
    """Embedding model ID (see ``/api/v1/embedding-models``)."""
    dimensions: int | None = Field(default=None, ge=1)
    """Output dimensions, for models that support shortening (``text-embedding-3-*``)."""
    batch_size: int = Field(default=512, ge=1, le=MAX_EMBEDDING_BATCH)
    """Inputs per request (1 to 2048)."""
    api_key: SecretStr | None = Field(default_factory=secret_from_env("NANOGPT_API_KEY", default=None))
    """NanoGPT API key; defaults to ``NANOGPT_API_KEY``."""
    base_url: str | None = Field(default_factory=from_env("NANOGPT_BASE_URL", default=None))
    """API base URL (``.../api/v1``); defaults to ``NANOGPT_BASE_URL``, then the public API."""
    timeout: float | None = None
    max_retries: int = Field(default=2, ge=0)

    @property
    def clients(self) -> LazyClients:
        """This instance's core clients for the current connection settings (see ``core.lazy``)."""
        return self._owned_clients(self.api_key, self.base_url, self.timeout, self.max_retries)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts``, batching requests; an empty list sends nothing."""
        return self.clients.sync.embed(
            texts, model=self.model, dimensions=self.dimensions, batch_size=self.batch_size
        )

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await self.clients.async_.embed(
            texts, model=self.model, dimensions=self.dimensions, batch_size=self.batch_size
        )

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
