"""The async client across event loops and under concurrency, against the emulator."""

from __future__ import annotations

import asyncio
import threading

import pytest

from nanogpt_integrations.core import (
    AsyncNanoGPTClient,
    NanoGPTClient,
    StreamAccumulator,
    turn_from_completion,
)
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

KEY = "test-key-for-the-emulator"


def payload(text: str) -> dict:
    return {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": text}]}


def test_two_asyncio_run_calls_on_one_client(emulator: NanoGPTEmulator) -> None:
    client = AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url)

    async def once(text: str) -> str:
        completion = await client.chat(payload(text))
        return turn_from_completion(completion).content

    assert asyncio.run(asyncio.wait_for(once("first"), 10)) == "Hello! You said: first"
    assert asyncio.run(asyncio.wait_for(once("second"), 10)) == "Hello! You said: second"

    async def stream_once() -> str:
        acc = StreamAccumulator()
        async for chunk in await client.stream_chat(payload("third")):
            acc.add(chunk)
        await client.aclose()
        return acc.result().content

    assert asyncio.run(asyncio.wait_for(stream_once(), 10)) == "Hello! You said: third"
    assert len(emulator.requests) == 3


async def test_200_concurrent_chats(emulator: NanoGPTEmulator) -> None:
    async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        completions = await asyncio.wait_for(
            asyncio.gather(*(client.chat(payload(f"message {i}")) for i in range(200))), 45
        )
    assert [turn_from_completion(c).content for c in completions] == [
        f"Hello! You said: message {i}" for i in range(200)
    ]
    assert len([r for r in emulator.requests if r.path.endswith("/chat/completions")]) == 200


async def test_50_concurrent_streams(emulator: NanoGPTEmulator) -> None:
    async def one(client: AsyncNanoGPTClient, i: int) -> str:
        acc = StreamAccumulator()
        async for chunk in await client.stream_chat(payload(f"stream {i}")):
            acc.add(chunk)
        return acc.result().content

    async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        contents = await asyncio.wait_for(asyncio.gather(*(one(client, i) for i in range(50))), 45)
    assert contents == [f"Hello! You said: stream {i}" for i in range(50)]


async def test_concurrent_calls_with_faults_each_get_their_own_outcome(emulator: NanoGPTEmulator) -> None:
    # Five 503s land on whichever calls come first; max_retries=5 lets any one call absorb them all.
    emulator.inject(Fault.http_status(503, retry_after="0.01"), times=5)
    async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url, max_retries=5) as client:
        completions = await asyncio.wait_for(
            asyncio.gather(*(client.chat(payload(f"m{i}")) for i in range(20))), 30
        )
    assert [turn_from_completion(c).content for c in completions] == [
        f"Hello! You said: m{i}" for i in range(20)
    ]
    assert len(emulator.requests) == 25


def test_sync_client_is_usable_from_threads(emulator: NanoGPTEmulator) -> None:
    results: dict[int, str] = {}
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:

        def work(i: int) -> None:
            results[i] = turn_from_completion(client.chat(payload(f"t{i}"))).content

        threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert results == {i: f"Hello! You said: t{i}" for i in range(20)}
