"""Typed chunk streams over SSE: error frames, malformed frames and EOF without ``[DONE]`` raise.

A stream is never retried once it has been handed to the caller (the retry layer only sees the
status line and headers), so nothing is ever yielded twice. Every chunk that arrived before a
failure is delivered before the typed error is raised. Two limits (docs/streams-and-limits.md):
``max_event_bytes`` caps one event (:class:`EventTooLargeError`) and the optional
``stream_deadline`` bounds the whole stream (:class:`StreamDeadlineError`); ``timeout`` is per read.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar, cast

import httpx
from pydantic import BaseModel, ValidationError

from .errors import (
    APITimeoutError,
    NanoGPTError,
    StreamDeadlineError,
    StreamError,
    stream_error_from_frame,
)
from .sse import DEFAULT_MAX_EVENT_BYTES, ServerSentEvent, SSEDecoder, check_max_event_bytes

if TYPE_CHECKING:
    from ._config import ClientConfig

__all__ = ["AsyncStream", "Stream", "StreamLimits", "check_stream_deadline", "parse_event", "stream_limits"]

T = TypeVar("T", bound=BaseModel)

_DONE = object()
_SKIP = object()


def _trailer_pricing(data: str) -> dict[str, Any] | None:
    """``<NanoGPT>{json}</NanoGPT>`` metadata events (the legacy trailer of
    ``api-reference/endpoint/talk-to-gpt.mdx``; whether chat streams send it is uncertain)."""
    start = data.find("<NanoGPT>")
    end = data.find("</NanoGPT>")
    if start < 0 or end < start:
        return None
    try:
        meta = json.loads(data[start + len("<NanoGPT>") : end])
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def _frame_error(error: Any, request_id: str | None) -> StreamError:
    """The typed error of an in-band error frame; ``status`` also read from ``status_code`` (Groq)
    or a numeric ``code`` (OpenRouter), as recorded from those upstreams."""
    err = stream_error_from_frame({"error": error} if error is not None else {}, request_id)
    if err.status is None and isinstance(error, dict):
        for key in ("status_code", "code"):
            value = error.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                err.status = value
                break
    return err


def parse_event(event: ServerSentEvent, model: type[T], request_id: str | None) -> Any:
    """Return a parsed chunk, ``_DONE`` at ``[DONE]``, ``_SKIP`` for keep-alives; raise on errors."""
    data = event.data
    stripped = data.strip()
    if stripped == "[DONE]":
        return _DONE
    if not stripped:
        return _SKIP
    if stripped.startswith("<NanoGPT>"):
        meta = _trailer_pricing(stripped)
        if meta is None:
            raise StreamError(
                "malformed <NanoGPT> metadata frame in stream", request_id=request_id, body=data
            )
        return model.model_validate({"x_nanogpt_pricing": meta})
    try:
        chunk = model.model_validate_json(stripped)
    except ValidationError as exc:
        raise StreamError(
            f"malformed frame in stream: {exc.errors()[0]['msg']}", request_id=request_id, body=data[:2000]
        ) from None
    error = getattr(chunk, "error", None)
    if error is not None or event.event == "error":
        raise _frame_error(error, request_id)
    choices = getattr(chunk, "choices", None)
    if choices:
        for choice in choices:  # a plain loop: this runs for every chunk of every stream
            if getattr(choice, "finish_reason", None) == "error":
                raise stream_error_from_frame({}, request_id)
    return chunk


def check_stream_deadline(value: object) -> float | None:
    """``stream_deadline`` must be None or a positive, finite number of seconds; returns it as float."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"stream_deadline must be None or a positive number of seconds; got {value!r}")
    return float(value)


class StreamLimits(TypedDict):
    """The keyword arguments a client passes to :class:`Stream` / :class:`AsyncStream`."""

    max_event_bytes: int
    stream_deadline: float | None
    started: float


def stream_limits(config: ClientConfig, stream_deadline: float | None, started: float) -> StreamLimits:
    """The limits of one stream: the client's event cap, and the per-call deadline if given, else
    the client's; ``started`` is when the call began (``time.monotonic()``)."""
    deadline = config.stream_deadline if stream_deadline is None else check_stream_deadline(stream_deadline)
    return StreamLimits(max_event_bytes=config.max_event_bytes, stream_deadline=deadline, started=started)


