"""NanoGPTLLM streams are sent on first iteration: a generator that is never iterated holds no
connection, so abandoned streams cannot exhaust the pool (and a pool timeout is never waited out)."""

from __future__ import annotations

import asyncio
import gc

from llama_index.core.base.llms.types import ChatMessage

from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

KEY = "test-key-for-the-emulator"
HI = [ChatMessage(role="user", content="hi")]


def _llm(emulator: NanoGPTEmulator) -> NanoGPTLLM:
    return NanoGPTLLM(model="openai/gpt-4o-mini", api_key=KEY, api_base=emulator.base_url, context_window=1000)


def _chats(emulator: NanoGPTEmulator) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/chat/completions"))


def test_never_iterated_streams_send_nothing_and_hold_nothing(emulator: NanoGPTEmulator) -> None:
    llm = _llm(emulator)
    abandoned = [llm.stream_chat(HI) for _ in range(150)]  # more than the pool's 100 connections
    abandoned += [llm.stream_complete("hi") for _ in range(10)]
    assert _chats(emulator) == 0
    assert llm.chat(HI).message.content  # the pool is free
    streamed = list(llm.stream_chat(HI))
    assert streamed and streamed[-1].message.content
    assert _chats(emulator) == 2
    del abandoned
    gc.collect()


def test_a_partly_read_stream_releases_its_connection_when_closed(emulator: NanoGPTEmulator) -> None:
    llm = _llm(emulator)
    for _ in range(120):
        stream = llm.stream_chat(HI)
        next(stream)
        stream.close()  # what a for-loop's break and garbage collection do
    assert llm.chat(HI).message.content
    assert _chats(emulator) == 121


def test_async_streams_are_sent_on_first_iteration(emulator: NanoGPTEmulator) -> None:
    llm = _llm(emulator)

    async def run() -> int:
        pending = [await llm.astream_chat(HI) for _ in range(150)]
        before = _chats(emulator)
        reply = await llm.achat(HI)
        assert reply.message.content
        chunks = [chunk async for chunk in pending[0]]
        assert chunks
        for gen in pending[1:]:
            await gen.aclose()
        return before

    assert asyncio.run(run()) == 0
    assert _chats(emulator) == 2
