"""The client-side limiter against the emulator enforcing NanoGPT's documented 25 requests per second
(``api-reference/miscellaneous/rate-limits.mdx``): 200 concurrent calls with the limiter never see a
429; without it they do."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from nanogpt_integrations.core import (
    RECOMMENDED_REQUESTS_PER_SECOND,
    AsyncNanoGPTClient,
    NanoGPTClient,
    RateLimitError,
    turn_from_completion,
)
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(90)]

CALLS = 200


def payload(i: int) -> dict[str, object]:
    return {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": f"call {i}"}]}


def fresh_key() -> str:
    """A key of its own: buckets are shared per key and host across the whole process."""
    return f"key-{uuid.uuid4().hex}"


@pytest.fixture
def limited(emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    emulator.limits.configure(requests_per_second=25)
    return emulator


def run_threads(client: NanoGPTClient, count: int) -> list[object]:
    def one(i: int) -> object:
        try:
            return turn_from_completion(client.chat(payload(i))).content
        except RateLimitError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=50) as pool:
        return list(pool.map(one, range(count)))


async def run_tasks(client: AsyncNanoGPTClient, count: int) -> list[object]:
    async def one(i: int) -> object:
        try:
            return turn_from_completion(await client.chat(payload(i))).content
        except RateLimitError as exc:
            return exc

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def test_threads_with_the_limiter_get_no_429(limited: NanoGPTEmulator) -> None:
    assert RECOMMENDED_REQUESTS_PER_SECOND == 25
    client = NanoGPTClient(api_key=fresh_key(), base_url=limited.base_url, requests_per_second=25, max_retries=0)
    results = run_threads(client, CALLS)
    assert results == [f"Hello! You said: call {i}" for i in range(CALLS)]
    assert sum(limited.limits.rejected.values()) == 0


def test_asyncio_with_the_limiter_gets_no_429(limited: NanoGPTEmulator) -> None:
    client = AsyncNanoGPTClient(api_key=fresh_key(), base_url=limited.base_url, requests_per_second=25, max_retries=0)
    results = asyncio.run(run_tasks(client, CALLS))
    assert results == [f"Hello! You said: call {i}" for i in range(CALLS)]
    assert sum(limited.limits.rejected.values()) == 0


def test_without_the_limiter_the_same_fan_out_gets_429s(limited: NanoGPTEmulator) -> None:
    sync = NanoGPTClient(api_key=fresh_key(), base_url=limited.base_url, max_retries=0)
    errors = [r for r in run_threads(sync, CALLS) if isinstance(r, RateLimitError)]
    assert errors and all(e.status == 429 and e.code == "rate_limit_exceeded" for e in errors)
    assert errors[0].retry_after == 1.0
    threaded = limited.limits.rejected["rate_limit_exceeded"]
    assert threaded == len(errors)
    client = AsyncNanoGPTClient(api_key=fresh_key(), base_url=limited.base_url, max_retries=0)
    failed = [r for r in asyncio.run(run_tasks(client, CALLS)) if isinstance(r, RateLimitError)]
    assert failed and limited.limits.rejected["rate_limit_exceeded"] == threaded + len(failed)


def test_sync_and_async_clients_of_one_key_share_the_budget(emulator: NanoGPTEmulator) -> None:
    emulator.limits.configure(requests_per_second=10)
    key = fresh_key()
    sync = NanoGPTClient(api_key=key, base_url=emulator.base_url, requests_per_second=10, max_retries=0)
    aclient = AsyncNanoGPTClient(api_key=key, base_url=emulator.base_url, requests_per_second=10, max_retries=0)
    threaded: list[object] = []
    worker = threading.Thread(target=lambda: threaded.extend(run_threads(sync, 25)))
    worker.start()
    awaited = asyncio.run(run_tasks(aclient, 25))
    worker.join()
    assert not [r for r in [*threaded, *awaited] if isinstance(r, RateLimitError)]
    assert sum(emulator.limits.rejected.values()) == 0
