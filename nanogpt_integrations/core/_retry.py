"""The retry policy: the only place that decides whether and when to try a request again."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

#: Statuses retried (reference §14): timeouts, conflicts, rate limits and transient server errors.
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if parsed is None:
            return None
        seconds = parsed.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring ``Retry-After`` up to ``max_retry_after``."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def should_retry(self, attempt: int, status: int | None) -> bool:
        """``attempt`` counts from 0; ``status`` None means a connection error before any response."""
        if attempt >= self.max_retries:
            return False
        return status is None or status in RETRYABLE_STATUSES

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """How long to sleep before retry number ``attempt + 1``."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        backoff = min(self.max_delay, self.initial_delay * (2**attempt))
        # Jitter in [backoff/2, backoff]: spreads retries without ever collapsing to zero.
        return float(backoff * (0.5 + random.random() / 2))
