"""Incremental Server-Sent Events decoder (WHATWG rules) used for every NanoGPT stream.

Handles LF, CR and CRLF line ends split anywhere across network chunks, multi-line ``data:``
fields (joined with ``\\n``), comments / keep-alives (``:`` lines) and ``event``/``id``/``retry``
fields. ``[DONE]`` is an ordinary event here; the stream layer interprets it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent", "aiter_sse", "iter_sse"]


class ServerSentEvent(NamedTuple):
    """One dispatched event (a NamedTuple: cheap to create, immutable)."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed raw bytes, get complete events; call :meth:`flush` at EOF."""

    __slots__ = ("_buffer", "_data", "_event", "_id", "_pending_cr", "_retry")

    def __init__(self) -> None:
        self._buffer = b""
        self._pending_cr = False
        self._data: list[bytes] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completes."""
        if not chunk:
            return []
        if self._pending_cr and chunk.startswith(b"\n"):
            # The CR of a CRLF pair ended the previous chunk: drop the LF.
            chunk = chunk[1:]
        self._pending_cr = False
        buf = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buf:
            self._pending_cr = buf.endswith(b"\r")
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        data = self._data
        for raw in lines:
            # Fast path for the two lines that make up nearly every chat stream.
            if raw.startswith(b"data:"):
                data.append(raw[6:] if raw[5:6] == b" " else raw[5:])
            elif not raw:
                if data or self._event is not None:
                    events.append(self._dispatch())
            else:
                self._field(raw)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of input: a final line without newline still counts; an unterminated event is dispatched."""
        if self._buffer:
            raw, self._buffer = self._buffer, b""
            if raw.startswith(b"data:"):
                self._data.append(raw[6:] if raw[5:6] == b" " else raw[5:])
            else:
                self._field(raw)
        if self._data or self._event is not None:
            return [self._dispatch()]
        return []

    def _dispatch(self) -> ServerSentEvent:
        data = self._data
        text = (data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace")
        event = ServerSentEvent(text, self._event or "message", self._id, self._retry)
        self._data.clear()  # cleared in place: feed() holds a reference to this list
        self._event = None
        self._retry = None
        return event

    def _field(self, raw: bytes) -> None:
        """A non-data line: comment, ``event``, ``id``, ``retry`` or an ignored field."""
        if raw[:1] == b":":
            return  # comment / keep-alive
        line = raw.decode("utf-8", "replace")
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":  # "data" without a colon: an empty data line
            self._data.append(value.encode())
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)


def iter_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Decode an iterable of byte chunks into events."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()


async def aiter_sse(chunks: AsyncIterator[bytes]) -> AsyncIterator[ServerSentEvent]:
    """Async variant of :func:`iter_sse`."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
