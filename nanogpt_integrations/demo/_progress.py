"""A small stderr spinner for steps that wait longer than a moment (terminals only, stdlib only)."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Spinner"]

_FRAMES = "|/-\\"


class Spinner:
    """Draws ``| label 1.2s`` on ``stream`` while waiting, once the wait exceeds ``delay`` seconds.

    Use as a context manager around a wait; call :meth:`stop` as soon as output is about to be
    printed (e.g. the first streamed token), so the spinner never interleaves with it. Draws only
    when ``stream`` is a terminal unless ``enabled`` says otherwise.
    """

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        delay: float = 0.5,
        interval: float = 0.1,
        enabled: bool | None = None,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.interval = interval
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.drawn = False
        self._started = 0.0
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._width = 0

    def start(self) -> Spinner:
        """Start timing (and drawing, after ``delay``)."""
        self._started = time.monotonic()
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="nanogpt-demo-spinner", daemon=True)
            self._thread.start()
        return self

    @property
    def elapsed(self) -> float:
        """Seconds since :meth:`start`."""
        return time.monotonic() - self._started

    def _run(self) -> None:
        if self._done.wait(self.delay):
            return
        frame = 0
        while not self._done.is_set():
            with self._lock:
                if self._done.is_set():
                    return
                text = f"\r{_FRAMES[frame % len(_FRAMES)]} {self.label} {self.elapsed:.1f}s"
                self._width = max(self._width, len(text) - 1)
                self.stream.write(text)
                self.stream.flush()
                self.drawn = True
            frame += 1
            self._done.wait(self.interval)

    def stop(self) -> None:
        """Stop and erase the spinner line (idempotent)."""
        with self._lock:
            if self._done.is_set():
                return
            self._done.set()
            if self.drawn:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)

    def __enter__(self) -> Spinner:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
