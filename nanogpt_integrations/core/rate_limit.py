"""An optional client-side request-rate limiter: one token bucket per API key and host per process.

NanoGPT allows 25 requests per second (``api-reference/miscellaneous/rate-limits.mdx``); a fan-out
of synchronous calls (threads, ``asyncio.gather``, LangChain ``batch``) goes past that quickly and
gets 429s. A client created with ``requests_per_second=25`` takes one token per HTTP attempt
(retries included) before sending. Every client of the process with the same key and host, sync or
async, shares one bucket, so two clients (or an adapter's sync and async pair) cannot together
exceed the rate.

Tokens are *reserved* under a ``threading.Lock`` that is never held while waiting: a thread sleeps
after its reservation, a coroutine awaits ``asyncio.sleep``, so the same bucket is safe from any
thread and any event loop. After ``os.fork()`` the child gets new locks (a lock held by another
parent thread at fork time would otherwise never be released in the child); the child's buckets
are its own, so two processes each get the full rate.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
import weakref
from urllib.parse import urlsplit

__all__ = ["RECOMMENDED_REQUESTS_PER_SECOND", "TokenBucket", "check_rate", "shared_bucket"]

#: The documented global limit (``api-reference/miscellaneous/rate-limits.mdx``).
RECOMMENDED_REQUESTS_PER_SECOND = 25.0


def check_rate(requests_per_second: float | None) -> float | None:
    """``requests_per_second`` as a float, or a ``ValueError`` naming the parameter."""
    if requests_per_second is None:
        return None
    if (
        isinstance(requests_per_second, bool)
        or not isinstance(requests_per_second, (int, float))
        or not math.isfinite(requests_per_second)
        or requests_per_second <= 0
    ):
        raise ValueError(
            "requests_per_second must be a positive number (NanoGPT documents 25 requests per second) "
            f"or None for no client-side limit; got {requests_per_second!r}"
        )
    return float(requests_per_second)


class TokenBucket:
    """A token bucket of ``burst`` tokens refilled at ``rate`` per second (GCRA form).

    Each :meth:`reserve` books the next free slot and says how long to wait for it, so waiting
    callers are served in arrival order and never busy-loop. ``burst=1`` (the clients' choice)
    spaces requests evenly: a server counting requests over any one-second window then sees at most
    ``rate`` of them, even when some of the callers start late.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        checked = check_rate(rate)
        if checked is None:
            raise ValueError("rate must be a positive number of requests per second")
        self._rate = checked
        if burst < 1:
            raise ValueError(f"burst must be >= 1; got {burst}")
        self.burst = int(burst)
        self._tat = 0.0  # theoretical arrival time of the next request (monotonic seconds)
        self._lock = threading.Lock()
        _BUCKETS.add(self)

    @property
    def rate(self) -> float:
        """Tokens (requests) per second."""
        return self._rate

    def slow_down_to(self, rate: float) -> None:
        """Lower the rate (never raises it): clients sharing a bucket get the most restrictive rate."""
        with self._lock:
            self._rate = min(self._rate, rate)

    def reserve(self) -> float:
        """Take the next token; return the seconds to wait before using it (0 when one is free)."""
        with self._lock:
            now = time.monotonic()
            interval = 1.0 / self._rate
            tat = max(self._tat, now)
            allowed_at = tat - (self.burst - 1) * interval
            self._tat = tat + interval
        return max(0.0, allowed_at - now)

    def acquire(self) -> None:
        """Block the calling thread until a token is available."""
        wait = self.reserve()
        if wait > 0:
            time.sleep(wait)

    async def aacquire(self) -> None:
        """Wait, without blocking the event loop, until a token is available."""
        import asyncio  # here: a sync-only process never pays for importing it

        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()


_BUCKETS: weakref.WeakSet[TokenBucket] = weakref.WeakSet()
_SHARED: dict[tuple[str, str], TokenBucket] = {}
_SHARED_LOCK = threading.Lock()


def shared_bucket(api_key: str | None, base_url: str, requests_per_second: float) -> TokenBucket:
    """The process-wide bucket for this key and host (created on first use).

    The key is held only as a SHA-256 digest. When clients ask for different rates, the bucket
    keeps the lowest: they share one server-side limit.
    """
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()
    host = urlsplit(base_url).netloc.lower()
    with _SHARED_LOCK:
        bucket = _SHARED.get((digest, host))
        if bucket is None:
            bucket = _SHARED[(digest, host)] = TokenBucket(requests_per_second)
        else:
            bucket.slow_down_to(requests_per_second)
    return bucket


def _reinit_after_fork() -> None:
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()
    for bucket in list(_BUCKETS):
        bucket._after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_reinit_after_fork)
