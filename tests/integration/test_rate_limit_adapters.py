"""``requests_per_second`` on both adapters against the emulator enforcing NanoGPT's documented
25 requests per second (``api-reference/miscellaneous/rate-limits.mdx``): LangChain's
``llm.batch(200 inputs, max_concurrency=50)`` and LlamaIndex's 200 concurrent ``achat`` calls get
no 429 with the limiter; without it, the same fan-out does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from nanogpt_integrations.core import RECOMMENDED_REQUESTS_PER_SECOND, RateLimitError
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(90)]

CALLS = 200


def fresh_key() -> str:
    """A key of its own: buckets are shared per key and host across the whole process."""
    return f"key-{uuid.uuid4().hex}"


@pytest.fixture
def limited(emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    emulator.limits.configure(requests_per_second=25)
    return emulator


def lc(emulator: NanoGPTEmulator, **kwargs: Any) -> ChatNanoGPT:
    return ChatNanoGPT(model="openai/gpt-4o-mini", api_key=fresh_key(), base_url=emulator.base_url, max_retries=0, **kwargs)


def test_langchain_batch_with_the_limiter_gets_no_429(limited: NanoGPTEmulator) -> None:
    llm = lc(limited, requests_per_second=RECOMMENDED_REQUESTS_PER_SECOND)
    replies = llm.batch([f"call {i}" for i in range(CALLS)], {"max_concurrency": 50})
    assert [r.content for r in replies] == [f"Hello! You said: call {i}" for i in range(CALLS)]
    assert sum(limited.limits.rejected.values()) == 0
    assert sum(1 for r in limited.requests if r.path.endswith("/chat/completions")) == CALLS


def test_langchain_batch_without_the_limiter_gets_429s(limited: NanoGPTEmulator) -> None:
    out = lc(limited).batch([f"call {i}" for i in range(CALLS)], {"max_concurrency": 50}, return_exceptions=True)
    refused = [o for o in out if isinstance(o, RateLimitError)]
    assert refused and all(e.status == 429 and e.code == "rate_limit_exceeded" for e in refused)
    assert limited.limits.rejected["rate_limit_exceeded"] == len(refused)


def test_llama_index_concurrent_calls_with_the_limiter_get_no_429(limited: NanoGPTEmulator) -> None:
    llm = NanoGPTLLM(
        "openai/gpt-4o-mini",
        api_key=fresh_key(),
        api_base=limited.base_url,
        max_retries=0,
        context_window=128_000,
        requests_per_second=25,
    )

    async def run() -> list[str | None]:
        calls = [llm.achat([ChatMessage(role=MessageRole.USER, content=f"call {i}")]) for i in range(CALLS)]
        return [r.message.content for r in await asyncio.gather(*calls)]

    assert asyncio.run(run()) == [f"Hello! You said: call {i}" for i in range(CALLS)]
    assert sum(limited.limits.rejected.values()) == 0


def test_the_setting_is_validated_and_rebuilds_the_clients(emulator: NanoGPTEmulator) -> None:
    from nanogpt_integrations.core import ConfigurationError

    for make in (lambda **k: ChatNanoGPT(model="m", api_key="k", **k), lambda **k: NanoGPTLLM("m", api_key="k", **k)):
        with pytest.raises(ConfigurationError, match="requests_per_second"):
            make(requests_per_second=0)
    llm = lc(emulator)
    before = llm._sync_client()
    llm.requests_per_second = 5
    assert llm._sync_client() is not before
