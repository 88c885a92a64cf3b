"""Core streams against hostile raw-socket servers: the event cap (12.7), the total deadline (12.8),
chunks delivered before a failure (12.10) and in-band error statuses (13.12), sync and async."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from nanogpt_integrations.core import (
    APITimeoutError,
    ClientConfig,
    EventTooLargeError,
    NanoGPTClient,
    StreamDeadlineError,
    StreamError,
)
from tests.unit.streams.conftest import DONE, HostileServer, chunk, clients, frame

PAYLOAD = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def run_sync(
    server: HostileServer, call: dict[str, Any] | None = None, **limits: Any
) -> tuple[list[Any], Any, float]:
    client, _ = clients(server, **limits)
    got: list[Any] = []
    start = time.monotonic()
    try:
        for item in client.stream_chat(PAYLOAD, **(call or {})):
            got.append(item)
    except Exception as exc:
        return got, exc, time.monotonic() - start
    return got, None, time.monotonic() - start


def run_async(
    server: HostileServer, call: dict[str, Any] | None = None, **limits: Any
) -> tuple[list[Any], Any, float]:
    _, client = clients(server, **limits)

    async def go() -> tuple[list[Any], Any, float]:
        got: list[Any] = []
        start = time.monotonic()
        try:
            async for item in await client.stream_chat(PAYLOAD, **(call or {})):
                got.append(item)
        except Exception as exc:
            return got, exc, time.monotonic() - start
        return got, None, time.monotonic() - start

    return asyncio.run(asyncio.wait_for(go(), 30))


RUNNERS = pytest.mark.parametrize("run", [run_sync, run_async], ids=["sync", "async"])


def texts(items: list[Any]) -> list[str | None]:
    return [c.choices[0].delta.content if c.choices else None for c in items]


# -- the cap on one event (12.7) -----------------------------------------------------------------


@RUNNERS
def test_oversized_event_raises_after_the_chunks_before_it(run: Any, hostile: Any) -> None:
    def handler(conn: Any) -> None:
        conn.sse(frame(chunk({"content": "a"})), 0.05, b"data: ")
        for _ in range(300):  # a 300 KB line, 1 KB per write
            if not conn.send(b"B" * 1000):
                return
        conn.send(b"\n\n" + DONE)

    got, error, _ = run(hostile(handler), max_event_bytes=100_000)
    assert texts(got) == ["a"]
    assert isinstance(error, EventTooLargeError) and isinstance(error, StreamError)
    assert error.limit == 100_000
    assert error.request_id == "req_hostile"


@RUNNERS
def test_an_event_under_the_cap_passes(run: Any, hostile: Any) -> None:
    big = "C" * 150_000
    server = hostile(lambda conn: conn.sse(frame(chunk({"content": big})), DONE))
    got, error, _ = run(server, max_event_bytes=200_000)
    assert error is None
    assert texts(got) == [big]


# -- the total deadline (12.8) -------------------------------------------------------------------


@RUNNERS
def test_keep_alive_comments_do_not_keep_a_stream_alive_past_the_deadline(run: Any, hostile: Any) -> None:
    def handler(conn: Any) -> None:
        conn.sse(frame(chunk({"content": "tok"})))
        conn.keep_alive(every=0.05)

    got, error, elapsed = run(hostile(handler), stream_deadline=0.5)
    assert texts(got) == ["tok"]
    assert isinstance(error, StreamDeadlineError)
    assert isinstance(error, APITimeoutError) and isinstance(error, StreamError)
    assert error.deadline == 0.5
    assert error.request_id == "req_hostile"
    assert "stream_deadline=0.5" in str(error)
    assert elapsed < 5  # the deadline, not the 10 s per-read timeout, ended it


@RUNNERS
def test_a_silent_server_is_cut_at_the_deadline_not_after_the_read_timeout(run: Any, hostile: Any) -> None:
    def handler(conn: Any) -> None:
        conn.sse(frame(chunk({"content": "tok"})))
        conn.hold()

    got, error, elapsed = run(hostile(handler), stream_deadline=0.5)
    assert texts(got) == ["tok"]
    assert isinstance(error, StreamDeadlineError)
    assert elapsed < 5, "the read timeout is 10 s: the deadline must have shortened the read"


@RUNNERS
def test_per_call_deadline_overrides_the_client(run: Any, hostile: Any) -> None:
    def handler(conn: Any) -> None:
        conn.sse(frame(chunk({"content": "tok"})))
        conn.keep_alive()

    got, error, _ = run(hostile(handler), call={"stream_deadline": 0.3})
    assert texts(got) == ["tok"]
    assert isinstance(error, StreamDeadlineError) and error.deadline == 0.3


@RUNNERS
def test_a_stream_that_ends_in_time_is_untouched(run: Any, hostile: Any) -> None:
    server = hostile(
        lambda conn: conn.sse(frame(chunk({"content": "a"})), 0.05, frame(chunk({"content": "b"})), DONE)
    )
    got, error, _ = run(server, stream_deadline=5.0)
    assert error is None
    assert texts(got) == ["a", "b"]


@RUNNERS
def test_done_then_a_connection_left_open_ends_quietly_at_the_deadline(run: Any, hostile: Any) -> None:
    def handler(conn: Any) -> None:
        conn.sse(frame(chunk({"content": "a"})), DONE)
        conn.keep_alive()  # the body never ends after [DONE]

    got, error, _ = run(hostile(handler), stream_deadline=0.4)
    assert error is None
    assert texts(got) == ["a"]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "5"])
def test_bad_deadline_is_rejected_before_any_request(bad: Any, hostile: Any) -> None:
    server = hostile(lambda conn: conn.sse(DONE))
    with pytest.raises(ValueError, match="stream_deadline"):
        NanoGPTClient(api_key="k", base_url=server.base_url, stream_deadline=bad)
    client, _ = clients(server)
    with pytest.raises(ValueError, match="stream_deadline"):
        client.stream_chat(PAYLOAD, stream_deadline=bad)
    assert server.requests == []


def test_limits_live_on_the_client_config() -> None:
    config = ClientConfig.create(api_key="k", max_event_bytes=1024, stream_deadline=30)
    assert (config.max_event_bytes, config.stream_deadline) == (1024, 30.0)
    default = ClientConfig.create(api_key="k")
    assert (default.max_event_bytes, default.stream_deadline) == (64 * 1024 * 1024, None)
    with pytest.raises(ValueError, match="max_event_bytes"):
        ClientConfig.create(api_key="k", max_event_bytes=0)


# -- chunks that arrived before a failure are delivered first (12.10) ----------------------------

ERROR_FRAME = {"error": {"status": 503, "message": "upstream died", "code": "service_unavailable"}}


@RUNNERS
@pytest.mark.parametrize(
    "bad",
    [frame(ERROR_FRAME), b"data: {not json\n\n", frame(chunk({"content": "x"}, finish="error"))],
    ids=["error-frame", "malformed", "finish-error"],
)
def test_chunks_in_the_same_read_as_a_bad_frame_are_delivered(run: Any, bad: bytes, hostile: Any) -> None:
    one_write = frame(chunk({"content": "a"})) + frame(chunk({"content": "b"})) + bad + DONE
    got, error, _ = run(hostile(lambda conn: conn.sse(one_write)))
    assert texts(got) == ["a", "b"]
    assert isinstance(error, StreamError)


@RUNNERS
def test_an_unterminated_last_event_is_delivered_then_eof_raises(run: Any, hostile: Any) -> None:
    body = frame(chunk({"content": "a"})) + b"data: " + json.dumps(chunk({"content": "b"})).encode()
    got, error, _ = run(hostile(lambda conn: conn.sse(body)))
    assert texts(got) == ["a", "b"]
    assert isinstance(error, StreamError) and "[DONE]" in error.message
    assert "without their closing blank line" in error.message


# -- in-band error frames: the status wherever the upstream put it (13.12) ------------------------


@RUNNERS
@pytest.mark.parametrize(
    ("error_frame", "status", "code"),
    [
        (
            b'event: error\ndata: {"error": {"message": "bad tool", "code": "tool_use_failed", "status_code": 400}}\n\n',
            400,
            "tool_use_failed",
        ),
        (
            frame({"id": "gen-1", "error": {"code": 429, "message": "Rate limited"}, "choices": []}),
            429,
            "429",
        ),
        (frame({"error": {"message": "plain"}}), None, None),
    ],
    ids=["groq-status_code", "openrouter-numeric-code", "no-status"],
)
def test_in_band_error_status(
    run: Any, error_frame: bytes, status: int | None, code: str | None, hostile: Any
) -> None:
    got, error, _ = run(hostile(lambda conn: conn.sse(frame(chunk({"content": "a"})) + error_frame)))
    assert texts(got) == ["a"]
    assert isinstance(error, StreamError)
    assert (error.status, error.code) == (status, code)


def test_responses_stream_gets_the_client_cap(hostile: Any) -> None:
    def handler(conn: Any) -> None:
        event = {"type": "response.output_text.delta", "delta": "D" * 5000}
        conn.sse(b"event: response.output_text.delta\n" + frame(event))

    client, _ = clients(hostile(handler), max_event_bytes=1000)
    with pytest.raises(EventTooLargeError):
        list(client.responses_stream({"model": "openai/gpt-4o-mini", "input": "hi"}))
