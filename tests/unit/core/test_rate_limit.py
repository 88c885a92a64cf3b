"""The client-side token bucket: spacing, sharing per key and host, one token per HTTP attempt,
thread and event-loop safety, and a fresh lock after ``fork``. Time is faked where it is asserted."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import httpx
import pytest

from nanogpt_integrations.core import AsyncNanoGPTClient, NanoGPTClient, TokenBucket
from nanogpt_integrations.core import rate_limit as rl

OK = {"id": "c", "choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]}
PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(rl.time, "monotonic", fake)
    return fake


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rl, "_SHARED", {})


def test_reservations_are_spaced_one_interval_apart(clock: FakeClock) -> None:
    bucket = TokenBucket(25)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.04, 0.08, 0.12, 0.16])
    clock.now += 1.0  # idle time does not bank more than the burst
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(0.04)


def test_a_burst_lets_that_many_through_at_once(clock: FakeClock) -> None:
    bucket = TokenBucket(10, burst=3)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "25"])
def test_bad_rates_are_rejected_naming_the_parameter(bad: object) -> None:
    with pytest.raises(ValueError, match="requests_per_second"):
        NanoGPTClient(api_key="k", requests_per_second=bad)  # type: ignore[arg-type]


def test_clients_share_one_bucket_per_key_and_host() -> None:
    a = NanoGPTClient(api_key="k1", base_url="http://h1/api/v1", requests_per_second=25)
    b = AsyncNanoGPTClient(api_key="k1", base_url="http://h1/api/v1", requests_per_second=25)
    other_key = NanoGPTClient(api_key="k2", base_url="http://h1/api/v1", requests_per_second=25)
    other_host = NanoGPTClient(api_key="k1", base_url="http://h2/api/v1", requests_per_second=25)
    unlimited = NanoGPTClient(api_key="k1", base_url="http://h1/api/v1")
    assert a._limiter is b._limiter
    assert a._limiter is not other_key._limiter
    assert a._limiter is not other_host._limiter
    assert unlimited._limiter is None


def test_the_lowest_rate_asked_for_wins() -> None:
    a = NanoGPTClient(api_key="k", base_url="http://h/api/v1", requests_per_second=25)
    NanoGPTClient(api_key="k", base_url="http://h/api/v1", requests_per_second=5)
    NanoGPTClient(api_key="k", base_url="http://h/api/v1", requests_per_second=50)
    assert a._limiter is not None and a._limiter.rate == 5


def test_the_key_is_not_kept_in_the_registry() -> None:
    NanoGPTClient(api_key="sk-secret-value", base_url="http://h/api/v1", requests_per_second=1)
    assert "sk-secret-value" not in repr(rl._SHARED)


def _counting(bucket: TokenBucket) -> list[int]:
    calls = [0]
    original = bucket.reserve

    def reserve() -> float:
        calls[0] += 1
        original()
        return 0.0  # never actually wait in a unit test

    bucket.reserve = reserve  # type: ignore[method-assign]
    return calls


def test_one_token_per_http_attempt_retries_included(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nanogpt_integrations.core.client.time.sleep", lambda s: None)
    answers = iter([httpx.Response(503, json={}), httpx.Response(200, json=OK)])
    client = NanoGPTClient(
        api_key="k",
        requests_per_second=2,
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: next(answers))),
    )
    assert client._limiter is not None
    calls = _counting(client._limiter)
    client.chat(PAYLOAD)
    assert calls[0] == 2


def test_async_attempts_take_tokens_without_blocking_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    client = AsyncNanoGPTClient(
        api_key="k",
        requests_per_second=10,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=OK))),
    )

    async def run() -> None:
        await asyncio.gather(*(client.chat(PAYLOAD) for _ in range(4)))

    asyncio.run(run())
    assert len(sleeps) == 3  # the first token is free, the next three wait their slot
    assert max(sleeps) == pytest.approx(0.3, abs=0.05)


def test_threads_each_get_a_distinct_slot(clock: FakeClock) -> None:
    bucket = TokenBucket(100)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(50):
            wait = bucket.reserve()
            with lock:
                waits.append(round(wait, 6))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [round(i * 0.01, 6) for i in range(400)]


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="fork is POSIX-only")
def test_a_forked_child_does_not_inherit_a_held_lock() -> None:
    bucket = rl.shared_bucket("k", "http://h/api/v1", 1000)
    bucket._lock.acquire()  # another thread of the parent is mid-reservation at fork time
    try:
        pid = os.fork()
        if pid == 0:  # child: must not deadlock on the inherited, held lock
            code = 1
            try:
                done = threading.Event()
                threading.Thread(target=lambda: (bucket.reserve(), done.set()), daemon=True).start()
                code = 0 if done.wait(5) else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        bucket._lock.release()
    assert os.waitstatus_to_exitcode(status) == 0
