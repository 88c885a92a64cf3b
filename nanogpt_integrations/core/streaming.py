"""Typed chunk streams over SSE: error frames, malformed frames and EOF without ``[DONE]`` raise.

A stream is never retried once it has been handed to the caller (the retry layer only sees the
status line and headers), so nothing is ever yielded twice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .errors import APITimeoutError, StreamError, stream_error_from_frame
from .sse import ServerSentEvent, SSEDecoder

__all__ = ["AsyncStream", "Stream", "parse_event"]

T = TypeVar("T", bound=BaseModel)

_DONE = object()
_SKIP = object()


def _trailer_pricing(data: str) -> dict[str, Any] | None:
    """``<NanoGPT>{json}</NanoGPT>`` metadata events (seen in one client, reference §2.8, uncertain)."""
    start = data.find("<NanoGPT>")
    end = data.find("</NanoGPT>")
    if start < 0 or end < start:
        return None
    try:
        meta = json.loads(data[start + len("<NanoGPT>") : end])
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


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
        raise stream_error_from_frame({"error": error} if error is not None else {}, request_id)
    choices = getattr(chunk, "choices", None)
    if choices:
        for choice in choices:  # a plain loop: this runs for every chunk of every stream
            if getattr(choice, "finish_reason", None) == "error":
                raise stream_error_from_frame({}, request_id)
    return chunk


def _eof_error(request_id: str | None, partial: int = 0) -> StreamError:
    extra = f" ({partial} unterminated event(s) at the end were not delivered)" if partial else ""
    return StreamError(
        "stream ended before [DONE]: the connection closed early, the reply may be incomplete" + extra,
        request_id=request_id,
    )


def _read_error(exc: httpx.HTTPError, request_id: str | None) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"timed out waiting for the next stream event: {exc}", request_id=request_id)
    return StreamError(f"connection lost mid-stream: {exc!r}", request_id=request_id)


class _ChunkDecoder(Generic[T]):
    """Bytes in, typed chunks out: the part of a stream that does not care about sync or async.

    After ``[DONE]`` it swallows the rest of the body (so the connection can return to the pool);
    :meth:`finish` raises when the body ended without ``[DONE]``.
    """

    __slots__ = ("done", "model", "request_id", "sse")

    def __init__(self, model: type[T], request_id: str | None) -> None:
        self.sse = SSEDecoder()
        self.model = model
        self.request_id = request_id
        self.done = False

    def _parse(self, events: list[ServerSentEvent]) -> list[T]:
        out: list[T] = []
        for event in events:
            item = parse_event(event, self.model, self.request_id)
            if item is _DONE:
                self.done = True
                break
            if item is not _SKIP:
                out.append(item)
        return out

    def feed(self, raw: bytes) -> list[T]:
        return [] if self.done else self._parse(self.sse.feed(raw))

    def finish(self) -> list[T]:
        """Events left at EOF; raises :class:`StreamError` if ``[DONE]`` never came."""
        if self.done:
            return []
        items = self._parse(self.sse.flush())
        if not self.done:
            if items:
                # Deliver what arrived before failing: callers see the partial reply via the error.
                raise _eof_error(self.request_id, partial=len(items))
            raise _eof_error(self.request_id)
        return items


class Stream(Generic[T]):
    """Iterate typed chunks; use as a context manager (or exhaust it) to release the connection."""

    def __init__(self, response: httpx.Response, model: type[T], on_close: Callable[[], None] | None = None):
        self.response = response
        self._model = model
        self._on_close = on_close
        self.request_id: str | None = response.headers.get("x-request-id")

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    def __iter__(self) -> Iterator[T]:
        decoder = _ChunkDecoder(self._model, self.request_id)
        try:
            try:
                for raw in self.response.iter_bytes():
                    yield from decoder.feed(raw)
            except httpx.HTTPError as exc:
                if decoder.done:
                    return
                raise _read_error(exc, self.request_id) from exc
            yield from decoder.finish()
        finally:
            self.close()

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
    """Async twin of :class:`Stream`."""

    def __init__(self, response: httpx.Response, model: type[T]):
        self.response = response
        self._model = model
        self.request_id: str | None = response.headers.get("x-request-id")

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    async def __aiter__(self) -> AsyncIterator[T]:
        decoder = _ChunkDecoder(self._model, self.request_id)
        try:
            try:
                async for raw in self.response.aiter_bytes():
                    for item in decoder.feed(raw):
                        yield item
            except httpx.HTTPError as exc:
                if decoder.done:
                    return
                raise _read_error(exc, self.request_id) from exc
            for item in decoder.finish():
                yield item
        finally:
            await self.response.aclose()

    async def aclose(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
