"""The one retry loop of both clients, driven by ``httpx.MockTransport`` with the sleeps recorded.

Covers what a live server cannot show cheaply: the exact delays chosen (``Retry-After`` honoured and
capped, backoff otherwise), transport errors before any response (retried) versus a read timeout
(not retried: the request may have been accepted and billed).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncNanoGPTClient,
    BadRequestError,
    InternalServerError,
    NanoGPTClient,
    NanoGPTError,
    RateLimitError,
)

PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
OK = {"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]}


class Script:
    """Answers requests from a list: an int status, (status, headers), a dict body, or an exception."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        if isinstance(step, dict):
            return httpx.Response(200, json=step)
        status, headers = step if isinstance(step, tuple) else (step, {})
        return httpx.Response(status, json={"error": {"message": f"HTTP {status}"}}, headers=headers)


@pytest.fixture(params=["sync", "async"])
def chat(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``chat(script, max_retries=...) -> (result or error, sleeps)`` with sleeping recorded, not done."""

    def runner(script: Script, **kwargs: Any) -> tuple[Any, list[float]]:
        sleeps: list[float] = []

        async def fake_async_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        monkeypatch.setattr("nanogpt_integrations.core.client.time.sleep", sleeps.append)
        monkeypatch.setattr("nanogpt_integrations.core.async_client.asyncio.sleep", fake_async_sleep)
        kwargs = {"api_key": "k", "base_url": "http://mock/api/v1", **kwargs}
        transport = httpx.MockTransport(script)
        try:
            if request.param == "sync":
                client = NanoGPTClient(http_client=httpx.Client(transport=transport), **kwargs)
                return client.chat(PAYLOAD), sleeps

            async def main() -> Any:
                client = AsyncNanoGPTClient(http_client=httpx.AsyncClient(transport=transport), **kwargs)
                return await client.chat(PAYLOAD)

            return asyncio.run(main()), sleeps
        except NanoGPTError as exc:
            return exc, sleeps

    return runner


def test_retry_after_seconds_is_the_delay(chat: Callable[..., Any]) -> None:
    script = Script((429, {"Retry-After": "2"}), (503, {"Retry-After": "0.25"}), OK)
    result, sleeps = chat(script, max_retries=2)
    assert not isinstance(result, Exception)
    assert sleeps == [2.0, 0.25]
    assert script.calls == 3


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_above_the_cap_raises_at_once_with_the_hint(chat: Callable[..., Any], status: int) -> None:
    script = Script((status, {"Retry-After": "100000", "X-Request-ID": "req_long"}), OK)
    result, sleeps = chat(script, max_retries=2)
    assert isinstance(result, APIStatusError)
    assert (result.status, result.retry_after, result.request_id) == (status, 100000.0, "req_long")
    assert "above max_retry_after (60s): not retried" in str(result)
    assert (script.calls, sleeps) == (1, [])


@pytest.mark.parametrize("hint", ["0", "-3", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_retry_after_zero_negative_or_past_backs_off(chat: Callable[..., Any], hint: str) -> None:
    script = Script((503, {"Retry-After": hint}), (429, {"Retry-After": hint}), OK)
    result, sleeps = chat(script, max_retries=2)
    assert not isinstance(result, Exception)
    assert script.calls == 3
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0, "no hammering: the normal backoff"


def test_backoff_without_retry_after_grows_with_jitter(chat: Callable[..., Any]) -> None:
    script = Script(500, 502, 504, OK)
    result, sleeps = chat(script, max_retries=3)
    assert not isinstance(result, Exception)
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        backoff = 0.5 * 2**attempt
        assert backoff / 2 <= delay <= backoff


def test_exhausted_retries_raise_the_last_status(chat: Callable[..., Any]) -> None:
    script = Script((429, {"Retry-After": "0"}), (429, {"Retry-After": "0"}), 500)
    result, sleeps = chat(script, max_retries=2)
    assert type(result) is InternalServerError
    assert result.status == 500
    assert script.calls == 3
    assert len(sleeps) == 2


def test_rate_limit_error_when_429_is_last(chat: Callable[..., Any]) -> None:
    script = Script((429, {"Retry-After": "7"}))
    result, sleeps = chat(script, max_retries=0)
    assert type(result) is RateLimitError
    assert result.retry_after == 7.0
    assert sleeps == []
    assert script.calls == 1


def test_400_is_never_retried(chat: Callable[..., Any]) -> None:
    script = Script(400, OK)
    result, sleeps = chat(script, max_retries=5)
    assert type(result) is BadRequestError
    assert (script.calls, sleeps) == (1, [])


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect"), httpx.RemoteProtocolError("reset")],
    ids=["connect-error", "connect-timeout", "reset-before-headers"],
)
def test_errors_before_any_response_are_retried(chat: Callable[..., Any], exc: Exception) -> None:
    script = Script(exc, exc, OK)
    result, sleeps = chat(script, max_retries=2)
    assert not isinstance(result, Exception)
    assert script.calls == 3
    assert len(sleeps) == 2


def test_connect_errors_exhausted(chat: Callable[..., Any]) -> None:
    script = Script(httpx.ConnectError("refused"))
    result, _ = chat(script, max_retries=2)
    assert type(result) is APIConnectionError
    assert script.calls == 3


def test_connect_timeout_exhausted_is_a_timeout_error(chat: Callable[..., Any]) -> None:
    script = Script(httpx.ConnectTimeout("slow"))
    result, _ = chat(script, max_retries=1)
    assert type(result) is APITimeoutError
    assert isinstance(result, APIConnectionError)
    assert script.calls == 2


def test_read_timeout_is_not_retried(chat: Callable[..., Any]) -> None:
    script = Script(httpx.ReadTimeout("no answer"), OK)
    result, sleeps = chat(script, max_retries=3)
    assert type(result) is APITimeoutError
    assert (script.calls, sleeps) == (1, [])


def test_retried_request_is_identical(chat: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    script = Script((503, {"Retry-After": "0"}), OK)

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return script(request)

    def recording_chat(**kwargs: Any) -> Any:
        return chat(handler, **kwargs)  # type: ignore[arg-type]

    result, _ = recording_chat(max_retries=1)
    assert not isinstance(result, Exception)
    assert len(seen) == 2
    assert seen[0].content == seen[1].content
    assert json.loads(seen[1].content) == {**PAYLOAD, "include_usage": True}
    assert seen[0].headers["authorization"] == seen[1].headers["authorization"] == "Bearer k"


def test_unreadable_success_body_is_a_typed_error(chat: Callable[..., Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>gateway</html>", headers={"x-request-id": "req_h"})

    result, _ = chat(handler)
    assert isinstance(result, NanoGPTError)
    assert result.status == 200
    assert result.request_id == "req_h"
