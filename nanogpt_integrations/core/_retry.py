"""The retry policy: the only place that decides whether and when to try a request again."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

#: Statuses retried, from ``api-reference/miscellaneous/error-handling.mdx``: "Retry: 408, 429,
#: 500, 503", and 504 as a timeout ("408 / 504: Retry with backoff"). 502 is not named there; a
#: bad gateway is transient by nature (the gateway's upstream failed), so it is retried too.
#: Never retried ("Do not blindly retry"): 400, 401, 402, 403, 404, 409, 413, and a 429 for a
#: per-key daily cap (``api-reference/miscellaneous/rate-limits.mdx``; see ``BaseClient``).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None.

    A negative value or a date in the past gives ``0.0`` (the policy then uses its backoff).
    """
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
    if seconds != seconds or seconds == float("inf"):  # NaN, inf
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, honouring ``Retry-After`` up to ``max_retry_after``."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def should_retry(self, attempt: int, status: int | None) -> bool:
        """``attempt`` counts from 0; ``status`` None means a connection error before any response."""
        if attempt >= self.max_retries:
            return False
        return status is None or status in RETRYABLE_STATUSES

    def delay(self, attempt: int, retry_after: str | None = None) -> float | None:
        """How long to sleep before retry number ``attempt + 1``; None means do not retry.

        A positive ``Retry-After`` is honoured as is; one above ``max_retry_after`` gives None (the
        caller raises at once with the hint on the error instead of sleeping the cap and failing
        again). A hint <= 0, a date in the past or garbage falls back to the backoff: never zero.
        """
        hinted = parse_retry_after(retry_after)
        if hinted:
            return hinted if hinted <= self.max_retry_after else None
        backoff = min(self.max_delay, self.initial_delay * (2**attempt))
        # Jitter in [backoff/2, backoff]: spreads retries without ever collapsing to zero.
        return float(backoff * (0.5 + random.random() / 2))
