"""``NanoGPTWebSearchRetriever``: NanoGPT's direct web search (``/api/web``) as a LangChain retriever."""

from __future__ import annotations

import datetime as dt

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ..core.web_search import SearchDepth
from ._search import NanoGPTSearchSettings, to_documents

__all__ = ["NanoGPTWebSearchRetriever"]


class NanoGPTWebSearchRetriever(NanoGPTSearchSettings, BaseRetriever):
    """Web search through NanoGPT (Linkup, Tavily, Exa, Kagi, Perplexity, Valyu, Brave, ...).

    ``searchResults`` gives one document per result: ``page_content`` is the result text and the
    metadata holds ``title``, ``url``, ``source``, ``type``, ``image_url``, ``rank``, ``score``
    (``1 / rank``), ``provider``, ``depth``, ``query`` and ``timestamp``; the first document also holds the call's ``cost`` (USD)
    and ``billed_by="nanogpt"``. ``sourcedAnswer`` gives the answer first (``metadata["sources"]``)
    then one document per source; ``structured`` gives one JSON document with the parsed object in
    ``metadata["structured"]``. ``k``, the date window and the domain filters can also be passed
    per call: ``retriever.invoke("query", k=3, from_date="2025-01-01")``.

    >>> retriever = NanoGPTWebSearchRetriever(k=5, depth="standard")  # doctest: +SKIP
    >>> docs = retriever.invoke("latest LangChain release")  # doctest: +SKIP
    """

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        depth: SearchDepth | None = None,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        include_domains: list[str] | None = None,
        exclude_domains: list[str] | None = None,
    ) -> list[Document]:
        records = self._search(
            query,
            k,
            depth=depth,
            from_date=from_date,
            to_date=to_date,
            include_domains=include_domains,
            exclude_domains=exclude_domains,
        )
        return to_documents(records)

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        depth: SearchDepth | None = None,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        include_domains: list[str] | None = None,
        exclude_domains: list[str] | None = None,
    ) -> list[Document]:
        records = await self._asearch(
            query,
            k,
            depth=depth,
            from_date=from_date,
            to_date=to_date,
            include_domains=include_domains,
            exclude_domains=exclude_domains,
        )
        return to_documents(records)
