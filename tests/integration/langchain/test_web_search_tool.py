"""NanoGPTWebSearchTool against the emulator: readable content, Document artifacts, errors, agent use."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import ToolException
from pydantic import ValidationError

from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPTWebSearchTool, get_nanogpt_callback
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator, ToolCallSpec

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"


def _tool(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTWebSearchTool:
    return NanoGPTWebSearchTool(api_key=KEY, base_url=emulator.base_url, **kwargs)


def _call(args: dict[str, Any]) -> dict[str, Any]:
    return {"name": "nanogpt_web_search", "args": args, "id": "call_1", "type": "tool_call"}


def test_tool_call_returns_numbered_text_and_documents(emulator: NanoGPTEmulator) -> None:
    args = {
        "query": "pydantic v2 migration",
        "from_date": "2025-01-01",
        "to_date": "2025-03-01",
        "include_domains": ["docs.pydantic.dev"],
        "max_results": 2,
    }
    message = _tool(emulator).invoke(_call(args))
    assert emulator.last_request("/web").body == {
        "query": "pydantic v2 migration",
        "provider": "linkup",
        "depth": "standard",
        "outputType": "searchResults",
        "fromDate": "2025-01-01",
        "toDate": "2025-03-01",
        "includeDomains": ["docs.pydantic.dev"],
    }
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    assert message.content == (
        "Web results for 'pydantic v2 migration':\n\n"
        "[1] pydantic v2 migration | News 1\n"
        "URL: https://docs.pydantic.dev/pydantic-v2-migration/1\n"
        "Date: 2025-01-01\n"
        "Result 1 about pydantic v2 migration: a deterministic snippet from docs.pydantic.dev.\n\n"
        "[2] pydantic v2 migration | Wiki 2\n"
        "URL: https://docs.pydantic.dev/pydantic-v2-migration/2\n"
        "Date: 2025-01-07\n"
        "Result 2 about pydantic v2 migration: a deterministic snippet from docs.pydantic.dev."
    )
    assert [doc.metadata["url"] for doc in message.artifact] == [
        "https://docs.pydantic.dev/pydantic-v2-migration/1",
        "https://docs.pydantic.dev/pydantic-v2-migration/2",
    ]
    assert message.artifact[0].metadata["cost"] == 0.006


async def test_async_tool_uses_the_configured_options(emulator: NanoGPTEmulator) -> None:
    tool = _tool(emulator, depth="deep", exclude_domains=["spam.com"], k=3)
    content = await tool.ainvoke({"query": "zig build system"})
    assert emulator.last_request("/web").body == {
        "query": "zig build system",
        "provider": "linkup",
        "depth": "deep",
        "outputType": "searchResults",
        "excludeDomains": ["spam.com"],
    }
    assert isinstance(content, str)
    assert content.count("\nURL: https://") == 3
    assert tool.retriever.clients._sync is None


async def test_no_results_is_a_tool_exception(emulator: NanoGPTEmulator) -> None:
    # every emulated result is on the included domain, which is also excluded: nothing is left
    args = {"query": "nothing", "include_domains": ["a.com"], "exclude_domains": ["a.com"]}
    handled = _tool(emulator).invoke(_call(args))
    assert handled.status == "error"
    assert handled.content.startswith("No web results for 'nothing'")
    strict = _tool(emulator, handle_tool_error=False)
    with pytest.raises(ToolException, match="No web results"):
        strict.invoke(args)
    with pytest.raises(ToolException, match="No web results"):
        await strict.ainvoke(args)
    assert len(emulator.requests) == 3


def test_bad_arguments_fail_before_any_request(emulator: NanoGPTEmulator) -> None:
    tool = _tool(emulator, from_date="2025-06-01")
    with pytest.raises(ValidationError, match="from_date"):
        tool.invoke({"query": "q", "from_date": "2025-02-30"})
    with pytest.raises(ValidationError, match="query"):
        tool.invoke({"query": ""})
    # a per-call to_date before the configured from_date: the model is told which parameter is wrong
    message = tool.invoke(_call({"query": "q", "to_date": "2025-01-01"}))
    assert message.status == "error"
    assert "from_date" in message.content
    assert "to_date" in message.content
    assert emulator.requests == []


class _Runs(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tools: list[UUID] = []
        self.retriever_parents: list[UUID | None] = []

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: UUID, **kwargs: Any) -> None:
        self.tools.append(run_id)

    def on_retriever_start(
        self, serialized: Any, query: str, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self.retriever_parents.append(parent_run_id)


async def test_search_is_a_child_run_and_its_cost_is_counted(emulator: NanoGPTEmulator) -> None:
    tool = _tool(emulator)
    runs = _Runs()
    with get_nanogpt_callback() as cb:
        tool.invoke({"query": "one", "max_results": 1}, {"callbacks": [runs]})
        await tool.ainvoke({"query": "two", "depth": "deep"}, {"callbacks": [runs]})
    assert runs.retriever_parents == runs.tools
    assert len(runs.tools) == 2
    assert cb.web_searches == 2
    assert cb.web_search_cost == pytest.approx(0.066)


def test_chat_model_calls_the_tool_and_answers_from_its_results(emulator: NanoGPTEmulator) -> None:
    tool = _tool(emulator)
    emulator.script(
        ChatReply(
            tool_calls=[ToolCallSpec("nanogpt_web_search", {"query": "emulator news", "max_results": 2})]
        ),
        ChatReply(content="Two sources cover it [1][2]."),
    )
    model = ChatNanoGPT(model="openai/gpt-4o-mini", api_key=KEY, base_url=emulator.base_url)
    bound = model.bind_tools([tool])
    question = HumanMessage("What is new with the emulator? Search the web.")
    first = bound.invoke([question])
    assert isinstance(first, AIMessage)
    assert first.tool_calls[0]["name"] == "nanogpt_web_search"
    tool_message = tool.invoke(first.tool_calls[0])
    answer = bound.invoke([question, first, tool_message])
    assert answer.content == "Two sources cover it [1][2]."

    chats = [r.body for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert chats[0]["tools"][0]["function"]["name"] == "nanogpt_web_search"
    sent_back = chats[1]["messages"][-1]
    assert sent_back["role"] == "tool"
    assert "[1] emulator news | News 1" in sent_back["content"]
    assert "URL: https://emulator-news-wiki.org/emulator-news/2" in sent_back["content"]
    assert emulator.last_request("/web").body["query"] == "emulator news"
