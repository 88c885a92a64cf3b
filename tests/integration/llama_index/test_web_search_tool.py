"""NanoGPTWebSearchToolSpec against the emulator: request bodies, readable output, a FunctionAgent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

from nanogpt_integrations.core.search_records import SearchParameterError
from nanogpt_integrations.llama_index import NanoGPTLLM, NanoGPTWebSearchToolSpec
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator, ToolCallSpec

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"


def _spec(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTWebSearchToolSpec:
    return NanoGPTWebSearchToolSpec(api_key=KEY, api_base=emulator.base_url, **kwargs)


def test_web_search_sync_sends_the_filters(emulator: NanoGPTEmulator) -> None:
    (tool,) = _spec(emulator, exclude_domains=["spam.com"]).to_tool_list()
    output = tool.call(
        query="llama index agents",
        depth="deep",
        from_date="2025-02-01",
        include_domains=["docs.llamaindex.ai"],
        max_results=1,
    )
    assert emulator.last_request("/web").body == {
        "query": "llama index agents",
        "provider": "linkup",
        "depth": "deep",
        "outputType": "searchResults",
        "fromDate": "2025-02-01",
        "includeDomains": ["docs.llamaindex.ai"],
        "excludeDomains": ["spam.com"],
    }
    assert not output.is_error
    assert output.content == (
        "Web results for 'llama index agents':\n\n"
        "[1] llama index agents | News 1\n"
        "URL: https://docs.llamaindex.ai/llama-index-agents/1\n"
        "Date: 2025-02-01\n"
        "Result 1 about llama index agents: a deterministic snippet from docs.llamaindex.ai."
    )


async def test_web_search_async_and_no_results(emulator: NanoGPTEmulator) -> None:
    spec = _spec(emulator, k=2)
    (tool,) = spec.to_tool_list()
    output = await tool.acall(query="async rust")
    assert output.content.count("URL: https://") == 2
    empty = await tool.acall(query="nothing", include_domains=["a.com"], exclude_domains=["a.com"])
    assert empty.content.startswith("No web results for 'nothing'")
    assert spec._search.clients(spec)._sync is None


async def test_bad_arguments_fail_before_any_request(emulator: NanoGPTEmulator) -> None:
    spec = _spec(emulator)
    with pytest.raises(SearchParameterError, match="from_date"):
        spec.web_search("q", from_date="2025-05-01", to_date="2025-04-01")
    with pytest.raises(SearchParameterError, match=r"^max_results must be an integer >= 1"):
        await spec.aweb_search("q", max_results=0)
    with pytest.raises(SearchParameterError, match="query"):
        spec.web_search(" ")
    assert emulator.requests == []


async def test_function_agent_searches_and_answers(emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(tool_calls=[ToolCallSpec("web_search", {"query": "emulator news", "max_results": 2})]),
        ChatReply(content="The emulator was in the news [1]."),
    )
    llm = NanoGPTLLM(model="openai/gpt-4o-mini", api_key=KEY, api_base=emulator.base_url)
    agent = FunctionAgent(
        tools=_spec(emulator).to_tool_list(), llm=llm, system_prompt="Search before answering."
    )
    handler = agent.run(user_msg="What is new with the emulator?")
    results = [event async for event in handler.stream_events() if isinstance(event, ToolCallResult)]
    answer = await handler
    assert str(answer) == "The emulator was in the news [1]."
    assert [r.tool_name for r in results] == ["web_search"]
    assert results[0].tool_kwargs == {"query": "emulator news", "max_results": 2}
    assert results[0].tool_output.content.startswith("Web results for 'emulator news'")

    chats = [r.body for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert chats[0]["tools"][0]["function"]["name"] == "web_search"
    tool_message = chats[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "URL: https://emulator-news-news.com/emulator-news/1" in json.dumps(tool_message)
    assert emulator.last_request("/web").body["query"] == "emulator news"
