"""Web-search results as framework-neutral records that LangChain and LlamaIndex wrap.

One place turns a :class:`~.web_search.WebSearchResponse` into :class:`SearchRecord` objects
(text, metadata, rank, score, stable id) and checks search options with errors that name the
parameter. LangChain makes ``Document`` objects from the records, LlamaIndex makes
``NodeWithScore(TextNode)`` objects; neither parses the response itself.

Ranking: ``rank`` is the 1-based position in the list returned to the caller, and
``score = 1 / rank`` (1.0, 0.5, 0.333, ...), so retrieval scores follow the provider's order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from .web_search import SourcedAnswer, WebSearchRequest, WebSearchResponse, text_or_none

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "LLM_HIDDEN_METADATA_KEYS",
    "SEARCH_OPTION_NAMES",
    "SOFYA_MAX_RESULTS",
    "SearchParameterError",
    "SearchRecord",
    "build_search_request",
    "check_k",
    "check_search_options",
    "format_records",
    "format_results",
    "plan_search",
    "rank_score",
    "search_records",
]

#: A cheap, widely available model that accepts ``dimensions`` (api-reference/endpoint/embeddings.mdx).
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"

#: Sofya's ``maxResults`` upper bound (api-reference/endpoint/web-search.mdx); other providers return their own count.
SOFYA_MAX_RESULTS = 20

#: The options a search accepts besides the query (the fields of :class:`WebSearchRequest`).
SEARCH_OPTION_NAMES: tuple[str, ...] = (
    "provider",
    "depth",
    "output_type",
    "structured_output_schema",
    "include_images",
    "from_date",
    "to_date",
    "include_domains",
    "exclude_domains",
)

#: Metadata that is bookkeeping or bulky: kept on the record, hidden from LLM prompts and
#: embeddings (``title``, ``url`` and ``date`` stay visible so answers can cite sources).
LLM_HIDDEN_METADATA_KEYS: tuple[str, ...] = (
    "source",
    "type",
    "image_url",
    "favicon",
    "rank",
    "score",
    "provider",
    "depth",
    "query",
    "timestamp",
    "cost",
    "billed_by",
    "sources",
    "structured",
)

_PARAM_NAMES = ("query", "k", *SEARCH_OPTION_NAMES, "max_results")
_KNOWN_OPTIONS = frozenset((*SEARCH_OPTION_NAMES, "max_results"))


class SearchParameterError(ValueError):
    """A search option is invalid; ``param`` names it. Raised before any request is sent."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class SearchRecord(NamedTuple):
    """One retrievable unit of a search response, independent of any framework."""

    id: str
    text: str
    rank: int
    score: float
    metadata: dict[str, Any]


def rank_score(rank: int) -> float:
    """The documented retrieval score of the result at 1-based ``rank``: ``1 / rank``."""
    return 1.0 / rank


def check_k(k: Any, name: str = "k") -> int | None:
    """``k`` (how many records to keep) must be None or an integer >= 1."""
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise SearchParameterError(f"{name} must be an integer >= 1; got {k!r}", param=name)
    return k


def _param_of(message: str) -> str | None:
    """The parameter a validation message is about: a missing schema, else the first one named."""
    if "needs structured_output_schema" in message:
        return "structured_output_schema"
    hits = [(message.find(name), name) for name in _PARAM_NAMES if name in message]
    return min(hits)[1] if hits else None


def _explain(exc: ValidationError) -> SearchParameterError:
    error = exc.errors(include_url=False)[0]
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    loc = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
    if loc:
        param = loc[0]
        if param not in message:
            message = f"{param}: {message}; got {error.get('input')!r}"
        return SearchParameterError(message, param=param)
    return SearchParameterError(message, param=_param_of(message))


