"""One exception hierarchy for every NanoGPT failure, rooted at :class:`NanoGPTError`.

Server errors are mapped by :func:`error_from_response` from any of the error envelopes the API is
known to send (``api-reference/miscellaneous/error-handling.mdx``): ``{"error": {...}}``,
``{"error": "text", "status": 402}``, ``{"error": 402, "message": "..."}``,
``{"code": "...", "message": "..."}`` and numeric ``code``s; :func:`error_in_body` does the same
for an error sent with a 2xx status.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CacheConsistencyError",
    "ConfigurationError",
    "ConflictError",
    "DailyLimitError",
    "EventTooLargeError",
    "InternalServerError",
    "MissingAPIKeyError",
    "NanoGPTError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PoolTimeoutError",
    "RateLimitError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "ServiceUnavailableError",
    "StreamDeadlineError",
    "StreamError",
    "UnexpectedResponseError",
    "error_from_response",
    "error_in_body",
    "parse_error_body",
]


class NanoGPTError(Exception):
    """Root of every error raised by this package when talking to NanoGPT."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.type = type
        self.param = param
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        details = [
            f"{name}={value}"
            for name, value in (
                ("status", self.status),
                ("code", self.code),
                ("type", self.type),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword attributes when pickled (multiprocessing, LangChain caches).
        return (_rebuild_error, (type(self), self.message, self.__dict__.copy()))


def _rebuild_error(cls: type[NanoGPTError], message: str, state: dict[str, Any]) -> NanoGPTError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class MissingAPIKeyError(NanoGPTError, ValueError):
    """No API key was given and ``NANOGPT_API_KEY`` is not set; raised before any request."""


class ConfigurationError(NanoGPTError, ValueError):
    """A setting that cannot work, found before any request: names the parameter and what is
    allowed, never the value of a secret. Also an API key or header value HTTP cannot carry
    (see ``check_header``); never retried."""


class APIConnectionError(NanoGPTError):
    """The request never got an HTTP response (DNS, refused, reset, TLS)."""


class APITimeoutError(APIConnectionError):
    """Connecting or reading took longer than the configured timeout."""


class StreamError(NanoGPTError):
    """A stream failed after it started: an error frame, a malformed frame or EOF before ``[DONE]``."""


class APIStatusError(NanoGPTError):
    """The server answered with an error: a non-2xx status, or an error envelope in a 2xx body.

    ``retry_after`` holds the server's ``Retry-After`` hint in seconds when it sent one.
    """

    retry_after: float | None = None


class BadRequestError(APIStatusError):
    """400: the request was invalid (see ``code`` and ``param``)."""


class AuthenticationError(APIStatusError):
    """401: missing, invalid, revoked or expired API key."""


class PaymentRequiredError(APIStatusError):
    """402: insufficient balance, usage cap, or a web-search/memory balance requirement."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this (e.g. ``api_key_origin_not_allowed``)."""


class NotFoundError(APIStatusError):
    """404: unknown route, model or stored response."""


class ConflictError(APIStatusError):
    """409: conflicting request state (duplicate, already processed); not retried."""


class RequestTooLargeError(APIStatusError):
    """413: the JSON body is over the server's limit."""


class RateLimitError(APIStatusError):
    """429: rate limit or daily cap; ``retry_after`` holds the server's hint in seconds."""


class InternalServerError(APIStatusError):
    """5xx other than 503."""


class ServiceUnavailableError(InternalServerError):
    """503: the upstream is unavailable."""


class CacheConsistencyError(ServiceUnavailableError):
    """503 ``fallback_blocked_for_cache_consistency``: a sticky cached provider failed and failover
    was disabled to keep the prompt cache. Retry later, or turn off ``sticky_provider``."""


# -- transport hardening: configuration, pool, size, daily caps, unexpected answers ---------------


class PoolTimeoutError(APITimeoutError):
    """No pooled connection became free within the timeout: every connection is held by a response
    or stream that was never closed (a leak in the calling code). Never retried: waiting again only
    hides the leak."""


class ResponseTooLargeError(NanoGPTError):
    """A response body (after decompression) grew past ``max_response_bytes``; never retried."""

    limit: int | None = None


class DailyLimitError(RateLimitError):
    """429 ``daily_rpd_limit_exceeded`` / ``daily_usd_limit_exceeded``: the key's optional daily
    request or spend cap (``api-reference/miscellaneous/rate-limits.mdx``). Never retried: the cap
    resets at 00:00 UTC; ``reset_at`` is that moment (UTC) and ``retry_after`` the seconds until it."""

    reset_at: dt.datetime | None = None


class UnexpectedResponseError(APIStatusError):
    """The server answered, but not with what the endpoint returns: a redirect, a JSON or HTML page
    to a stream request, a completion without choices. ``content_type`` is what came back."""

    content_type: str | None = None


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}

CACHE_CONSISTENCY_CODE = "fallback_blocked_for_cache_consistency"


def _as_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def parse_error_body(body: Any) -> dict[str, Any]:
    """Normalise any known error envelope to ``{message, code, type, param, status}`` (values may be None)."""
    out: dict[str, Any] = {"message": None, "code": None, "type": None, "param": None, "status": None}
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            out["message"] = text[:500] or None
            return out
    if not isinstance(body, Mapping):
        if body is not None:
            out["message"] = str(body)[:500]
        return out
    err = body.get("error")
    if isinstance(err, Mapping):
        out["message"] = _as_str(err.get("message"))
        out["code"] = _as_str(err.get("code"))
        out["type"] = _as_str(err.get("type"))
        out["param"] = _as_str(err.get("param"))
        out["status"] = err.get("status")
    elif isinstance(err, str):
        out["message"] = err
    elif isinstance(err, (int, float)) and not isinstance(err, bool):
        # OpenAPI ``Error`` schema: {"error": <int32>, "message": "..."}
        out["status"] = int(err)
    out["message"] = out["message"] or _as_str(body.get("message"))
    out["code"] = out["code"] or _as_str(body.get("code"))
    out["type"] = out["type"] or _as_str(body.get("type"))
    if out["status"] is None and isinstance(body.get("status"), int):
        out["status"] = body["status"]
    return out


def _parse_retry_after_header(headers: Mapping[str, str] | None) -> float | None:
    from ._retry import parse_retry_after  # local import: _retry imports this module

    return parse_retry_after(headers.get("retry-after") if headers else None)


#: The per-key daily caps (``api-reference/miscellaneous/rate-limits.mdx``).
DAILY_LIMIT_CODES = frozenset({"daily_rpd_limit_exceeded", "daily_usd_limit_exceeded"})

#: The status an error envelope implies when a 2xx body carries it without one
#: (codes and types from ``api-reference/miscellaneous/error-handling.mdx``).
_IMPLIED_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "missing_api_key": 401,
    "insufficient_quota": 402,
    "insufficient_balance": 402,
    "memory_balance_required": 402,
    "webSearch_balance_required": 402,
    "both_balance_required": 402,
    "permission_error": 403,
    "permission_denied_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "daily_rpd_limit_exceeded": 429,
    "daily_usd_limit_exceeded": 429,
    CACHE_CONSISTENCY_CODE: 503,
}


