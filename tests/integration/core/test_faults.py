"""Retries and faults against the emulator, sync and async (issue 2: one retry layer, ``Retry-After``
honoured, no retry after the first event, each fault gives its typed error within timeout + 1 s).

Hangs are caught by ``asyncio.wait_for`` around every scenario (the blocking client runs in a worker
thread so the bound applies to it too) and by ``pytest-timeout`` on every test; the stall scenarios
are bounded by the read timeout + 1 s. Elapsed time is otherwise only used as a lower bound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncNanoGPTClient,
    AuthenticationError,
    BadRequestError,
    CacheConsistencyError,
    ConflictError,
    InternalServerError,
    NanoGPTClient,
    NanoGPTError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServiceUnavailableError,
    StreamAccumulator,
    StreamError,
)
from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(20)]

KEY = "test-key-for-the-emulator"
PAYLOAD = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
LONG = ChatReply(content="one two three four five six seven eight nine ten", chunk_size=4)
#: A short read timeout for stall tests; the typed error must arrive within READ + 1 s.
READ = 0.5


class Outcome:
    """What a scenario produced: the items yielded, the error raised (if any), the time it took."""

    def __init__(self, items: list[Any], error: BaseException | None, elapsed: float) -> None:
        self.items = items
        self.error = error
        self.elapsed = elapsed

    def content(self) -> str:
        acc = StreamAccumulator()
        for item in self.items:
            acc.add(item)
        return acc.result().content


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def call(mode: str, emulator: NanoGPTEmulator) -> Callable[..., Outcome]:
    """``call(kind, bound=..., **client_kwargs)``: one chat ("chat") or a drained stream ("stream")."""

    def runner(kind: str, bound: float = 10.0, **kwargs: Any) -> Outcome:
        kwargs = {"api_key": KEY, "base_url": emulator.base_url, **kwargs}
        items: list[Any] = []

        def blocking() -> None:
            with NanoGPTClient(**kwargs) as client:
                if kind == "chat":
                    items.append(client.chat(PAYLOAD))
                else:
                    for item in client.stream_chat(PAYLOAD):
                        items.append(item)

        async def main() -> BaseException | None:
            try:
                if mode == "sync":
                    # In a worker thread so that wait_for bounds the blocking client too.
                    await asyncio.to_thread(blocking)
                else:
                    async with AsyncNanoGPTClient(**kwargs) as aclient:
                        if kind == "chat":
                            items.append(await aclient.chat(PAYLOAD))
                        else:
                            async for item in await aclient.stream_chat(PAYLOAD):
                                items.append(item)
            except NanoGPTError as exc:
                return exc
            return None

        start = time.monotonic()
        error = asyncio.run(asyncio.wait_for(main(), bound))
        return Outcome(items, error, time.monotonic() - start)

    return runner


def chat_requests(emulator: NanoGPTEmulator) -> int:
    return len([r for r in emulator.requests if r.path.endswith("/chat/completions")])


# -- retries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_429_retry_after_is_honoured(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, kind: str
) -> None:
    emulator.inject(Fault.http_status(429, retry_after="1"))
    outcome = call(kind, max_retries=2)
    assert outcome.error is None
    assert chat_requests(emulator) == 2
    assert outcome.elapsed >= 0.95, "the client must wait for Retry-After before retrying"
    if kind == "stream":
        assert outcome.content() == "Hello! You said: hi"


def test_429_exhausted_gives_rate_limit_error(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.inject(Fault.http_status(429, retry_after="0.01", code="rate_limit_exceeded"), times=5)
    outcome = call("chat", max_retries=2)
    assert type(outcome.error) is RateLimitError
    assert outcome.error.code == "rate_limit_exceeded"
    assert outcome.error.retry_after == 0.01
    assert chat_requests(emulator) == 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (500, InternalServerError),
        (502, InternalServerError),
        (503, ServiceUnavailableError),
        (504, InternalServerError),
    ],
)
def test_5xx_retried_up_to_max_retries_then_typed_error(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, status: int, cls: type[APIStatusError]
) -> None:
    emulator.inject(Fault.http_status(status, retry_after="0.01"), times=10)
    outcome = call("chat", max_retries=2)
    assert type(outcome.error) is cls
    assert outcome.error.status == status
    assert outcome.error.request_id and outcome.error.request_id.startswith("req_")
    assert chat_requests(emulator) == 3


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_transient_status_then_success(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, status: int
) -> None:
    emulator.inject(Fault.http_status(status, retry_after="0.01"))
    outcome = call("chat", max_retries=1)
    assert outcome.error is None
    assert chat_requests(emulator) == 2


def test_max_retries_zero_means_one_request(call: Callable[..., Outcome], emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(503, retry_after="0.01"), times=3)
    outcome = call("chat", max_retries=0)
    assert isinstance(outcome.error, ServiceUnavailableError)
    assert chat_requests(emulator) == 1


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, RequestTooLargeError),
    ],
)
@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_client_errors_are_not_retried(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, status: int, cls: type[APIStatusError], kind: str
) -> None:
    emulator.inject(Fault.http_status(status, retry_after="0.01"), times=3)
    outcome = call(kind, max_retries=3)
    assert type(outcome.error) is cls
    assert outcome.error.status == status
    assert outcome.items == []
    assert chat_requests(emulator) == 1


def test_401_carries_code_type_and_request_id(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.inject(
        Fault.http_status(401, code="invalid_api_key", type="authentication_error", message="bad key")
    )
    outcome = call("chat")
    err = outcome.error
    assert isinstance(err, AuthenticationError)
    assert (err.status, err.code, err.type, err.message) == (
        401,
        "invalid_api_key",
        "authentication_error",
        "bad key",
    )
    assert err.request_id and err.request_id.startswith("req_")
    assert chat_requests(emulator) == 1


def test_real_401_from_a_wrong_key(mode: str) -> None:
    with NanoGPTEmulator(api_key="the-only-valid-key") as emu:

        async def main() -> BaseException | None:
            try:
                if mode == "sync":
                    with NanoGPTClient(api_key="wrong", base_url=emu.base_url) as client:
                        client.chat(PAYLOAD)
                else:
                    async with AsyncNanoGPTClient(api_key="wrong", base_url=emu.base_url) as aclient:
                        await aclient.chat(PAYLOAD)
            except NanoGPTError as exc:
                return exc
            return None

        error = asyncio.run(asyncio.wait_for(main(), 10))
        assert len(emu.requests) == 1
    assert isinstance(error, AuthenticationError)
    assert error.code == "invalid_api_key"
    assert error.request_id and error.request_id.startswith("req_")


@pytest.mark.parametrize(
    ("envelope", "code"),
    [("object", "insufficient_balance"), ("string", None), ("openapi", None), ("numeric_code", "402")],
)
def test_402_in_every_envelope(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, envelope: str, code: str | None
) -> None:
    emulator.inject(Fault.http_status(402, message="Insufficient balance", envelope=envelope))  # type: ignore[arg-type]
    outcome = call("chat")
    assert isinstance(outcome.error, PaymentRequiredError)
    assert outcome.error.message == "Insufficient balance"
    assert outcome.error.code == code
    assert chat_requests(emulator) == 1


def test_top_level_envelope_on_429(call: Callable[..., Outcome], emulator: NanoGPTEmulator) -> None:
    emulator.inject(
        Fault.http_status(429, code="rate_limited", message="Rate limit exceeded", envelope="top_level"),
        times=5,
    )
    outcome = call("chat", max_retries=0)
    assert isinstance(outcome.error, RateLimitError)
    assert (outcome.error.code, outcome.error.message) == ("rate_limited", "Rate limit exceeded")


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_cache_consistency_503(call: Callable[..., Outcome], emulator: NanoGPTEmulator, kind: str) -> None:
    emulator.inject(Fault.cache_consistency(), times=5)
    outcome = call(kind, max_retries=0)
    assert type(outcome.error) is CacheConsistencyError
    assert isinstance(outcome.error, ServiceUnavailableError)
    assert outcome.error.status == 503
    assert outcome.error.code == "fallback_blocked_for_cache_consistency"
    assert outcome.error.request_id and outcome.error.request_id.startswith("req_")
    assert chat_requests(emulator) == 1


# -- connection faults ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_reset_before_headers_is_retried(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, kind: str
) -> None:
    emulator.inject(Fault.reset_before_headers())
    outcome = call(kind, max_retries=2)
    assert outcome.error is None
    assert chat_requests(emulator) == 2


def test_reset_before_headers_exhausted_is_connection_error(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.inject(Fault.reset_before_headers(), times=10)
    outcome = call("chat", max_retries=2)
    assert type(outcome.error) is APIConnectionError
    assert chat_requests(emulator) == 3


def test_reset_mid_stream_after_first_chunks_is_not_retried(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.script(LONG)
    emulator.inject(Fault.reset_mid_stream(after_chunks=3))
    outcome = call("stream", max_retries=3)
    assert isinstance(outcome.error, StreamError)
    assert len(outcome.items) == 3, "the chunks before the reset were yielded"
    assert outcome.content() == "one two "
    assert chat_requests(emulator) == 1


@pytest.mark.parametrize(
    "fault",
    [Fault.malformed_frame(after_chunks=2), Fault.eof_without_done(after_chunks=2)],
    ids=["malformed-frame", "eof-without-done"],
)
def test_broken_streams_raise_stream_error(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, fault: Fault
) -> None:
    emulator.script(LONG)
    emulator.inject(fault)
    outcome = call("stream", max_retries=3)
    assert type(outcome.error) is StreamError
    assert len(outcome.items) == 2
    assert outcome.content() == "one "
    assert chat_requests(emulator) == 1


def test_error_frame_raises_stream_error_with_status_and_code(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.script(LONG)
    emulator.inject(Fault.error_frame(after_chunks=2, status=503, code="service_unavailable"))
    outcome = call("stream", max_retries=3)
    err = outcome.error
    assert type(err) is StreamError
    assert (err.status, err.code) == (503, "service_unavailable")
    assert err.message == "Service temporarily unavailable. Please try again later."
    assert err.request_id and err.request_id.startswith("req_")
    assert len(outcome.items) == 2
    assert chat_requests(emulator) == 1


@pytest.mark.parametrize(
    "fault",
    [Fault.malformed_frame(), Fault.reset_mid_stream(), Fault.eof_without_done()],
    ids=["malformed", "reset", "eof"],
)
def test_broken_non_stream_bodies_give_typed_errors(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, fault: Fault
) -> None:
    emulator.inject(fault)
    outcome = call("chat", max_retries=2)
    assert isinstance(outcome.error, NanoGPTError)
    assert outcome.items == []
    assert chat_requests(emulator) == 1, "a response whose status arrived is not sent again"


# -- stalls and timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_stall_before_headers_times_out_and_is_not_retried(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator, kind: str
) -> None:
    emulator.inject(Fault.stall(5.0))
    outcome = call(kind, bound=READ + 1.0, timeout=httpx.Timeout(5.0, connect=2.0, read=READ), max_retries=2)
    assert isinstance(outcome.error, APITimeoutError)
    assert outcome.elapsed >= READ * 0.9
    assert chat_requests(emulator) == 1


def test_stall_mid_stream_times_out_after_first_chunks(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.script(LONG)
    emulator.inject(Fault.stall_mid_stream(after_chunks=2, seconds=5.0))
    outcome = call(
        "stream", bound=READ + 1.0, timeout=httpx.Timeout(5.0, connect=2.0, read=READ), max_retries=2
    )
    assert isinstance(outcome.error, APITimeoutError)
    assert len(outcome.items) == 2
    assert chat_requests(emulator) == 1


def test_short_stall_within_the_timeout_succeeds(
    call: Callable[..., Outcome], emulator: NanoGPTEmulator
) -> None:
    emulator.script(LONG)
    emulator.inject(Fault.stall_mid_stream(after_chunks=2, seconds=0.2))
    outcome = call("stream", timeout=(2.0, 2.0))
    assert outcome.error is None
    assert outcome.content() == LONG.content


# -- other routes -----------------------------------------------------------------------------------


def test_web_search_errors_use_the_legacy_string_envelope(emulator: NanoGPTEmulator) -> None:
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        with pytest.raises(BadRequestError) as info:
            client.send("POST", "web", json_body={"query": "q", "provider": "openai-native"}, api_root=True)
    assert info.value.status == 400
    assert "openai-native" in info.value.message
    assert info.value.request_id and info.value.request_id.startswith("req_")


def test_web_search_is_retried_on_429(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(429, retry_after="0.01"), path="/web")
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        response = client.web_search({"query": "q"})
    assert response.results()
    assert len([r for r in emulator.requests if r.path == "/api/web"]) == 2


def test_per_request_timeout_overrides_the_client_timeout(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.stall(5.0))

    async def main() -> BaseException | None:
        def blocking() -> None:
            with NanoGPTClient(api_key=KEY, base_url=emulator.base_url, timeout=30.0) as client:
                client.send("POST", "chat/completions", json_body=PAYLOAD, timeout=(2.0, READ))

        try:
            await asyncio.to_thread(blocking)
        except NanoGPTError as exc:
            return exc
        return None

    error = asyncio.run(asyncio.wait_for(main(), READ + 1.0))
    assert isinstance(error, APITimeoutError)
    assert chat_requests(emulator) == 1