def build_search_request(query: str, **options: Any) -> WebSearchRequest:
    """A validated request; ``None`` options are left at the API default.

    Raises :class:`SearchParameterError` naming the parameter (empty query, a date that is not a
    date, ``from_date`` after ``to_date``, ``structured`` without a schema, a non-Linkup provider
    with another output type, an unknown option).
    """
    if not _KNOWN_OPTIONS.issuperset(options):
        unknown = sorted(set(options) - _KNOWN_OPTIONS)
        raise SearchParameterError(f"unknown search option {unknown[0]!r}", param=unknown[0])
    if not isinstance(query, str):
        raise SearchParameterError(f"query must be a string; got {type(query).__name__}", param="query")
    fields = {name: value for name, value in options.items() if value is not None}
    for name in ("include_domains", "exclude_domains"):
        if isinstance(fields.get(name), str):
            fields[name] = [fields[name]]
    try:
        request = WebSearchRequest(query=query, **fields)
        if request.structured_output_schema is not None:
            request.schema_string()  # a schema string that is not JSON fails here, not on the wire
    except ValidationError as exc:
        raise _explain(exc) from None
    except ValueError as exc:
        raise SearchParameterError(str(exc), param=_param_of(str(exc))) from None
    return request


def plan_search(
    query: str,
    configured: Mapping[str, Any],
    *,
    k: int | None = None,
    default_k: int | None = None,
    k_name: str = "k",
    **overrides: Any,
) -> tuple[WebSearchRequest, int | None]:
    """The request for one call (configured options, then the per-call ones that are not None)
    and how many records to keep (``k`` if given, else ``default_k``; errors call it ``k_name``)."""
    limit = check_k(k, k_name) if k is not None else default_k
    options = dict(configured)
    options.update({name: value for name, value in overrides.items() if value is not None})
    if limit is not None and options.get("provider") == "sofya":
        options["max_results"] = min(limit, SOFYA_MAX_RESULTS)  # the only provider that takes a count
    return build_search_request(query, **options), limit


def check_search_options(**options: Any) -> WebSearchRequest:
    """Validate constructor-time options (no query yet); returns the normalised request."""
    return build_search_request("options check", **options)


# -- response -> records -----------------------------------------------------------------------


def _record_id(query: bytes, kind: str, url: str | None, seen: set[str]) -> str:
    """Stable across calls: a hash of the query, the kind and the URL (deduplicated per response)."""
    return _RecordIds(query).next(kind, url, seen)


class _RecordIds:
    """:func:`_record_id` for one response: the query is hashed once and the hash state copied per
    record (the digest of ``query + rest`` is the same either way)."""

    __slots__ = ("_prefix",)

    def __init__(self, query: bytes) -> None:
        self._prefix = hashlib.blake2b(query, digest_size=16)

    def next(self, kind: str, url: str | None, seen: set[str]) -> str:
        state = self._prefix.copy()
        state.update(f"\x1f{kind}\x1f{url or ''}".encode())
        candidate = state.hexdigest()
        n = 1
        while candidate in seen:
            n += 1
            retry = state.copy()
            retry.update(f"\x1f{n}".encode())
            candidate = retry.hexdigest()
        seen.add(candidate)
        return candidate


_Item = tuple[str, str | None, str, dict[str, Any]]  # kind, url, text, metadata


def _result_item(item: Mapping[str, Any]) -> _Item:
    """One ``searchResults`` item read from its wire keys (api-reference/endpoint/web-search.mdx), as
    :class:`~.web_search.WebSearchResult` reads them: text from ``content``, ``snippet`` or
    ``description``, title from ``title`` or ``name``. Read directly because this runs for every
    result of every call and a model per item costs more than the rest of the conversion.
    Like the model, a field that is not a string (a number or an object where a URL or title
    belongs) is read as absent, so it never reaches the metadata."""
    get = item.get
    kind = text_or_none(get("type")) or "text"
    url = text_or_none(get("url"))
    title = text_or_none(get("title")) or text_or_none(get("name"))
    image_url = text_or_none(get("imageUrl")) or text_or_none(get("image_url"))
    text = text_or_none(get("content")) or text_or_none(get("snippet")) or text_or_none(get("description"))
    if not text and kind == "image":
        text = title or image_url or url
    meta: dict[str, Any] = {}
    if title is not None:
        meta["title"] = title
    if url is not None:
        meta["url"] = meta["source"] = url
    meta["type"] = kind
    if image_url:
        meta["image_url"] = image_url
    date = text_or_none(get("date"))
    if date:
        meta["date"] = date
    favicon = text_or_none(get("favicon"))
    if favicon:
        meta["favicon"] = favicon
    return kind, url, text or "", meta


