"""Synchronous fan-out under NanoGPT's documented 25 requests/s (api-reference/miscellaneous/
rate-limits.mdx): with ``requests_per_second`` set, a LangChain ``batch`` and a LlamaIndex gather
finish without a single 429 from an emulator enforcing the limit; without it, 429s come back."""

from __future__ import annotations

import asyncio

from llama_index.core.base.llms.types import ChatMessage

from nanogpt_integrations.core import RECOMMENDED_REQUESTS_PER_SECOND, RateLimitError
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

KEY = "test-key-for-the-emulator"
GPT = "openai/gpt-4o-mini"


def test_langchain_batch_with_the_limiter_gets_no_429(emulator: NanoGPTEmulator) -> None:
    emulator.limits.configure(requests_per_second=25)
    llm = ChatNanoGPT(
        model=GPT,
        api_key=KEY,
        base_url=emulator.base_url,
        max_retries=0,  # a 429 would surface, not be retried away
        requests_per_second=RECOMMENDED_REQUESTS_PER_SECOND,
    )
    replies = llm.batch([f"question {i}" for i in range(200)], config={"max_concurrency": 50})
    assert [r.content for r in replies] == [f"Hello! You said: question {i}" for i in range(200)]
    assert sum(emulator.limits.rejected.values()) == 0


def test_without_the_limiter_the_same_fan_out_is_rate_limited(emulator: NanoGPTEmulator) -> None:
    emulator.limits.configure(requests_per_second=25)
    llm = ChatNanoGPT(model=GPT, api_key=KEY, base_url=emulator.base_url, max_retries=0)
    replies = llm.batch(["q"] * 100, config={"max_concurrency": 50}, return_exceptions=True)
    limited = [r for r in replies if isinstance(r, RateLimitError)]
    assert limited, "an unthrottled fan-out of 100 at concurrency 50 should hit 25 req/s"
    assert limited[0].status == 429 and limited[0].code == "rate_limit_exceeded"
    assert emulator.limits.rejected["rate_limit_exceeded"] == len(limited)


def test_llama_index_async_fan_out_with_the_limiter_gets_no_429(emulator: NanoGPTEmulator) -> None:
    emulator.limits.configure(requests_per_second=25)
    llm = NanoGPTLLM(
        model=GPT,
        api_key=KEY,
        api_base=emulator.base_url,
        context_window=1000,
        max_retries=0,
        requests_per_second=25,
    )

    async def fan_out() -> list[str]:
        replies = await asyncio.gather(
            *(llm.achat([ChatMessage(role="user", content=f"q{i}")]) for i in range(60))
        )
        return [r.message.content or "" for r in replies]

    assert asyncio.run(fan_out()) == [f"Hello! You said: q{i}" for i in range(60)]
    assert sum(emulator.limits.rejected.values()) == 0
