"""Switchable rate limits (``api-reference/miscellaneous/rate-limits.mdx``); all off by default.

- a global throughput limit, e.g. the documented 25 requests per second: a token bucket holding one
  second's worth of requests, refilled continuously; past it a 429 ``rate_limit_exceeded`` with
  ``Retry-After`` (the page gives no body for this case; this is the OpenAI-compatible one);
- per-key daily caps on requests and on estimated USD, reset at 00:00 UTC: a 429 with
  ``daily_rpd_limit_exceeded`` / ``daily_usd_limit_exceeded``, ``type: rate_limit_error`` and
  ``Retry-After`` = seconds to the next midnight UTC, as the page shows.

USD per day is estimated at request time, as the page says NanoGPT does; the emulator's estimate is
the body's characters / 4 at the input price plus the requested output cap at the output price.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .accounting import INPUT_PRICE, OUTPUT_PRICE
from .errors import ApiError
from .recording import RecordedRequest
from .responses import Response, json_response

__all__ = ["RateLimits"]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _key_of(call: RecordedRequest) -> str | None:
    scheme, _, token = call.headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" else ""
    return key or call.headers.get("x-api-key", "").strip() or None


def estimate_cost(call: RecordedRequest) -> float:
    """The emulator's request-time USD estimate (see the module docstring)."""
    body = call.body if isinstance(call.body, dict) else {}
    cap = 0
    for name in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            cap = value
            break
    return math.ceil(len(call.raw_body) / 4) * INPUT_PRICE + cap * OUTPUT_PRICE


class RateLimits:
    """The limits one emulator enforces; thread-safe. ``rejected`` counts the 429s sent, by code."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Switch every limit off and forget the counters (``NanoGPTEmulator.clear()``)."""
        with self._lock:
            self.requests_per_second: float | None = None
            self.daily_requests: int | None = None
            self.daily_usd: float | None = None
            self._tokens = 0.0
            self._stamp = time.monotonic()
            self._day: date | None = None
            self._requests: Counter[str] = Counter()
            self._spend: dict[str, float] = {}
            self.rejected: Counter[str] = Counter()

    def configure(
        self,
        *,
        requests_per_second: float | None = None,
        daily_requests: int | None = None,
        daily_usd: float | None = None,
    ) -> None:
        """Switch limits on (None switches that limit off); counters start from zero."""
        with self._lock:
            self.requests_per_second = requests_per_second
            self.daily_requests = daily_requests
            self.daily_usd = daily_usd
            self._tokens = float(requests_per_second or 0)
            self._stamp = time.monotonic()
            self._requests.clear()
            self._spend.clear()
            self.rejected.clear()

    def spend(self, api_key: str, usd: float) -> None:
        """Add ``usd`` to a key's spend today (tests reaching the USD cap without many calls)."""
        with self._lock:
            self._roll_day()
            self._spend[api_key] = self._spend.get(api_key, 0.0) + usd

    def check(self, call: RecordedRequest) -> Response | None:
        """The 429 for ``call`` when a limit is reached, else None (the request is counted)."""
        with self._lock:
            error = self._throughput() or self._daily(call)
            if error is None:
                return None
            self.rejected[error.code or "rate_limit_exceeded"] += 1
        return json_response(error.body(), error.status, error.headers)

    def _throughput(self) -> ApiError | None:
        rate = self.requests_per_second
        if not rate:
            return None
        now = time.monotonic()
        self._tokens = min(float(rate), self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        wait = max(1, math.ceil((1.0 - self._tokens) / rate))
        return ApiError(
            429,
            f"Rate limit exceeded: {rate:g} requests per second",
            code="rate_limit_exceeded",
            error_type="rate_limit_error",
            headers={"Retry-After": str(wait)},
        )

    def _roll_day(self) -> None:
        today = self.clock().date()
        if today != self._day:
            self._day = today
            self._requests.clear()
            self._spend.clear()

    def _to_midnight(self) -> str:
        now = self.clock()
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), timezone.utc)
        return str(max(1, math.ceil((midnight - now).total_seconds())))

    def _daily(self, call: RecordedRequest) -> ApiError | None:
        if self.daily_requests is None and self.daily_usd is None:
            return None
        key = _key_of(call)
        if key is None:
            return None
        self._roll_day()
        headers = {"Retry-After": self._to_midnight()}
        used = self._requests[key]
        if self.daily_requests is not None and used >= self.daily_requests:
            return ApiError(
                429,
                f"Daily request limit exceeded ({used}/{self.daily_requests}). Resets at midnight UTC.",
                code="daily_rpd_limit_exceeded",
                error_type="rate_limit_error",
                headers=headers,
            )
        spent = self._spend.get(key, 0.0)
        if self.daily_usd is not None and spent >= self.daily_usd:
            return ApiError(
                429,
                f"Daily spend limit exceeded (${spent:.4f}/${self.daily_usd:.4f}). Resets at midnight UTC.",
                code="daily_usd_limit_exceeded",
                error_type="rate_limit_error",
                headers=headers,
            )
        self._requests[key] = used + 1
        self._spend[key] = spent + estimate_cost(call)
        return None

    def snapshot(self) -> dict[str, Any]:
        """Counters for assertions: requests and spend per key today, 429s sent by code."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "spend": dict(self._spend),
                "rejected": dict(self.rejected),
            }