def _next_midnight_utc(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)


def _typed_error(
    status: int, body: Any, info: Mapping[str, Any], headers: Mapping[str, str] | None, note: str = ""
) -> APIStatusError:
    """The typed error for ``status`` and a parsed envelope ``info`` (see :func:`parse_error_body`)."""
    code = info["code"]
    cls: type[APIStatusError]
    if code == CACHE_CONSISTENCY_CODE or (info["message"] or "").strip() == CACHE_CONSISTENCY_CODE:
        cls = CacheConsistencyError
        code = CACHE_CONSISTENCY_CODE
    elif status == 429 and code in DAILY_LIMIT_CODES:
        cls = DailyLimitError
    elif status in _STATUS_CLASSES:
        cls = _STATUS_CLASSES[status]
    elif status >= 500:
        cls = InternalServerError
    else:
        cls = APIStatusError
    message = (info["message"] or f"NanoGPT returned HTTP {status}") + note
    err = cls(
        message,
        status=status,
        code=code,
        type=info["type"],
        param=info["param"],
        request_id=headers.get("x-request-id") if headers else None,
        body=body,
    )
    err.retry_after = _parse_retry_after_header(headers)
    if isinstance(err, DailyLimitError):
        now = dt.datetime.now(dt.timezone.utc)
        if err.retry_after is None:  # the docs say "typically" sent; the reset is 00:00 UTC anyway
            err.reset_at = _next_midnight_utc(now)
            err.retry_after = (err.reset_at - now).total_seconds()
        else:
            err.reset_at = now + dt.timedelta(seconds=err.retry_after)
        err.message += (
            f" (per-key daily cap: resets at {err.reset_at:%Y-%m-%d %H:%M:%S} UTC, in "
            f"{err.retry_after:.0f}s; not retried)"
        )
        err.args = (err.message,)
    return err


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
) -> APIStatusError:
    """Build the typed error for an HTTP error response (``headers`` may be an httpx.Headers)."""
    if isinstance(body, (bytes, bytearray)):
        # Keep the parsed body on the error: a 402 may carry ``requiredBalance`` and an x402 quote
        # a top-level ``payment`` object (api-reference/miscellaneous/error-handling.mdx).
        text = bytes(body).decode("utf-8", "replace")
        try:
            body = json.loads(text) if text.strip() else None
        except ValueError:
            body = text[:2000]
    return _typed_error(status, body, parse_error_body(body), headers)


