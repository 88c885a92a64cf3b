"""SSE decoding (api-reference/miscellaneous/streaming-protocol.mdx): line ends, chunk boundaries, multi-line data, comments, fields, EOF."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanogpt_integrations.core import ServerSentEvent, SSEDecoder, aiter_sse, iter_sse


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    return list(iter_sse(chunks))


def datas(events: list[ServerSentEvent]) -> list[str]:
    return [e.data for e in events]


STREAM = (
    b": keep-alive\n"
    b'data: {"a": 1}\n'
    b"\n"
    b"event: ping\n"
    b"id: 7\n"
    b"retry: 1500\n"
    b"data: line one\n"
    b"data: line two\n"
    b"\n"
    b"data: [DONE]\n"
    b"\n"
)
EXPECTED = [
    ServerSentEvent(data='{"a": 1}'),
    ServerSentEvent(data="line one\nline two", event="ping", id="7", retry=1500),
    ServerSentEvent(data="[DONE]", id="7"),
]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending_decodes_the_same_events(eol: bytes) -> None:
    stream = STREAM.replace(b"\n", eol)
    assert decode(stream) == EXPECTED


def test_mixed_line_endings_in_one_stream() -> None:
    stream = b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"
    assert datas(decode(stream)) == ["a\nb\nc", "d"]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_split_at_every_byte_boundary(eol: bytes) -> None:
    stream = STREAM.replace(b"\n", eol)
    for cut in range(1, len(stream)):
        assert decode(stream[:cut], stream[cut:]) == EXPECTED, f"split at byte {cut}"


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_one_byte_at_a_time(eol: bytes) -> None:
    stream = STREAM.replace(b"\n", eol)
    assert decode(*[stream[i : i + 1] for i in range(len(stream))]) == EXPECTED


def test_crlf_split_between_cr_and_lf_is_one_line_end() -> None:
    # "data: a" CR | LF "data: b" CRLF CRLF: one event with two data lines, not two events.
    assert datas(decode(b"data: a\r", b"\ndata: b\r\n\r\n")) == ["a\nb"]


def test_empty_chunk_between_cr_and_lf_changes_nothing() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"data: a\r")
    events += decoder.feed(b"")
    events += decoder.feed(b"\ndata: b\r\n\r\n")
    events += decoder.flush()
    assert datas(events) == ["a\nb"]


def test_multibyte_utf8_split_across_chunks() -> None:
    payload = 'data: {"content": "héllo 🌍"}\n\n'.encode()
    cut = payload.index("🌍".encode()) + 2  # inside the 4-byte emoji
    assert datas(decode(payload[:cut], payload[cut:])) == ['{"content": "héllo 🌍"}']


def test_multi_line_data_joined_with_newline() -> None:
    assert datas(decode(b'data: {\ndata:  "x": 1\ndata: }\n\n')) == ['{\n "x": 1\n}']


def test_only_one_leading_space_is_stripped_and_no_colon_means_empty_value() -> None:
    events = decode(b"data:  two spaces\ndata:none\ndata\n\n")
    assert datas(events) == [" two spaces\nnone\n"]


def test_comments_and_keep_alives_produce_no_events() -> None:
    assert decode(b": ping\n\n:\n\n: another comment\n\n") == []
    assert datas(decode(b": ping\ndata: x\n: mid-event comment\n\n")) == ["x"]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode(b"\n\n\r\n\r\r\n") == []


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\ndata: x\nbaz\n\n") == [ServerSentEvent(data="x")]


def test_event_id_retry_fields() -> None:
    events = decode(b"event: error\nid: abc\nretry: 250\ndata: {}\n\ndata: next\n\n")
    assert events[0] == ServerSentEvent(data="{}", event="error", id="abc", retry=250)
    # event type and retry reset after dispatch; the last event id persists (WHATWG).
    assert events[1] == ServerSentEvent(data="next", event="message", id="abc", retry=None)


def test_non_numeric_retry_and_id_with_nul_are_ignored() -> None:
    events = decode(b"retry: soon\nid: a\x00b\ndata: x\n\n")
    assert events == [ServerSentEvent(data="x", id=None, retry=None)]


def test_flush_dispatches_a_final_event_without_trailing_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: first\n\ndata: last") == [ServerSentEvent(data="first")]
    assert decoder.flush() == [ServerSentEvent(data="last")]
    assert decoder.flush() == []


def test_flush_dispatches_terminated_line_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]\n") == []
    assert decoder.flush() == [ServerSentEvent(data="[DONE]")]


def test_decoder_returns_events_as_soon_as_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data="a")]
    assert decoder.feed(b"data: b\n\ndata: c\n\n") == [ServerSentEvent(data="b"), ServerSentEvent(data="c")]


def test_aiter_sse_matches_iter_sse() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(STREAM), 3):
            yield STREAM[i : i + 3]

    async def collect() -> list[ServerSentEvent]:
        return [event async for event in aiter_sse(chunks())]

    assert asyncio.run(collect()) == EXPECTED


# -- property: any re-chunking decodes to the same events ---------------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=20
)
_event = st.fixed_dictionaries(
    {
        "data": st.lists(_text, min_size=1, max_size=3),
        "event": st.none() | st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        "id": st.none() | st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True),
        "comment": st.none() | _text,
    }
)


def _serialise(events: list[dict[str, object]], eol: bytes) -> bytes:
    out = []
    for ev in events:
        lines: list[str] = []
        if ev["comment"] is not None:
            lines.append(f":{ev['comment']}")
        if ev["event"] is not None:
            lines.append(f"event: {ev['event']}")
        if ev["id"] is not None:
            lines.append(f"id: {ev['id']}")
        lines.extend(f"data: {d}" for d in ev["data"])  # type: ignore[attr-defined]
        out.append(eol.join(line.encode() for line in lines) + eol + eol)
    return b"".join(out)


@st.composite
def _chunked_stream(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    events = draw(st.lists(_event, min_size=1, max_size=6))
    eol = draw(st.sampled_from([b"\n", b"\r", b"\r\n"]))
    stream = _serialise(events, eol)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    bounds = [0, *cuts, len(stream)]
    return stream, [stream[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_chunked_stream())
def test_property_any_rechunking_decodes_to_the_same_events(case: tuple[bytes, list[bytes]]) -> None:
    stream, chunks = case
    assert b"".join(chunks) == stream
    whole = decode(stream)
    assert decode(*chunks) == whole
    assert whole, "a non-empty valid stream yields events"