def _eof_error(request_id: str | None, partial: int = 0) -> StreamError:
    extra = f" (the last {partial} event(s) arrived without their closing blank line)" if partial else ""
    return StreamError(
        "stream ended before [DONE]: the connection closed early, the reply may be incomplete" + extra,
        request_id=request_id,
    )


def _deadline_error(seconds: float, request_id: str | None) -> StreamDeadlineError:
    err = StreamDeadlineError(
        f"the stream did not finish within stream_deadline={seconds:g}s (timeout applies per read; "
        "the deadline bounds the whole stream)",
        request_id=request_id,
    )
    err.deadline = seconds
    return err


def _read_error(exc: httpx.HTTPError, request_id: str | None) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"timed out waiting for the next stream event: {exc}", request_id=request_id)
    return StreamError(f"connection lost mid-stream: {exc!r}", request_id=request_id)


class _ChunkDecoder(Generic[T]):
    """Bytes in, typed chunks out: the part of a stream that does not care about sync or async.

    After ``[DONE]`` it swallows the rest of the body (so the connection can return to the pool).
    A failure (error frame, malformed frame, oversized event, EOF without ``[DONE]``) after some
    chunks of the same read is kept in :attr:`error`: the stream delivers those chunks first, then
    raises it.
    """

    __slots__ = ("done", "error", "model", "request_id", "sse")

    def __init__(
        self, model: type[T], request_id: str | None, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ) -> None:
        self.sse = SSEDecoder(max_event_bytes)
        self.model = model
        self.request_id = request_id
        self.done = False
        self.error: NanoGPTError | None = None

    def _parse(self, events: list[ServerSentEvent]) -> list[T]:
        out: list[T] = []
        try:
            for event in events:
                item = parse_event(event, self.model, self.request_id)
                if item is _DONE:
                    self.done = True
                    return out
                if item is not _SKIP:
                    out.append(item)
        except NanoGPTError as exc:
            if not out:
                raise
            self.error = exc
            return out
        late = self.sse.error  # the cap was passed after the events above
        if late is not None:
            late.request_id = self.request_id
            if not out:
                raise late
            self.error = late
        return out

    def feed(self, raw: bytes) -> list[T]:
        if self.done:
            return []
        try:
            events = self.sse.feed(raw)
        except StreamError as exc:
            exc.request_id = self.request_id
            raise
        return self._parse(events)

    def finish(self) -> list[T]:
        """Chunks left at EOF; when ``[DONE]`` never came they are returned and :attr:`error`
        holds the :class:`StreamError` to raise after them (raised at once if there are none)."""
        if self.done:
            return []
        items = self._parse(self.sse.flush())
        if not self.done and self.error is None:
            self.error = _eof_error(self.request_id, partial=len(items))
            if not items:
                raise self.error
        return items


