"""What the LlamaIndex retriever and tool spec share: validated options, lazy clients, records → nodes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from llama_index.core.schema import NodeWithScore, TextNode
from pydantic import BaseModel, SecretStr

from .._fast_models import ValidatedTemplate
from ..core.lazy import (
    LazyClients,
    check_http_client,
    check_timeout_with_clients,
    owned_clients,
    refuse_to_pickle,
)
from ..core.search_records import (
    LLM_HIDDEN_METADATA_KEYS,
    SearchRecord,
    check_k,
    check_search_options,
    plan_search,
    search_records,
)
from ..core.web_search import SearchDepth, SearchOutputType, SearchProvider

__all__ = ["WebSearch", "to_nodes"]


class WebSearch:
    """Search options and connection settings, checked once at construction; immutable, so copies
    of the retriever or tool spec holding it may share it. The clients are not here: each
    retriever or tool spec owns its own (``core.lazy``), reached with :meth:`clients`."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        api_base: str | None,
        k: int | None,
        provider: SearchProvider,
        depth: SearchDepth,
        output_type: SearchOutputType,
        structured_output_schema: dict[str, Any] | type[BaseModel] | None,
        include_images: bool,
        from_date: dt.date | str | None,
        to_date: dt.date | str | None,
        include_domains: list[str] | None,
        exclude_domains: list[str] | None,
        timeout: float | None,
        max_retries: int,
        http_client: Any = None,
        http_async_client: Any = None,
    ) -> None:
        self.k = check_k(k)
        options: dict[str, Any] = {
            "provider": provider,
            "depth": depth,
            "output_type": output_type,
            "structured_output_schema": structured_output_schema,
            "include_images": include_images,
            "from_date": from_date,
            "to_date": to_date,
            "include_domains": include_domains,
            "exclude_domains": exclude_domains,
        }
        checked = check_search_options(**options)
        options["from_date"], options["to_date"] = checked.from_date, checked.to_date
        self.options = options
        check_timeout_with_clients(timeout, http_client, http_async_client)
        #: The connection settings in ``core.lazy.SETTINGS`` order.
        self.connection = (
            api_key,
            api_base,
            timeout,
            max_retries,
            None,
            check_http_client(http_client, "Client", "http_client"),
            check_http_client(http_async_client, "AsyncClient", "http_async_client"),
            (),
        )

    def clients(self, owner: object) -> LazyClients:
        """``owner``'s own clients (the retriever or tool spec; kept in its ``__dict__``)."""
        return owned_clients(owner, owner.__dict__, self.connection)

    def __copy__(self) -> WebSearch:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> WebSearch:
        return self  # immutable; and the caller's httpx clients are shared, never copied

    def __getstate__(self) -> dict[str, Any]:
        refuse_to_pickle("NanoGPT web search", *self.connection[5:7])
        return self.__dict__

    def __repr__(self) -> str:
        shown = {key: value for key, value in self.options.items() if value not in (None, False)}
        return f"WebSearch(k={self.k!r}, {', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def search(
        self, owner: object, query: str, k: int | None = None, k_name: str = "k", **overrides: Any
    ) -> list[SearchRecord]:
        request, limit = plan_search(query, self.options, k=k, default_k=self.k, k_name=k_name, **overrides)
        return search_records(self.clients(owner).sync.web_search(request), request, k=limit)

    async def asearch(
        self, owner: object, query: str, k: int | None = None, k_name: str = "k", **overrides: Any
    ) -> list[SearchRecord]:
        request, limit = plan_search(query, self.options, k=k, default_k=self.k, k_name=k_name, **overrides)
        return search_records(await self.clients(owner).async_.web_search(request), request, k=limit)


_HIDDEN = list(LLM_HIDDEN_METADATA_KEYS)

# Nodes built as validation builds them, without running it per node (most of the conversion's
# cost); under a LlamaIndex version where that is not reproducible they validate as before.
_text_node = ValidatedTemplate(
    TextNode,
    id_="template",
    text="template",
    metadata={"title": "template"},
    excluded_llm_metadata_keys=_HIDDEN,
    excluded_embed_metadata_keys=_HIDDEN,
)
_node_with_score = ValidatedTemplate(NodeWithScore, node=TextNode(id_="template", text="template"), score=1.0)


def to_nodes(records: list[SearchRecord]) -> list[NodeWithScore]:
    """``NodeWithScore(TextNode)`` per record: stable ids, ``score = 1 / rank``, and bookkeeping
    metadata hidden from the LLM and embedding views (title, url and date stay visible).

    Equal to validating ``TextNode(id_=r.id, text=r.text, metadata=r.metadata, ...)``; the node
    takes the record's metadata dict (records are built per call) and its own lists of hidden keys.
    """
    node, scored = _text_node.build, _node_with_score.build
    return [
        scored(
            {
                "node": node(
                    {
                        "id_": r.id,
                        "text": r.text,
                        "metadata": r.metadata,
                        "excluded_llm_metadata_keys": list(_HIDDEN),
                        "excluded_embed_metadata_keys": list(_HIDDEN),
                    }
                ),
                "score": r.score,
            }
        )
        for r in records
    ]
