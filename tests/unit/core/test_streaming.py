"""Stream handling without a server: ``parse_event`` and Stream/AsyncStream over ``httpx.MockTransport``.

``[DONE]`` ends a stream; an error frame (``finish_reason: "error"`` or a top-level ``error``), a
malformed frame, a broken connection or EOF without ``[DONE]`` raise :class:`StreamError`
(api-reference/miscellaneous/streaming-protocol.mdx), and a stream is never retried once it has started.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    APITimeoutError,
    AsyncNanoGPTClient,
    ChatCompletionChunk,
    NanoGPTClient,
    ServerSentEvent,
    StreamAccumulator,
    StreamError,
)
from nanogpt_integrations.core.streaming import _DONE, _SKIP, parse_event

KEY = "unit-test-key"
PAYLOAD = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def chunk(content: str | None = None, *, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "openai/gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def frame(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"
ERROR_FRAME = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
    "error": {
        "status": 503,
        "message": "Service temporarily unavailable. Please try again later.",
        "code": "service_unavailable",
    },
}


# -- parse_event ---------------------------------------------------------------------------------


def test_parse_event_done_and_blank() -> None:
    assert parse_event(ServerSentEvent(data="[DONE]"), ChatCompletionChunk, None) is _DONE
    assert parse_event(ServerSentEvent(data=" [DONE] "), ChatCompletionChunk, None) is _DONE
    assert parse_event(ServerSentEvent(data=""), ChatCompletionChunk, None) is _SKIP


def test_parse_event_chunk() -> None:
    parsed = parse_event(ServerSentEvent(data=json.dumps(chunk("Hel"))), ChatCompletionChunk, "req_1")
    assert isinstance(parsed, ChatCompletionChunk)
    assert parsed.choices[0].delta.content == "Hel"
    assert parsed.id == "chatcmpl-1"


def test_parse_event_error_frame_with_finish_reason_and_error_object() -> None:
    with pytest.raises(StreamError) as info:
        parse_event(ServerSentEvent(data=json.dumps(ERROR_FRAME)), ChatCompletionChunk, "req_42")
    err = info.value
    assert err.status == 503
    assert err.code == "service_unavailable"
    assert err.message == "Service temporarily unavailable. Please try again later."
    assert err.request_id == "req_42"


def test_parse_event_top_level_error_without_choices() -> None:
    data = json.dumps({"error": {"message": "upstream died", "code": "all_fallbacks_failed", "status": 502}})
    with pytest.raises(StreamError) as info:
        parse_event(ServerSentEvent(data=data), ChatCompletionChunk, None)
    assert info.value.status == 502
    assert info.value.code == "all_fallbacks_failed"
    assert info.value.message == "upstream died"


def test_parse_event_finish_reason_error_alone() -> None:
    with pytest.raises(StreamError):
        parse_event(ServerSentEvent(data=json.dumps(chunk(finish="error"))), ChatCompletionChunk, None)


def test_parse_event_string_error() -> None:
    with pytest.raises(StreamError) as info:
        parse_event(ServerSentEvent(data='{"error": "boom"}'), ChatCompletionChunk, None)
    assert info.value.message == "boom"


def test_parse_event_error_event_type() -> None:
    with pytest.raises(StreamError):
        parse_event(ServerSentEvent(data="{}", event="error"), ChatCompletionChunk, None)


@pytest.mark.parametrize("data", ["{not json", '{"choices": 3}', "[1, 2]", '"text"'])
def test_parse_event_malformed_frame(data: str) -> None:
    with pytest.raises(StreamError) as info:
        parse_event(ServerSentEvent(data=data), ChatCompletionChunk, "req_9")
    assert "malformed" in info.value.message
    assert info.value.request_id == "req_9"


def test_parse_event_normal_finish_reasons_do_not_raise() -> None:
    for reason in ("stop", "length", "tool_calls", "content_filter"):
        parsed = parse_event(
            ServerSentEvent(data=json.dumps(chunk(finish=reason))), ChatCompletionChunk, None
        )
        assert parsed.choices[0].finish_reason == reason


def test_parse_event_unknown_fields_tolerated() -> None:
    data = json.dumps(chunk("x", brand_new_field={"a": 1}, x_nanogpt_pricing={"amount": 0.1, "zzz": 1}))
    parsed = parse_event(ServerSentEvent(data=data), ChatCompletionChunk, None)
    assert parsed.x_nanogpt_pricing.charged == 0.1


# -- Stream / AsyncStream over MockTransport -----------------------------------------------------


class Recorder:
    """A MockTransport handler that counts calls and serves a fixed body."""

    def __init__(self, body: Callable[[], Any], headers: dict[str, str] | None = None) -> None:
        self.calls = 0
        self.requests: list[httpx.Request] = []
        self._body = body
        self._headers = {"content-type": "text/event-stream", "x-request-id": "req_stream", **(headers or {})}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.requests.append(request)
        return httpx.Response(200, headers=self._headers, stream=self._body())


class SyncBody(httpx.SyncByteStream):
    def __init__(self, parts: list[bytes | Exception]) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            if isinstance(part, Exception):
                raise part
            yield part


class AsyncBody(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes | Exception]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            if isinstance(part, Exception):
                raise part
            yield part


def sync_client(parts: list[bytes | Exception]) -> tuple[NanoGPTClient, Recorder]:
    recorder = Recorder(lambda: SyncBody(parts))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    return NanoGPTClient(
        api_key=KEY, base_url="http://mock/api/v1", http_client=http, max_retries=3
    ), recorder


def async_client(parts: list[bytes | Exception]) -> tuple[AsyncNanoGPTClient, Recorder]:
    recorder = Recorder(lambda: AsyncBody(parts))
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    return (
        AsyncNanoGPTClient(api_key=KEY, base_url="http://mock/api/v1", http_client=http, max_retries=3),
        recorder,
    )


def collect_sync(
    parts: list[bytes | Exception],
) -> tuple[list[ChatCompletionChunk], Exception | None, Recorder]:
    client, recorder = sync_client(parts)
    got: list[ChatCompletionChunk] = []
    error: Exception | None = None
    try:
        for item in client.stream_chat(PAYLOAD):
            got.append(item)
    except Exception as exc:
        error = exc
    return got, error, recorder


def collect_async(
    parts: list[bytes | Exception],
) -> tuple[list[ChatCompletionChunk], Exception | None, Recorder]:
    client, recorder = async_client(parts)

    async def run() -> tuple[list[ChatCompletionChunk], Exception | None]:
        got: list[ChatCompletionChunk] = []
        try:
            async for item in await client.stream_chat(PAYLOAD):
                got.append(item)
        except Exception as exc:
            return got, exc
        return got, None

    got, error = asyncio.run(asyncio.wait_for(run(), timeout=10))
    return got, error, recorder


COLLECTORS = pytest.mark.parametrize("collect", [collect_sync, collect_async], ids=["sync", "async"])


def contents(items: list[ChatCompletionChunk]) -> list[str | None]:
    return [c.choices[0].delta.content if c.choices else None for c in items]


@COLLECTORS
def test_stream_ends_at_done(collect: Any) -> None:
    parts: list[bytes | Exception] = [
        b": keep-alive\n\n",
        frame(chunk("Hel")),
        frame(chunk("lo")),
        frame(chunk(finish="stop")),
        DONE,
        frame(chunk("ignored after DONE")),
    ]
    got, error, recorder = collect(parts)
    assert error is None
    assert contents(got) == ["Hel", "lo", None]
    assert recorder.calls == 1


@COLLECTORS
def test_stream_request_carries_stream_flag_and_usage_opt_in(collect: Any) -> None:
    _, _, recorder = collect([frame(chunk("a")), DONE])
    request = recorder.requests[0]
    body = json.loads(request.content)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["authorization"] == f"Bearer {KEY}"


@COLLECTORS
def test_stream_split_frames_across_network_chunks(collect: Any) -> None:
    raw = frame(chunk("Hel")) + frame(chunk("lo")) + DONE
    parts: list[bytes | Exception] = [raw[i : i + 5] for i in range(0, len(raw), 5)]
    got, error, _ = collect(parts)
    assert error is None
    assert contents(got) == ["Hel", "lo"]


@COLLECTORS
def test_stream_error_frame_raises_after_earlier_chunks(collect: Any) -> None:
    got, error, recorder = collect([frame(chunk("Hel")), frame(ERROR_FRAME), DONE])
    assert contents(got) == ["Hel"]
    assert isinstance(error, StreamError)
    assert error.status == 503
    assert error.code == "service_unavailable"
    assert error.request_id == "req_stream"
    assert recorder.calls == 1


@COLLECTORS
def test_stream_malformed_frame_raises(collect: Any) -> None:
    got, error, recorder = collect([frame(chunk("a")), b"data: {not json\n\n", frame(chunk("b")), DONE])
    assert contents(got) == ["a"]
    assert isinstance(error, StreamError)
    assert recorder.calls == 1


@COLLECTORS
def test_stream_eof_without_done_raises(collect: Any) -> None:
    got, error, recorder = collect([frame(chunk("a")), frame(chunk("b"))])
    assert contents(got) == ["a", "b"]
    assert isinstance(error, StreamError)
    assert "[DONE]" in error.message
    assert recorder.calls == 1


@COLLECTORS
def test_stream_eof_after_finish_frame_but_without_done_raises(collect: Any) -> None:
    got, error, _ = collect([frame(chunk("a")), frame(chunk(finish="stop"))])
    assert len(got) == 2
    assert isinstance(error, StreamError)


@COLLECTORS
def test_stream_done_without_trailing_blank_line_is_accepted(collect: Any) -> None:
    got, error, _ = collect([frame(chunk("a")), b"data: [DONE]"])
    assert error is None
    assert contents(got) == ["a"]


@COLLECTORS
def test_stream_connection_lost_mid_stream_is_stream_error_not_retried(collect: Any) -> None:
    got, error, recorder = collect([frame(chunk("a")), httpx.ReadError("connection reset by peer")])
    assert contents(got) == ["a"]
    assert isinstance(error, StreamError)
    assert recorder.calls == 1


@COLLECTORS
def test_stream_read_timeout_mid_stream_is_timeout_error(collect: Any) -> None:
    got, error, recorder = collect([frame(chunk("a")), httpx.ReadTimeout("read timed out")])
    assert contents(got) == ["a"]
    assert isinstance(error, APITimeoutError)
    assert recorder.calls == 1


@COLLECTORS
def test_stream_usage_and_pricing_frames_reach_the_accumulator(collect: Any) -> None:
    usage = {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
    parts: list[bytes | Exception] = [
        frame(chunk("Hi")),
        frame(chunk(finish="stop", x_nanogpt_pricing={"amount": 0.0002, "currency": "USD"})),
        frame({"id": "chatcmpl-1", "choices": [], "usage": usage}),
        DONE,
    ]
    got, error, _ = collect(parts)
    assert error is None
    acc = StreamAccumulator()
    for item in got:
        acc.add(item)
    turn = acc.result()
    assert turn.content == "Hi"
    assert turn.finish_reason == "stop"
    assert turn.usage is not None and turn.usage.total_tokens == 11
    assert turn.cost == 0.0002


def test_sync_stream_request_id_and_headers() -> None:
    client, _ = sync_client([frame(chunk("a")), DONE])
    with client.stream_chat(PAYLOAD) as stream:
        assert stream.request_id == "req_stream"
        assert stream.headers["content-type"] == "text/event-stream"
        assert contents(list(stream)) == ["a"]


def test_sync_stream_include_usage_can_be_disabled() -> None:
    client, recorder = sync_client([DONE])
    assert list(client.stream_chat(PAYLOAD, include_usage=False)) == []
    body = json.loads(recorder.requests[0].content)
    assert body["stream"] is True
    assert "stream_options" not in body


def test_sync_stream_keeps_caller_stream_options() -> None:
    client, recorder = sync_client([DONE])
    list(client.stream_chat({**PAYLOAD, "stream_options": {"include_usage": False, "x": 1}}))
    body = json.loads(recorder.requests[0].content)
    assert body["stream_options"] == {"include_usage": False, "x": 1}


def test_parse_event_nanogpt_metadata_frame_becomes_pricing() -> None:
    data = '<NanoGPT>{"cost": 0.0042, "inputTokens": 10, "outputTokens": 3}</NanoGPT>'
    parsed = parse_event(ServerSentEvent(data=data), ChatCompletionChunk, None)
    assert isinstance(parsed, ChatCompletionChunk)
    assert parsed.choices == []
    assert parsed.x_nanogpt_pricing is not None
    assert parsed.x_nanogpt_pricing.charged == 0.0042
    assert parsed.x_nanogpt_pricing.input_tokens == 10


def test_parse_event_malformed_nanogpt_metadata_frame() -> None:
    with pytest.raises(StreamError):
        parse_event(ServerSentEvent(data="<NanoGPT>{oops</NanoGPT>"), ChatCompletionChunk, None)


def test_sync_stream_closed_on_early_exit() -> None:
    client, _ = sync_client([frame(chunk("a")), frame(chunk("b")), DONE])
    with client.stream_chat(PAYLOAD) as stream:
        for _ in stream:
            break
    assert stream.response.is_closed


def test_async_stream_closed_on_early_exit() -> None:
    client, _ = async_client([frame(chunk("a")), frame(chunk("b")), DONE])

    async def run() -> bool:
        async with await client.stream_chat(PAYLOAD) as stream:
            async for _ in stream:
                break
        return stream.response.is_closed

    assert asyncio.run(asyncio.wait_for(run(), 10)) is True
