"""``NanoGPTWebSearchToolSpec``: NanoGPT web search as a LlamaIndex tool for agents."""

# No ``from __future__ import annotations``: FunctionTool reads these signatures at runtime.

import datetime as dt
import inspect
from typing import Annotated, Any

from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from llama_index.core.tools.types import ToolMetadata
from llama_index.core.tools.utils import create_schema_from_function
from pydantic import BaseModel, SecretStr

from ..core.search_records import format_records
from ..core.web_search import SearchDepth, SearchOutputType, SearchProvider
from ._search import WebSearch

__all__ = ["NanoGPTWebSearchToolSpec"]

_Query = Annotated[str, "What to search the web for, as a specific search query."]
_Depth = Annotated[SearchDepth | None, "'standard' (fast, default) or 'deep' (slower, more thorough)."]
_From = Annotated[str | None, "Only results published on or after this date (YYYY-MM-DD)."]
_To = Annotated[str | None, "Only results published on or before this date (YYYY-MM-DD)."]
_Include = Annotated[list[str] | None, "Only search these domains, e.g. ['arxiv.org']."]
_Exclude = Annotated[list[str] | None, "Never return results from these domains."]
_Max = Annotated[int | None, "How many results to return (default: all, usually 10)."]


class NanoGPTWebSearchToolSpec(BaseToolSpec):
    """One tool, ``web_search`` (sync and native async), for ``FunctionAgent`` and friends.

    Constructor options are those of :class:`NanoGPTWebSearchRetriever`; the model may narrow each
    call with a date window, domain filters, depth and ``max_results``. The tool returns numbered
    results with titles, URLs and text, or a short "no results" message.

    >>> tools = NanoGPTWebSearchToolSpec().to_tool_list()  # doctest: +SKIP
    """

    spec_functions = [("web_search", "aweb_search")]

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

    def __repr__(self) -> str:
        return f"NanoGPTWebSearchToolSpec({self._search!r})"

    def get_metadata_from_fn_name(
        self, fn_name: str, spec_functions: list[SPEC_FUNCTION_TYPE] | None = None
    ) -> ToolMetadata | None:
        """The tool's name, its docstring as the description (no Python signature) and its schema."""
        func = getattr(self, fn_name, None)
        if func is None:
            return None
        return ToolMetadata(
            name=fn_name,
            description=inspect.cleandoc(func.__doc__ or ""),
            fn_schema=create_schema_from_function(fn_name, func),
        )

    def web_search(
        self,
        query: _Query,
        depth: _Depth = None,
        from_date: _From = None,
        to_date: _To = None,
        include_domains: _Include = None,
        exclude_domains: _Exclude = None,
        max_results: _Max = None,
    ) -> str:
        """Search the web with NanoGPT for current events and facts you are not sure about.

        Returns numbered results with title, URL and text; cite the URLs you use.
        """
        records = self._search.search(
            self,
            query,
            max_results,
            "max_results",
            **_filters(depth, from_date, to_date, include_domains, exclude_domains),
        )
        return _render(query, records)

    async def aweb_search(
        self,
        query: _Query,
        depth: _Depth = None,
        from_date: _From = None,
        to_date: _To = None,
        include_domains: _Include = None,
        exclude_domains: _Exclude = None,
        max_results: _Max = None,
    ) -> str:
        """Search the web with NanoGPT for current events and facts you are not sure about.

        Returns numbered results with title, URL and text; cite the URLs you use.
        """
        records = await self._search.asearch(
            self,
            query,
            max_results,
            "max_results",
            **_filters(depth, from_date, to_date, include_domains, exclude_domains),
        )
        return _render(query, records)


def _filters(
    depth: str | None,
    from_date: str | None,
    to_date: str | None,
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


def _render(query: str, records: Any) -> str:
    if not records or not any(r.text for r in records):
        return (
            f"No web results for {query!r}. Try a broader or differently worded query, "
            "or remove the date and domain filters."
        )
    return f"Web results for {query!r}:\n\n{format_records(records)}"
