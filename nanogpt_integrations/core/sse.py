"""Incremental Server-Sent Events decoder (WHATWG rules) used for every NanoGPT stream.

Handles LF, CR and CRLF line ends split anywhere across network chunks, multi-line ``data:``
fields (joined with ``\\n``), comments / keep-alives (``:`` lines) and ``event``/``id``/``retry``
fields. ``[DONE]`` is an ordinary event here; the stream layer interprets it.

Linear in the input: a line that spans many network chunks is kept as a list of pieces and joined
once, when its end arrives (a 50 MB ``data:`` line costs what httpx's own line reader costs). One
event is capped at ``max_event_bytes`` (default 64 MiB): past it :class:`EventTooLargeError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import NamedTuple

from .errors import EventTooLargeError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "ServerSentEvent", "aiter_sse", "iter_sse"]

#: The default cap on one event's data (and on a line not yet ended): 64 MiB.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024


class ServerSentEvent(NamedTuple):
    """One dispatched event (a NamedTuple: cheap to create, immutable)."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


def check_max_event_bytes(value: object) -> int:
    """``max_event_bytes`` must be an integer >= 1; returns it (a clear ValueError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_event_bytes must be an integer >= 1 (bytes); got {value!r}")
    return value


class SSEDecoder:
    """Feed raw bytes, get complete events; call :meth:`flush` at EOF.

    When an event grows past ``max_event_bytes``, the events completed before it in the same
    :meth:`feed` are returned and :attr:`error` is set; the next call raises it (a feed that
    completed nothing raises at once).
    """

    __slots__ = (
        "_counted",
        "_data",
        "_event",
        "_id",
        "_max",
        "_partial",
        "_partial_size",
        "_pending_cr",
        "_retry",
        "_size",
        "error",
    )

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = check_max_event_bytes(max_event_bytes)
        self._partial: list[bytes] = []  # pieces of a line whose end has not arrived yet
        self._partial_size = 0
        self._pending_cr = False
        self._data: list[bytes] = []
        self._size = 0  # bytes of the open event's data lines counted so far
        self._counted = 0  # how many of ``_data`` are in ``_size``
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        #: Set when the cap was passed after some events of the same feed were returned.
        self.error: EventTooLargeError | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completes."""
        if self.error is not None:
            raise self.error
        if not chunk:
            return []
        if self._pending_cr and chunk.startswith(b"\n"):
            # The CR of a CRLF pair ended the previous chunk: drop the LF.
            chunk = chunk[1:]
        self._pending_cr = False
        if b"\r" in chunk:
            self._pending_cr = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        partial = self._partial
        if partial:
            end = chunk.find(b"\n")
            if end < 0:
                # Still inside one long line: keep the piece, join once when the line ends.
                partial.append(chunk)
                self._partial_size += len(chunk)
                if self._partial_size + self._size > self._max:
                    raise self._too_large()
                return []
            partial.append(chunk[:end])
            self._long_line(partial)
            chunk = chunk[end + 1 :]
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            partial.append(tail)
            self._partial_size = len(tail)
        events: list[ServerSentEvent] = []
        data = self._data
        try:
            for raw in lines:
                # Fast path for the two lines that make up nearly every chat stream.
                if raw.startswith(b"data:"):
                    data.append(raw[6:] if raw[5:6] == b" " else raw[5:])
                elif not raw:
                    if data or self._event is not None:
                        events.append(self._dispatch())
                else:
                    self._field(raw)
            if data or tail:
                self._check_open_event()
        except EventTooLargeError as exc:
            if not events:
                raise
            self.error = exc
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of input: a final line without newline still counts; an unterminated event is dispatched."""
        if self.error is not None:
            raise self.error
        if self._partial:
            self._long_line(self._partial)
        if self._data or self._event is not None:
            return [self._dispatch()]
        return []

    def _long_line(self, pieces: list[bytes]) -> None:
        """A line that spanned several chunks, now ended: joined once, with a ``data:`` prefix cut
        from the first piece rather than from the joined line (one copy of a large line, not two)."""
        first = pieces[0]
        if len(first) >= 6 and first.startswith(b"data:"):
            pieces[0] = first[6:] if first[5:6] == b" " else first[5:]
            self._data.append(b"".join(pieces))
        else:
            raw = b"".join(pieces)
            if raw.startswith(b"data:"):
                self._data.append(raw[6:] if raw[5:6] == b" " else raw[5:])
            else:
                self._field(raw)
        pieces.clear()
        self._partial_size = 0

    def _check_open_event(self) -> None:
        """The event still open after a feed (and a line not yet ended) must fit the cap; counted
        incrementally, so a long run of small lines stays linear."""
        data = self._data
        if len(data) > self._counted:
            self._size += sum(map(len, data[self._counted :]))
            self._counted = len(data)
        if self._size + self._partial_size > self._max:
            raise self._too_large()

    def _too_large(self) -> EventTooLargeError:
        err = EventTooLargeError(
            f"a server-sent event is larger than max_event_bytes={self._max}; the stream was stopped "
            "(raise max_event_bytes on the client if such replies are expected)"
        )
        err.limit = self._max
        self.error = err
        return err

    def _dispatch(self) -> ServerSentEvent:
        data = self._data
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        if len(raw) > self._max:
            raise self._too_large()
        event = ServerSentEvent(
            raw.decode("utf-8", "replace"), self._event or "message", self._id, self._retry
        )
        data.clear()  # cleared in place: feed() holds a reference to this list
        if self._counted:  # the event spanned feeds (rare): reset its running size
            self._size = self._counted = 0
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


def iter_sse(
    chunks: Iterable[bytes], max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> Iterator[ServerSentEvent]:
    """Decode an iterable of byte chunks into events."""
    decoder = SSEDecoder(max_event_bytes)
    for chunk in chunks:
        yield from decoder.feed(chunk)
        if decoder.error is not None:
            raise decoder.error
    yield from decoder.flush()


async def aiter_sse(
    chunks: AsyncIterator[bytes], max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> AsyncIterator[ServerSentEvent]:
    """Async variant of :func:`iter_sse`."""
    decoder = SSEDecoder(max_event_bytes)
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
        if decoder.error is not None:
            raise decoder.error
    for event in decoder.flush():
        yield event