def error_in_body(status: int, body: Any, headers: Mapping[str, str] | None = None) -> APIStatusError | None:
    """The typed error a 2xx JSON body carries (``{"error": ...}`` in any known envelope), or None.

    The error's class and ``status`` come from the status inside the envelope, else from its code or
    type (``insufficient_quota`` is a 402, ...), else they stay the HTTP status.
    """
    if not isinstance(body, Mapping) or body.get("error") in (None, "", False):
        return None
    info = parse_error_body(body)
    inner = info["status"]
    if not (isinstance(inner, int) and 400 <= inner < 600):
        inner = _IMPLIED_STATUS.get(info["code"] or "") or _IMPLIED_STATUS.get(info["type"] or "")
    note = f" (NanoGPT sent this error with HTTP {status})"
    return _typed_error(inner or status, dict(body), info, headers, note)


def stream_error_from_frame(frame: Mapping[str, Any], request_id: str | None) -> StreamError:
    """Build a :class:`StreamError` from a mid-stream error chunk (reference §2.8)."""
    info = parse_error_body({"error": frame.get("error")} if "error" in frame else {})
    status = info["status"] if isinstance(info["status"], int) else None
    return StreamError(
        info["message"] or "NanoGPT reported an error in the stream",
        status=status,
        code=info["code"],
        type=info["type"],
        param=info["param"],
        request_id=request_id,
        body=dict(frame),
    )


# -- stream limits: the cap on one event and the total stream deadline (docs/streams-and-limits.md)


class EventTooLargeError(StreamError):
    """One server-sent event grew past the client's ``max_event_bytes`` (default 64 MiB).

    Raised instead of buffering without bound; ``limit`` holds the cap in bytes. Events that were
    complete before it are delivered first.
    """

    limit: int | None = None


class StreamDeadlineError(StreamError, APITimeoutError):
    """The stream did not end within ``stream_deadline`` seconds (a total bound; ``timeout`` is
    per read). Also an :class:`APITimeoutError`; ``deadline`` holds the bound in seconds."""

    deadline: float | None = None
