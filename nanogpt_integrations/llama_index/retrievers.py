"""``NanoGPTWebSearchRetriever``: NanoGPT's direct web search (``/api/web``) as a LlamaIndex retriever."""

from __future__ import annotations

import datetime as dt
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import BaseModel, SecretStr

from ..core.web_search import SearchDepth, SearchOutputType, SearchProvider
from ._search import WebSearch, to_nodes

__all__ = ["NanoGPTWebSearchRetriever"]


class NanoGPTWebSearchRetriever(BaseRetriever):
    """Web search through NanoGPT (Linkup, Tavily, Exa, Kagi, Perplexity, Valyu, Brave, ...).

    Each result becomes a ``NodeWithScore`` whose ``TextNode`` has a stable id (a hash of the
    query and the URL) and whose score is ``1 / rank`` (1.0 for the top result, then 0.5, 0.333,
    ...): the provider's order, since ``/api/web`` returns no relevance scores. Metadata holds
    ``title``, ``url``, ``source``, ``type``, ``image_url``, ``rank``, ``provider``, ``depth``,
    ``query``, ``timestamp`` (and ``cost`` on the first node); all but ``title``, ``url`` and
    ``date`` are hidden from the LLM and embedding views. ``sourcedAnswer`` gives an answer node
    first, then one node per source; ``structured`` one JSON node with ``metadata["structured"]``.

    Options are validated here, before any request; the API key defaults to ``NANOGPT_API_KEY``
    and ``api_base`` (alias ``base_url``) to ``NANOGPT_BASE_URL``.

    >>> retriever = NanoGPTWebSearchRetriever(k=5, from_date="2025-01-01")  # doctest: +SKIP
    >>> nodes = retriever.retrieve("LlamaIndex workflows")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        api_base: str | None = None,
        base_url: str | None = None,
        k: int | None = None,
        provider: SearchProvider = "linkup",
        depth: SearchDepth = "standard",
        output_type: SearchOutputType = "searchResults",
        structured_output_schema: dict[str, Any] | type[BaseModel] | None = None,
        include_images: bool = False,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        include_domains: list[str] | None = None,
        exclude_domains: list[str] | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        http_client: Any = None,
        http_async_client: Any = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        self._search = WebSearch(
            api_key=api_key,
            api_base=api_base or base_url,
            k=k,
            provider=provider,
            depth=depth,
            output_type=output_type,
            structured_output_schema=structured_output_schema,
            include_images=include_images,
            from_date=from_date,
            to_date=to_date,
            include_domains=include_domains,
            exclude_domains=exclude_domains,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            http_async_client=http_async_client,
        )
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    def __repr__(self) -> str:
        return f"NanoGPTWebSearchRetriever({self._search!r})"

    @property
    def k(self) -> int | None:
        return self._search.k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return to_nodes(self._search.search(self, query_bundle.query_str))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return to_nodes(await self._search.asearch(self, query_bundle.query_str))
