"""What the LangChain retriever and tool share: search settings, lazy clients, records → Documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from langchain_core.documents import Document
from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from .._fast_models import ValidatedTemplate
from ..core.lazy import LazyClients, OwnsClients
from ..core.search_records import (
    SearchRecord,
    check_k,
    check_search_options,
    plan_search,
    search_records,
)
from ..core.web_search import SearchDepth, SearchOutputType, SearchProvider

__all__ = ["NanoGPTSearchSettings", "to_documents"]


class NanoGPTSearchSettings(OwnsClients):
    """Connection and search options of ``/api/web``; validated at construction.

    A mixin for pydantic LangChain classes: each instance builds its own clients on first use
    (``core.lazy``; or uses ``http_client`` / ``http_async_client`` if given), never serialised,
    and the key is a ``SecretStr`` read from ``NANOGPT_API_KEY`` when not given.
    """

    model_config = ConfigDict(populate_by_name=True, hide_input_in_errors=True)

    api_key: SecretStr | None = Field(default_factory=secret_from_env("NANOGPT_API_KEY", default=None))
    """NanoGPT API key; defaults to ``NANOGPT_API_KEY``."""
    base_url: str | None = Field(default_factory=from_env("NANOGPT_BASE_URL", default=None))
    """API base URL (``.../api/v1``); defaults to ``NANOGPT_BASE_URL``, then the public API."""
    k: int | None = None
    """How many documents to return at most; None keeps all the provider returned."""
    provider: SearchProvider = "linkup"
    """Search provider; only ``linkup`` supports ``sourcedAnswer`` and ``structured``."""
    depth: SearchDepth = "standard"
    output_type: SearchOutputType = "searchResults"
    structured_output_schema: dict[str, Any] | type[BaseModel] | None = None
    """JSON schema or pydantic model for ``output_type="structured"`` (sent as a JSON string)."""
    include_images: bool = False
    from_date: dt.date | str | None = None
    """Earliest publication date: a ``date`` or ``YYYY-MM-DD``."""
    to_date: dt.date | str | None = None
    """Latest publication date: a ``date`` or ``YYYY-MM-DD``."""
    include_domains: list[str] | None = None
    exclude_domains: list[str] | None = None
    timeout: float | None = None
    """Seconds per request; None uses the client default."""
    max_retries: int = 2
    """Retries of transient failures (done once, in the core client)."""

    @model_validator(mode="after")
    def _check_options(self) -> NanoGPTSearchSettings:
        check_k(self.k)
        request = check_search_options(**self._search_options())
        self.from_date, self.to_date = request.from_date, request.to_date
        return self

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "NANOGPT_API_KEY"}

    def _search_options(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "depth": self.depth,
            "output_type": self.output_type,
            "structured_output_schema": self.structured_output_schema,
            "include_images": self.include_images,
            "from_date": self.from_date,
            "to_date": self.to_date,
            "include_domains": self.include_domains,
            "exclude_domains": self.exclude_domains,
        }

    @property
    def clients(self) -> LazyClients:
        """This instance's core clients for the current connection settings (see ``core.lazy``)."""
        return self._owned_clients(self.api_key, self.base_url, self.timeout, self.max_retries)

    def _search(self, query: str, k: int | None = None, **overrides: Any) -> list[SearchRecord]:
        request, limit = plan_search(query, self._search_options(), k=k, default_k=self.k, **overrides)
        return search_records(self.clients.sync.web_search(request), request, k=limit)

    async def _asearch(self, query: str, k: int | None = None, **overrides: Any) -> list[SearchRecord]:
        request, limit = plan_search(query, self._search_options(), k=k, default_k=self.k, **overrides)
        return search_records(await self.clients.async_.web_search(request), request, k=limit)


#: Documents built as validation builds them, without running it on each one (most of the
#: conversion's cost). The document takes the record's metadata dict itself: records are built
#: per call and handed over, so the shallow copy validation would make only costs time.
_documents = ValidatedTemplate(Document, page_content="t", metadata={"k": "v"}, id="i")


def to_documents(records: list[SearchRecord]) -> list[Document]:
    """One ``Document`` per record, taking the record's metadata; the record id is the document id.

    Equal, field for field, to ``Document(page_content=r.text, metadata=r.metadata, id=r.id)``.
    """
    build = _documents.build
    return [build({"page_content": r.text, "metadata": r.metadata, "id": r.id}) for r in records]
