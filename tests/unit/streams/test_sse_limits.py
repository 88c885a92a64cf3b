"""SSEDecoder on hostile input: very long lines stay linear, one event is capped (issue 12.7)."""

from __future__ import annotations

import pytest

from nanogpt_integrations.core import (
    DEFAULT_MAX_EVENT_BYTES,
    EventTooLargeError,
    ServerSentEvent,
    SSEDecoder,
    StreamError,
    iter_sse,
)


def pieces(blob: bytes, size: int) -> list[bytes]:
    return [blob[i : i + size] for i in range(0, len(blob), size)]


def test_default_cap_is_64_mib() -> None:
    assert DEFAULT_MAX_EVENT_BYTES == 64 * 1024 * 1024
    decoder = SSEDecoder()
    line = b"data: " + b"x" * 1000
    assert decoder.feed(line) == []
    assert decoder.feed(b"\n\n") == [ServerSentEvent(data="x" * 1000)]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_a_long_line_split_into_many_chunks_decodes_exactly(eol: bytes) -> None:
    payload = bytes(range(32, 127)) * 40_000  # ~3.8 MB of printable bytes
    blob = b"event: big\n".replace(b"\n", eol) + b"data: " + payload + eol + b"data: tail" + eol + eol
    blob += b"data: after" + eol + eol
    events = list(iter_sse(pieces(blob, 4093)))
    assert [e.event for e in events] == ["big", "message"]
    assert events[0].data == payload.decode() + "\ntail"
    assert events[1].data == "after"


def test_a_long_line_is_kept_as_pieces_until_it_ends() -> None:
    """Linear by construction: each chunk of an unfinished line is stored once, never re-joined
    with the ones before it (the old decoder copied the whole buffer on every chunk: 50 MB took
    28 s). The time itself is measured in the report, not asserted here."""
    decoder = SSEDecoder()
    decoder.feed(b"data: ")
    for _ in range(500):
        assert decoder.feed(b"y" * 1000) == []
    assert len(decoder._partial) == 501  # one piece per chunk, nothing joined yet
    (event,) = decoder.feed(b"\n\n")
    assert event.data == "y" * 500_000
    assert decoder._partial == []


def test_event_over_the_cap_raises_typed_error() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    with pytest.raises(EventTooLargeError) as info:
        decoder.feed(b"data: " + b"z" * 1001 + b"\n\n")
    assert isinstance(info.value, StreamError)
    assert info.value.limit == 1000
    assert "max_event_bytes=1000" in str(info.value)


def test_a_line_that_never_ends_is_stopped_at_the_cap() -> None:
    decoder = SSEDecoder(max_event_bytes=10_000)
    decoder.feed(b"data: ")
    with pytest.raises(EventTooLargeError):
        for _ in range(100):
            decoder.feed(b"w" * 1000)
    assert sum(map(len, decoder._partial)) <= 11_000  # memory bounded by the cap, not by the server
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"\n\n")  # the decoder stays failed


def test_many_small_data_lines_without_a_blank_line_are_capped() -> None:
    decoder = SSEDecoder(max_event_bytes=5_000)
    with pytest.raises(EventTooLargeError):
        for _ in range(1000):
            decoder.feed(b"data: 0123456789\n")


def test_a_long_comment_line_counts_too() -> None:
    decoder = SSEDecoder(max_event_bytes=2_000)
    with pytest.raises(EventTooLargeError):
        for _ in range(10):
            decoder.feed(b": " + b"c" * 500)


def test_events_completed_before_the_oversized_one_are_returned_first() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    events = decoder.feed(b"data: one\n\ndata: two\n\ndata: " + b"q" * 200 + b"\n\n")
    assert [e.data for e in events] == ["one", "two"]
    assert isinstance(decoder.error, EventTooLargeError)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: three\n\n")
    with pytest.raises(EventTooLargeError):
        decoder.flush()


def test_iter_sse_delivers_then_raises() -> None:
    got: list[str] = []
    with pytest.raises(EventTooLargeError):
        for event in iter_sse(
            [b"data: a\n\ndata: " + b"b" * 50 + b"\n\n", b"data: c\n\n"], max_event_bytes=10
        ):
            got.append(event.data)
    assert got == ["a"]


def test_an_event_exactly_at_the_cap_passes() -> None:
    decoder = SSEDecoder(max_event_bytes=64)
    assert decoder.feed(b"data: " + b"e" * 64 + b"\n\n") == [ServerSentEvent(data="e" * 64)]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "64", True, None])
def test_bad_cap_is_rejected_naming_the_parameter(bad: object) -> None:
    with pytest.raises(ValueError, match="max_event_bytes"):
        SSEDecoder(max_event_bytes=bad)  # type: ignore[arg-type]
