"""The emulator's shared, thread-safe state: request log, scripted replies, faults, prompt cache."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .accounting import CacheRegistry
from .batch_store import BatchStore
from .faults import Fault
from .limits import RateLimits
from .recording import RecordedRequest
from .replies import ChatReply
from .responses_api import ResponseStore
from .routing import RouteBook
from .tee import TEERegistry


@dataclass
class _PendingFault:
    fault: Fault
    remaining: int
    path: str


class EmulatorState:
    """Everything tests script or inspect; all methods are safe to call from any thread."""

    def __init__(self, accept_any_model: bool = False) -> None:
        #: Unknown model ids are served (as a permissive stand-in) instead of 404 `model_not_found`.
        self.default_accept_any_model = accept_any_model
        self.accept_any_model = accept_any_model
        self.routes = RouteBook()  # provider outages, sticky providers, the last serving provider
        self.cache = CacheRegistry()
        self.responses = ResponseStore()  # ref §8 stored responses
        self.tee = TEERegistry()  # ref §13 TEE exchange hashes and tampered mode
        self.batches = BatchStore(self)  # api-reference/endpoint/batches.mdx
        self.limits = RateLimits()  # api-reference/miscellaneous/rate-limits.mdx (off until configured)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._replies: deque[ChatReply] = deque()
        self._faults: list[_PendingFault] = []
        #: Bumped by :meth:`clear`: a request stalled across a clear (a test that gave up on it)
        #: must not wake up later and take a reply scripted for whatever runs next.
        self.generation = 0

    def record(self, request: RecordedRequest) -> None:
        """Append to the request log."""
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log."""
        with self._lock:
            return list(self._requests)

    def script(self, replies: tuple[ChatReply, ...]) -> None:
        """Queue replies for the next chat completions."""
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> ChatReply | None:
        """Pop the next scripted reply."""
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def inject(self, fault: Fault, times: int, path: str) -> None:
        """Queue `fault` for the next `times` requests whose path ends with `path` (`*` = any)."""
        if times > 0:
            with self._lock:
                self._faults.append(_PendingFault(fault, times, path))

    def take_fault(self, path: str) -> Fault | None:
        """The fault for a request to `path`, consuming one use of it."""
        with self._lock:
            for pending in self._faults:
                if pending.path == "*" or path.endswith(pending.path):
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self._faults.remove(pending)
                    return pending.fault
        return None

    def clear(self) -> None:
        """Forget requests, scripted replies, faults, cached prompt prefixes, stored responses,
        TEE records (the tampered mode too) and provider outages; `accept_any_model` goes back to
        the constructor's value."""
        with self._lock:
            self.generation += 1
            self._requests.clear()
            self._replies.clear()
            self._faults.clear()
        self.cache.clear()
        self.routes.clear()
        self.accept_any_model = self.default_accept_any_model
        self.responses.clear()
        self.responses.background_polls = 2
        self.tee.clear()
        self.batches.clear()
        self.limits.reset()