class _Limits:
    """The per-stream limits: the event cap and the absolute deadline (``time.monotonic()``)."""

    __slots__ = ("deadline", "max_event_bytes", "seconds")

    def __init__(self, max_event_bytes: int, stream_deadline: float | None, started: float | None) -> None:
        self.max_event_bytes = check_max_event_bytes(max_event_bytes)
        self.seconds = check_stream_deadline(stream_deadline)
        self.deadline: float | None = None
        if self.seconds is not None:
            self.deadline = (time.monotonic() if started is None else started) + self.seconds

    def passed(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def error(self, request_id: str | None) -> StreamDeadlineError:
        return _deadline_error(self.seconds or 0.0, request_id)

    def read_error(self, exc: httpx.HTTPError, request_id: str | None) -> Exception:
        """A transport failure mid-stream; a read timeout at or past the deadline is the deadline."""
        if isinstance(exc, httpx.TimeoutException) and self.passed():
            return self.error(request_id)
        return _read_error(exc, request_id)

    def cap_read_timeout(self, response: httpx.Response) -> None:
        """Lower the read timeout of ``response`` to the time left, so a server that goes silent is
        cut near the deadline instead of after a full ``timeout``. httpcore reads this value when
        the body starts streaming, so it must run before the first read; with other transports
        (mocks) it has no effect and the deadline is checked after every read only."""
        assert self.deadline is not None
        try:
            extensions = response.request.extensions
        except RuntimeError:  # a response built without a request
            return
        timeouts = extensions.get("timeout")
        left = max(self.deadline - time.monotonic(), 0.001)
        if isinstance(timeouts, dict):
            read = timeouts.get("read")
            if read is None or read > left:
                extensions["timeout"] = {**timeouts, "read": left}


class Stream(Generic[T]):
    """Iterate typed chunks; use as a context manager (or exhaust it) to release the connection.

    ``max_event_bytes`` caps one event (:class:`EventTooLargeError`); ``stream_deadline`` (seconds,
    counted from ``started``, a ``time.monotonic()`` value, or from now) bounds the whole stream
    (:class:`StreamDeadlineError`), keep-alive comments included.
    """

    def __init__(
        self,
        response: httpx.Response,
        model: type[T],
        on_close: Callable[[], None] | None = None,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        stream_deadline: float | None = None,
        started: float | None = None,
    ):
        self.response = response
        self._model = model
        self._on_close = on_close
        self._limits = _Limits(max_event_bytes, stream_deadline, started)
        self.request_id: str | None = response.headers.get("x-request-id")

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    def __iter__(self) -> Iterator[T]:
        limits = self._limits
        decoder = _ChunkDecoder(self._model, self.request_id, limits.max_event_bytes)
        try:
            try:
                if limits.deadline is None:
                    for raw in self.response.iter_bytes():
                        yield from decoder.feed(raw)
                        if decoder.error is not None:
                            raise decoder.error
                else:
                    yield from self._until_deadline(decoder)
            except httpx.HTTPError as exc:
                if decoder.done:
                    return
                raise limits.read_error(exc, self.request_id) from exc
            yield from decoder.finish()
            if decoder.error is not None:
                raise decoder.error
        finally:
            self.close()

    def _until_deadline(self, decoder: _ChunkDecoder[T]) -> Iterator[T]:
        limits = self._limits
        limits.cap_read_timeout(self.response)
        for raw in self.response.iter_bytes():
            yield from decoder.feed(raw)
            if decoder.error is not None:
                raise decoder.error
            if limits.passed():
                if decoder.done:
                    return  # only the rest of a finished body was left to read
                raise limits.error(self.request_id)

    def close(self) -> None:
        self.response.close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(Generic[T]):
    """Async twin of :class:`Stream`; with a deadline, a read in progress is cancelled at it."""

    def __init__(
        self,
        response: httpx.Response,
        model: type[T],
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        stream_deadline: float | None = None,
        started: float | None = None,
    ):
        self.response = response
        self._model = model
        self._limits = _Limits(max_event_bytes, stream_deadline, started)
        self.request_id: str | None = response.headers.get("x-request-id")

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    async def __aiter__(self) -> AsyncIterator[T]:
        limits = self._limits
        decoder = _ChunkDecoder(self._model, self.request_id, limits.max_event_bytes)
        try:
            try:
                if limits.deadline is None:
                    async for raw in self.response.aiter_bytes():
                        for item in decoder.feed(raw):
                            yield item
                        if decoder.error is not None:
                            raise decoder.error
                else:
                    async for item in self._until_deadline(decoder):
                        yield item
            except httpx.HTTPError as exc:
                if decoder.done:
                    return
                raise limits.read_error(exc, self.request_id) from exc
            for item in decoder.finish():
                yield item
            if decoder.error is not None:
                raise decoder.error
        finally:
            await self.response.aclose()

    async def _until_deadline(self, decoder: _ChunkDecoder[T]) -> AsyncIterator[T]:
        import anyio  # httpx's own dependency; only needed when a deadline is set

        limits = self._limits
        deadline = cast(float, limits.deadline)
        limits.cap_read_timeout(self.response)
        reads = self.response.aiter_bytes()
        try:
            while True:
                try:
                    with anyio.fail_after(max(deadline - time.monotonic(), 0.0)):
                        raw = await reads.__anext__()
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    if decoder.done:
                        return  # only the rest of a finished body was left to read
                    raise limits.error(self.request_id) from None
                for item in decoder.feed(raw):
                    yield item
                if decoder.error is not None:
                    raise decoder.error
                if limits.passed():
                    if decoder.done:
                        return
                    raise limits.error(self.request_id)
        finally:
            close = getattr(reads, "aclose", None)
            if close is not None:
                await close()

    async def aclose(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
