"""``NanoGPTWebSearchTool``: NanoGPT web search as a LangChain tool for agents."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.documents import Document
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator

from ..core.lazy import Owned, owned
from ..core.search_records import SearchParameterError, check_search_options, format_results
from ..core.web_search import SearchDepth
from ._search import NanoGPTSearchSettings
from .retrievers import NanoGPTWebSearchRetriever

__all__ = ["NanoGPTWebSearchInput", "NanoGPTWebSearchTool"]


class NanoGPTWebSearchInput(BaseModel):
    """Arguments a model may pass per call; anything else is fixed when the tool is built."""

    query: str = Field(description="What to search the web for, as a specific search query.")
    depth: SearchDepth | None = Field(
        default=None, description="'standard' (fast, default) or 'deep' (slower, more thorough)."
    )
    from_date: dt.date | None = Field(
        default=None, description="Only results published on or after this date (YYYY-MM-DD)."
    )
    to_date: dt.date | None = Field(
        default=None, description="Only results published on or before this date (YYYY-MM-DD)."
    )
    include_domains: list[str] | None = Field(
        default=None, description="Only search these domains, e.g. ['arxiv.org']."
    )
    exclude_domains: list[str] | None = Field(default=None, description="Never return these domains.")
    max_results: int | None = Field(
        default=None, ge=1, le=50, description="How many results to return (default: all, usually 10)."
    )

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must be a non-empty string")
        return value

    @model_validator(mode="after")
    def _filters(self) -> NanoGPTWebSearchInput:
        check_search_options(
            depth=self.depth,
            from_date=self.from_date,
            to_date=self.to_date,
            include_domains=self.include_domains,
            exclude_domains=self.exclude_domains,
        )
        return self


_DESCRIPTION = (
    "Search the web with NanoGPT. Use it for current events and facts you are not sure about. "
    "Returns numbered results with title, URL and text; cite the URLs you use. "
    "Optional filters: a date window (from_date, to_date as YYYY-MM-DD), domains to include or "
    "exclude, depth ('deep' for hard questions) and max_results."
)


class NanoGPTWebSearchTool(NanoGPTSearchSettings, BaseTool):
    """Web search through NanoGPT for agents.

    The content is readable text (numbered results with titles, URLs and snippets); the artifact
    is the list of ``Document`` objects the retriever would return. No results raise a
    ``ToolException``, which is returned to the model as the tool's error message by default
    (``handle_tool_error=True``) so it can try another query.

    >>> tool = NanoGPTWebSearchTool(max_retries=1)  # doctest: +SKIP
    >>> tool.invoke({"query": "NanoGPT web search pricing", "max_results": 3})  # doctest: +SKIP
    """

    name: str = "nanogpt_web_search"
    description: str = _DESCRIPTION
    args_schema: type[BaseModel] = NanoGPTWebSearchInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool = True

    _retriever: Owned | None = PrivateAttr(default=None)

    @property
    def retriever(self) -> NanoGPTWebSearchRetriever:
        """The retriever the tool runs (same settings), as a child run of the tool call: tracing
        shows the search and ``get_nanogpt_callback`` counts its cost. It belongs to this tool
        (``core.lazy.Owned``): a copy of the tool builds its own, with its own clients."""
        settings = {name: getattr(self, name) for name in NanoGPTSearchSettings.model_fields}
        state = self.__pydantic_private__
        retriever: NanoGPTWebSearchRetriever | None = owned(self, state, "_retriever")
        if retriever is None or any(getattr(retriever, k) != v for k, v in settings.items()):
            # First use, a copy of a tool, or a setting of the tool reassigned since (a replaced
            # retriever's pools close when it is collected: see ``LazyClients.__del__``).
            retriever = NanoGPTWebSearchRetriever(**settings)
            assert state is not None
            state["_retriever"] = Owned(self, retriever)
        return retriever

    def _run(
        self,
        query: str,
        depth: SearchDepth | None = None,
        from_date: dt.date | None = None,
        to_date: dt.date | None = None,
        include_domains: list[str] | None = None,
        exclude_domains: list[str] | None = None,
        max_results: int | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[Document]]:
        config = RunnableConfig(callbacks=run_manager.get_child() if run_manager else None)
        filters = _filters(depth, from_date, to_date, include_domains, exclude_domains)
        try:
            docs = self.retriever.invoke(query, config, k=max_results, **filters)
        except SearchParameterError as exc:
            raise ToolException(f"Invalid search: {exc}") from exc
        return _output(query, docs)

    async def _arun(
        self,
        query: str,
        depth: SearchDepth | None = None,
        from_date: dt.date | None = None,
        to_date: dt.date | None = None,
        include_domains: list[str] | None = None,
        exclude_domains: list[str] | None = None,
        max_results: int | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[Document]]:
        config = RunnableConfig(callbacks=run_manager.get_child() if run_manager else None)
        filters = _filters(depth, from_date, to_date, include_domains, exclude_domains)
        try:
            docs = await self.retriever.ainvoke(query, config, k=max_results, **filters)
        except SearchParameterError as exc:
            raise ToolException(f"Invalid search: {exc}") from exc
        return _output(query, docs)


def _filters(
    depth: SearchDepth | None,
    from_date: dt.date | None,
    to_date: dt.date | None,
    include_domains: list[str] | None,
    exclude_domains: list[str] | None,
) -> dict[str, Any]:
    return {
        "depth": depth,
        "from_date": from_date,
        "to_date": to_date,
        "include_domains": include_domains,
        "exclude_domains": exclude_domains,
    }


def _output(query: str, docs: list[Document]) -> tuple[str, list[Document]]:
    if not any(doc.page_content for doc in docs):
        raise ToolException(
            f"No web results for {query!r}. Try a broader or differently worded query, "
            "or remove the date and domain filters."
        )
    text = format_results((doc.page_content, doc.metadata) for doc in docs)
    return f"Web results for {query!r}:\n\n{text}", docs
