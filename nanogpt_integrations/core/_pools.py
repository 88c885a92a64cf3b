"""Connection pools that follow the process and the event loop they were opened in.

- **fork**: a pool holds sockets; after ``os.fork()`` parent and child would share them (garbled
  bodies, one process reading the other's reply). Every object that opened a pool is tracked, and
  in the child :func:`os.register_at_fork` makes each forget its pools without closing them (closing
  would act on the parent's connections); the child opens fresh ones on first use.
- **event loops**: an ``httpx.AsyncClient`` belongs to the loop it first ran in. :class:`LoopPools`
  keeps one per loop and closes it while that loop shuts down: ``asyncio.run`` (and ``Runner``,
  pytest-asyncio) close every live async generator before closing the loop, and each pool comes
  with a tiny one whose ``finally`` closes it. A loop closed without that step is noticed the
  next time a pool is opened, and its pool is dropped. So 1,000 ``asyncio.run`` calls leave no
  pools and no sockets behind (a table weakly keyed on the loop cannot do this: the pool's
  connections keep their loop alive).

The hot path is one attribute read and an identity check; everything else runs once per pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

    import httpx

__all__ = ["LoopPools", "forks", "shared_ssl_context", "track_for_fork"]

logger = logging.getLogger("nanogpt_integrations")

#: Objects holding a pool, told after a fork (``_after_fork()``); weak, so tracking keeps nothing alive.
_tracked: weakref.WeakSet[Any] = weakref.WeakSet()
#: Close tasks scheduled on other loops, kept referenced until they finish.
_closing: set[asyncio.Future[Any]] = set()


class _Forks:
    """How many times this process is a forked child of the one that imported this module."""

    count = 0


forks = _Forks


def track_for_fork(obj: Any) -> None:
    """Call ``obj._after_fork()`` in a child process forked after this call."""
    _tracked.add(obj)


def _after_fork_in_child() -> None:
    _Forks.count += 1
    for obj in list(_tracked):
        try:
            obj._after_fork()
        except Exception:  # pragma: no cover - never let a hook break the child
            logger.debug("nanogpt: after-fork reset failed for %r", obj, exc_info=True)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


_ssl_lock = threading.Lock()
_ssl_context: list[ssl.SSLContext] = []


def shared_ssl_context() -> ssl.SSLContext:
    """The TLS context of every pool we open, built once per process: building one (loading the
    CA bundle) costs ~30 ms, which each new event loop's pool would otherwise pay again. Built as
    httpx builds its default (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` honoured, else certifi)."""
    if not _ssl_context:
        with _ssl_lock:
            if not _ssl_context:
                import httpx

                _ssl_context.append(httpx.create_ssl_context())
    return _ssl_context[0]


# -- async pools, one per event loop --------------------------------------------------------------


async def _closes_with_loop(
    pools: weakref.ref[LoopPools], loop: asyncio.AbstractEventLoop, pool: httpx.AsyncClient
) -> AsyncGenerator[None, None]:
    """Suspended for the pool's life; closed (and so closing the pool) by the loop's shutdown."""
    try:
        yield
    finally:
        owner = pools()
        if owner is not None:
            owner._forget(loop, pool)
        try:
            await pool.aclose()
        except Exception:  # a pool whose connections broke still counts as closed
            logger.debug("nanogpt: closing an async pool failed", exc_info=True)


def _leave_open(agen: Any) -> None:
    """Async-generator finalizer of a closer collected before its loop shut down (its client went
    away first): do nothing. The pool may still serve a stream the client returned; it is freed
    with the last response using it. (The loop's own finalizer would close it from under that
    stream, or fail on a closed loop or in a forked child.)"""


def _close_in_loop(loop: asyncio.AbstractEventLoop, agen: Any) -> None:
    task = loop.create_task(agen.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


def _start(agen: AsyncGenerator[None, None]) -> None:
    """Run ``agen`` to its ``yield`` now, registered with the running loop (so the loop's
    ``shutdown_asyncgens`` closes it) and with our finalizer instead of the loop's one."""
    firstiter, finalizer = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter, _leave_open)
    try:
        with contextlib.suppress(StopIteration):  # the body runs to its ``yield`` at once
            agen.asend(None).send(None)
    finally:
        sys.set_asyncgen_hooks(firstiter, finalizer)


class LoopPools:
    """One ``httpx.AsyncClient`` per running event loop, closed when that loop shuts down.

    ``last`` is the (loop, pool) pair used last: callers compare the running loop with it by
    identity and only call :meth:`open` when it differs (the first call in a loop).
    """

    __slots__ = ("__weakref__", "_by_loop", "_lock", "last")

    def __init__(self) -> None:
        self.last: tuple[asyncio.AbstractEventLoop | None, Any] = (None, None)
        self._by_loop: dict[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, Any]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many pools are open (one per loop that used this client and has not shut down)."""
        return len(self._by_loop)

    def open(
        self, loop: asyncio.AbstractEventLoop, factory: Callable[[], httpx.AsyncClient]
    ) -> httpx.AsyncClient:
        """The pool of ``loop`` (the running one), opened with ``factory`` on first use."""
        entry = self._by_loop.get(loop)
        if entry is None:
            with self._lock:
                self._drop_closed_loops()
                pool = factory()
                closer = _closes_with_loop(weakref.ref(self), loop, pool)
                _start(closer)
                entry = self._by_loop[loop] = (pool, closer)
            track_for_fork(self)
        self.last = (loop, entry[0])
        return entry[0]

    def _drop_closed_loops(self) -> None:
        """Forget pools of loops closed without shutting down their async generators."""
        for loop in [loop for loop in self._by_loop if loop.is_closed()]:
            del self._by_loop[loop]
        if self.last[0] is not None and self.last[0].is_closed():
            self.last = (None, None)

    def _forget(self, loop: asyncio.AbstractEventLoop, pool: httpx.AsyncClient) -> None:
        entry = self._by_loop.get(loop)
        if entry is not None and entry[0] is pool:
            del self._by_loop[loop]
        if self.last[0] is loop:
            self.last = (None, None)

    async def aclose_current(self) -> None:
        """Close the running loop's pool now (the next call in this loop opens a new one)."""
        entry = self._by_loop.get(asyncio.get_running_loop())
        if entry is not None:
            await entry[1].aclose()  # runs the closer's ``finally``: forget, then close

    def release(self) -> None:
        """Close every pool without waiting (from any thread, no loop needed): each is closed
        by its own loop when that loop runs next; pools of closed loops are dropped."""
        with self._lock:
            entries = list(self._by_loop.items())
            self._by_loop.clear()
            self.last = (None, None)
        for loop, (_pool, closer) in entries:
            if loop.is_closed():
                continue
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(_close_in_loop, loop, closer)

    def _after_fork(self) -> None:
        """In a forked child: forget the parent's pools, never closing them."""
        self._lock = threading.Lock()
        self._by_loop = {}
        self.last = (None, None)
