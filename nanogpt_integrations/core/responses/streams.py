"""Responses API streams: typed events over the shared SSE stream, errors raised, a terminal
event enforced (api-reference/endpoint/responses.mdx, "Streaming")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from ..errors import StreamError, stream_error_from_frame
from ..streaming import AsyncStream, Stream
from .models import TERMINAL_EVENTS, ResponseStreamEvent


def raise_for_event(event: ResponseStreamEvent, request_id: str | None) -> None:
    """Raise :class:`StreamError` for ``response.failed`` and ``error`` events."""
    if event.type == "error":
        # OpenAI-style error event: code/message at the top level (no ``error`` object).
        raise stream_error_from_frame(
            {"error": {"code": event.code, "message": event.message, "param": event.param}}, request_id
        )
    if event.type == "response.failed":
        error = event.response.error if event.response is not None else None
        if not isinstance(error, dict):
            error = {"message": "NanoGPT reported the response as failed"}
        raise stream_error_from_frame({"error": error}, request_id)


def _eof_without_terminal(request_id: str | None) -> StreamError:
    return StreamError(
        "Responses stream ended without response.completed/incomplete/failed: the reply may be incomplete",
        request_id=request_id,
    )


class ResponseEventStream:
    """Typed Responses events over the chat :class:`Stream` machinery.

    ``response.failed`` and ``error`` events raise :class:`StreamError`; so does an end of stream
    before a terminal event. After a terminal event a missing ``[DONE]`` is tolerated (api-reference/endpoint/responses.mdx
    says streams end with ``[DONE]``; OpenAI's own Responses streams do not send it).
    """

    def __init__(self, stream: Stream[ResponseStreamEvent]) -> None:
        self._stream = stream
        self.request_id = stream.request_id

    @property
    def response(self) -> httpx.Response:
        """The underlying ``httpx.Response``."""
        return self._stream.response

    def __iter__(self) -> Iterator[ResponseStreamEvent]:
        terminal = False
        try:
            for event in self._stream:
                raise_for_event(event, self.request_id)
                if event.type in TERMINAL_EVENTS:
                    terminal = True
                yield event
        except StreamError:
            if not terminal:
                raise
            return
        if not terminal:
            raise _eof_without_terminal(self.request_id)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> ResponseEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncResponseEventStream:
    """Async twin of :class:`ResponseEventStream`."""

    def __init__(self, stream: AsyncStream[ResponseStreamEvent]) -> None:
        self._stream = stream
        self.request_id = stream.request_id

    @property
    def response(self) -> httpx.Response:
        """The underlying ``httpx.Response``."""
        return self._stream.response

    async def __aiter__(self) -> AsyncIterator[ResponseStreamEvent]:
        terminal = False
        try:
            async for event in self._stream:
                raise_for_event(event, self.request_id)
                if event.type in TERMINAL_EVENTS:
                    terminal = True
                yield event
        except StreamError:
            if not terminal:
                raise
            return
        if not terminal:
            raise _eof_without_terminal(self.request_id)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def __aenter__(self) -> AsyncResponseEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# -- one turn, however it arrived -----------------------------------------------------------------
