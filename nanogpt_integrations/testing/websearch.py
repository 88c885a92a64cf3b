"""`POST /api/web` and `POST /api/v1/data/web/search` (api-reference/endpoint/web-search.mdx): validation and deterministic results."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from .errors import ApiError, json_object_body
from .faults import Envelope
from .recording import RecordedRequest
from .responses import Response, json_response
from .schemas import ValueSource, example_from_schema
from .state import EmulatorState

PROVIDERS = (
    "linkup",
    "tavily",
    "exa",
    "kagi",
    "perplexity",
    "valyu",
    "brave",
    "sofya",
    "firecrawl",
)  # api-reference/endpoint/web-search.mdx
_OUTPUT_TYPES = ("searchResults", "sourcedAnswer", "structured")
_DEPTHS = ("standard", "deep")
_SITES = (
    ("news", "com"),
    ("wiki", "org"),
    ("daily", "net"),
    ("guide", "io"),
    ("hub", "com"),
    ("times", "org"),
    ("review", "net"),
    ("journal", "com"),
    ("insider", "io"),
    ("today", "com"),
)
_EPOCH = datetime(2025, 7, 8, 9, 0, 0, tzinfo=timezone.utc)


def envelope_for(path: str) -> Envelope:
    """`/api/web` answers errors in the simple legacy body (api-reference/endpoint/web-search.mdx,
    miscellaneous/error-handling.mdx); the Data API path uses the OpenAI-style error object."""
    return "object" if path.startswith("/api/v1/") else "string"


def handle_web_search(call: RecordedRequest, state: EmulatorState) -> Response:
    """Validate like the docs, then return `{"data": ..., "metadata": {...}}`."""
    del state
    envelope = envelope_for(call.path)
    body = json_object_body(call.raw_body, envelope)

    def bad(message: str, param: str) -> ApiError:
        return ApiError(400, message, code="invalid_parameter_value", param=param, envelope=envelope)

    query = body.get("query")
    if query is None:
        raise ApiError(
            400, "query is required", code="missing_required_parameter", param="query", envelope=envelope
        )
    if not isinstance(query, str) or not query.strip():
        raise bad("query must be a non-empty string", "query")
    provider = body.get("provider", "linkup")
    if provider not in PROVIDERS:
        raise bad(f"Invalid provider: {provider!r}", "provider")
    operation = body.get("operation", "search")
    if operation != "search":
        message = (
            "Only the search operation is emulated"
            if provider == "sofya"
            else "Only sofya supports operation"
        )
        raise bad(f"{message}: {operation!r}", "operation")
    depth = body.get("depth", "standard")
    if depth not in _DEPTHS:
        raise bad(f"Invalid depth: {depth!r}", "depth")
    output_type = body.get("outputType", "searchResults")
    if output_type not in _OUTPUT_TYPES:
        raise bad(f"Invalid outputType: {output_type!r}", "outputType")
    if provider != "linkup" and output_type != "searchResults":
        raise bad(f"Provider {provider} supports only outputType searchResults", "outputType")
    schema: dict[str, Any] | None = None
    if output_type == "structured":
        schema = _parse_schema(body.get("structuredOutputSchema"), bad)
    window = (
        _parse_date(body.get("fromDate"), "fromDate", bad),
        _parse_date(body.get("toDate"), "toDate", bad),
    )
    results = _results(query, provider, body, window)

    data: Any
    if output_type == "sourcedAnswer":
        # api-reference/endpoint/web-search.mdx sourcedAnswer
        sources = [
            {"name": r["title"], "url": r["url"], "snippet": r.get("content", r.get("snippet", ""))}
            for r in results[:3]
        ]
        data = {
            "answer": f"According to {len(sources)} sources, here is a summary about {query}.",
            "sources": sources,
        }
    elif output_type == "structured":
        data = example_from_schema(
            schema, ValueSource(query, "structured")
        )  # api-reference/endpoint/web-search.mdx structured
    else:
        data = results + (_images(query, results) if body.get("includeImages") is True else [])
    metadata = {
        "query": query,
        "provider": provider,
        "operation": "search",
        "depth": depth,
        "outputType": output_type,
        "timestamp": _timestamp(query),
        "cost": _cost(provider, depth, len(results)),
    }  # api-reference/endpoint/web-search.mdx metadata
    return json_response({"data": data, "metadata": metadata})


def _parse_schema(value: Any, bad: Any) -> dict[str, Any]:
    if value is None:
        raise bad(
            "structuredOutputSchema is required when outputType is structured", "structuredOutputSchema"
        )
    if not isinstance(value, str):
        raise bad("structuredOutputSchema must be a JSON string", "structuredOutputSchema")
    try:
        schema = json.loads(value)
    except ValueError:
        raise bad("structuredOutputSchema is not valid JSON", "structuredOutputSchema") from None
    if not isinstance(schema, dict):
        raise bad("structuredOutputSchema must encode a JSON Schema object", "structuredOutputSchema")
    return schema


def _parse_date(value: Any, param: str, bad: Any) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise bad(f"{param} must be YYYY-MM-DD", param) from None


def _host(domain: str) -> str:
    domain = domain.strip().lower()
    host = urlsplit(domain if "//" in domain else f"//{domain}").hostname or domain
    return host.removeprefix("www.")


def _matches(host: str, domain: str) -> bool:
    return host == domain or host.endswith(f".{domain}")


def _results(
    query: str, provider: str, body: dict[str, Any], window: tuple[date | None, date | None]
) -> list[Any]:
    """Ten text results (api-reference/endpoint/web-search.mdx searchResults item shape)."""
    words = re.findall(r"[a-z0-9]+", query.lower())[:4] or ["search"]
    slug = "-".join(words)
    included = [_host(d) for d in body.get("includeDomains") or [] if isinstance(d, str) and d.strip()]
    excluded = [_host(d) for d in body.get("excludeDomains") or [] if isinstance(d, str) and d.strip()]
    results: list[dict[str, Any]] = []
    for index in range(10):
        site, tld = _SITES[index]
        host = included[index % len(included)] if included else f"{slug}-{site}.{tld}"
        if any(_matches(host, domain) for domain in excluded):
            continue
        item: dict[str, Any] = {
            "type": "text",
            "title": f"{query.strip()} | {site.title()} {index + 1}",
            "url": f"https://{host}/{slug}/{index + 1}",
        }
        text = f"Result {index + 1} about {query.strip()}: a deterministic snippet from {host}."
        # api-reference/endpoint/web-search.mdx: non-Linkup item keys vary (content / snippet); half of them use `snippet`.
        item["snippet" if provider != "linkup" and index % 2 else "content"] = text
        # Emulator addition: api-reference/endpoint/web-search.mdx lists no date key; `date` shows fromDate/toDate were honoured.
        day = _date_in(window, index)
        if day is not None:
            item["date"] = day.isoformat()
        results.append(item)
    return results


def _date_in(window: tuple[date | None, date | None], index: int) -> date | None:
    start, end = window
    if start is not None and end is not None:
        span = max((end - start).days, 0)
        return start + timedelta(days=span * index // 9)
    if start is not None:
        return start + timedelta(days=index)
    if end is not None:
        return end - timedelta(days=index)
    return None


def _images(query: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    host = urlsplit(results[0]["url"]).hostname if results else "images.example.com"
    slug = "-".join(re.findall(r"[a-z0-9]+", query.lower())[:4]) or "image"
    return [
        {
            "type": "image",
            "title": f"{query.strip()} image {n}",
            "url": url,
            "imageUrl": url,
        }  # api-reference/endpoint/web-search.mdx image item
        for n in (1, 2)
        for url in [f"https://{host}/images/{slug}-{n}.jpg"]
    ]


def _timestamp(query: str) -> str:
    offset = int(hashlib.sha256(query.encode()).hexdigest()[:8], 16) % (365 * 86400)
    return (_EPOCH + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _cost(provider: str, depth: str, pages: int) -> float:
    """Per-call prices of api-reference/endpoint/web-search.mdx / api-reference/endpoint/chat-completion.mdx; firecrawl has no documented price (0)."""
    deep = depth == "deep"
    prices = {
        "linkup": 0.06 if deep else 0.006,
        "tavily": 0.016 if deep else 0.008,
        "exa": 0.005 + 0.001 * pages,
        "kagi": 0.025 if deep else 0.002,
        "perplexity": 0.005,
        "valyu": 0.0015 * pages,
        "brave": 0.005,
        "sofya": 0.01575,
        "firecrawl": 0.0,
    }
    return round(prices[provider], 10)
