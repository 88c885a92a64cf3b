"""What a batch row is before it is validated: :class:`BatchRequest` and the accepted spellings.

A framework adapter hands finished request bodies (exactly what it would POST synchronously) as
``BatchRequest(body, custom_id=...)``; the CLI reads OpenAI-style JSONL rows
(``{"custom_id", "method", "url", "body"}``), which are accepted as mappings too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BatchValidationError
from .models import CHAT_ENDPOINT, ENDPOINTS, RESPONSES_ENDPOINT

__all__ = ["BatchRequest", "RowInput", "as_request", "resolve_endpoint"]

_ENDPOINT_ALIASES = {
    "chat": CHAT_ENDPOINT,
    "chat/completions": CHAT_ENDPOINT,
    "/chat/completions": CHAT_ENDPOINT,
    "v1/chat/completions": CHAT_ENDPOINT,
    "responses": RESPONSES_ENDPOINT,
    "/responses": RESPONSES_ENDPOINT,
    "v1/responses": RESPONSES_ENDPOINT,
}


@dataclass(frozen=True)
class BatchRequest:
    """One request of a batch job.

    ``body`` is the request body as it would be sent to ``/chat/completions`` or ``/responses``
    (with its ``model``); ``custom_id`` joins the result back (``row-<index>`` when None);
    ``endpoint`` is the row's ``url`` when the job does not name one; ``headers`` must stay empty:
    a batch row carries no headers, so a request that needs one (``X-Provider``,
    ``X-Billing-Mode``) cannot be batched and is rejected rather than sent without it.
    """

    body: Mapping[str, Any]
    custom_id: str | None = None
    endpoint: str | None = None
    method: str = "POST"
    headers: Mapping[str, str] | None = None


#: A row as callers may pass it: a :class:`BatchRequest` or an OpenAI-style JSONL mapping.
RowInput = BatchRequest | Mapping[str, Any]


def as_request(row: Any, index: int) -> BatchRequest:
    """``row`` as a :class:`BatchRequest`, or a :class:`BatchValidationError` naming the row."""
    if isinstance(row, BatchRequest):
        return row
    if isinstance(row, Mapping) and "body" in row:
        custom_id = row.get("custom_id")
        method = row.get("method", "POST")
        return BatchRequest(
            body=row["body"],
            custom_id=custom_id,
            endpoint=row.get("url"),
            method=method if isinstance(method, str) else repr(method),
        )
    raise BatchValidationError(
        "a row must be a BatchRequest or a mapping with 'custom_id' and 'body' "
        f"(an OpenAI-style JSONL row); got {type(row).__name__}",
        rule="invalid_row",
        index=index,
    )


def resolve_endpoint(endpoint: str | None) -> str | None:
    """The canonical endpoint for ``endpoint`` (aliases such as ``"chat"`` accepted), None for None."""
    if endpoint is None:
        return None
    canonical = _ENDPOINT_ALIASES.get(endpoint.strip().lower(), endpoint.strip())
    if canonical not in ENDPOINTS:
        raise BatchValidationError(
            f"endpoint {endpoint!r} cannot be batched; use {CHAT_ENDPOINT!r} or {RESPONSES_ENDPOINT!r} "
            "(api-reference/endpoint/batches.mdx)",
            rule="unsupported_endpoint",
        )
    return canonical


def infer_endpoint(body: Mapping[str, Any]) -> str | None:
    """The endpoint a body is written for: ``messages`` → chat, ``input`` → Responses."""
    if "messages" in body:
        return CHAT_ENDPOINT
    if "input" in body:
        return RESPONSES_ENDPOINT
    return None