def _sourced_answer_items(answer: SourcedAnswer) -> list[_Item]:
    sources = [_clean({"title": s.name, "url": s.url, "snippet": s.text or None}) for s in answer.sources]
    items: list[_Item] = [("answer", None, answer.answer, {"type": "answer", "sources": sources})]
    for source in answer.sources:
        meta = _clean({"title": source.name, "url": source.url, "source": source.url, "type": "source"})
        items.append(("source", source.url, source.text, meta))
    return items


def _clean(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if value is not None}


def _items(response: WebSearchResponse, output_type: str) -> list[_Item]:
    """The items of the output type asked for, in the order returned.

    The request's output type decides how ``data`` is read, so a structured object that happens to
    have an ``answer`` key is not mistaken for a sourced answer.
    """
    data = response.data
    if output_type == "searchResults":
        if not isinstance(data, list):
            return []
        return [_result_item(item) for item in data if isinstance(item, dict)]
    answer = response.sourced_answer() if output_type == "sourcedAnswer" else None
    if answer is not None:
        return _sourced_answer_items(answer)
    if data is None:
        return []
    parsed = response.structured()
    text = parsed if isinstance(parsed, str) else json.dumps(parsed, ensure_ascii=False, indent=2)
    return [("structured", None, text, {"type": "structured", "structured": parsed})]


def search_records(
    response: WebSearchResponse, request: WebSearchRequest, *, k: int | None = None
) -> list[SearchRecord]:
    """The records of one search, at most ``k`` of them.

    ``searchResults``: one record per result. ``sourcedAnswer``: the answer first (its sources in
    ``metadata["sources"]``), then one record per source. ``structured``: one record whose text is
    the JSON and whose ``metadata["structured"]`` is the parsed object. Every record carries
    ``rank``, ``score``, ``provider``, ``depth``, ``query`` and ``timestamp``; the first also carries
    ``billed_by="nanogpt"`` and the call's ``cost`` (USD, when reported) so a callback can total it.
    ``score`` (``1 / rank``) is both a field and a metadata key.
    """
    meta = response.metadata
    common = _clean(
        {
            "provider": meta.get("provider") or request.provider,
            "depth": meta.get("depth") or request.depth,
            "query": request.query,
            "timestamp": meta.get("timestamp"),
        }
    )
    items = _items(response, request.output_type)
    if k is not None:
        items = items[:k]
    ids = _RecordIds(request.query.encode())
    cost = response.cost
    seen: set[str] = set()
    records: list[SearchRecord] = []
    for position, (kind, url, text, metadata) in enumerate(items, start=1):
        score = 1.0 / position  # rank_score(position)
        metadata["rank"] = position
        metadata["score"] = score
        metadata.update(common)
        if position == 1:
            if cost is not None:
                metadata["cost"] = cost
            metadata["billed_by"] = "nanogpt"
        records.append(SearchRecord(ids.next(kind, url, seen), text, position, score, metadata))
    return records


def format_records(records: Sequence[SearchRecord]) -> str:
    """:func:`format_results` of records."""
    return format_results((record.text, record.metadata) for record in records)


def format_results(items: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """Readable text for an agent from ``(text, metadata)`` pairs (records, Documents, nodes): an
    answer or structured result as is, then each result or source numbered from 1 with its title,
    URL and text."""
    blocks: list[str] = []
    number = 0
    for text, meta in items:
        kind = meta.get("type")
        if kind == "answer":
            blocks.append(f"Answer: {text}")
            continue
        if kind == "structured":
            blocks.append(f"Structured result:\n{text}")
            continue
        number += 1
        lines = [f"[{number}] {meta.get('title') or meta.get('url') or 'Untitled'}"]
        if meta.get("url"):
            lines.append(f"URL: {meta['url']}")
        if meta.get("date"):
            lines.append(f"Date: {meta['date']}")
        if kind == "image" and meta.get("image_url"):
            lines.append(f"Image: {meta['image_url']}")
        if text and text != meta.get("title"):
            lines.append(text)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# -- clients -----------------------------------------------------------------------------------
