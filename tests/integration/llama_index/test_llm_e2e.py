"""End to end with ``Settings.llm = NanoGPTLLM(...)``: query engines and agents on the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, cast

import pytest
from llama_index.core import Settings
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import FunctionTool

from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator

KEY = "test-key-for-the-emulator"
NODES = [
    TextNode(text="The Eiffel Tower is 330 metres tall.", id_="n1", metadata={"url": "https://a.example"}),
    TextNode(
        text="It was completed in 1889 for the World's Fair.", id_="n2", metadata={"url": "https://b.example"}
    ),
]


class ListRetriever(BaseRetriever):
    """Returns fixed nodes with rank-derived scores (no index, no embeddings)."""

    def __init__(self, nodes: list[TextNode]) -> None:
        self._nodes = nodes
        super().__init__()

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [NodeWithScore(node=n, score=1.0 / (i + 1)) for i, n in enumerate(self._nodes)]


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


@pytest.fixture
def llm(emulator: NanoGPTEmulator) -> Iterator[NanoGPTLLM]:
    """A NanoGPTLLM installed as ``Settings.llm`` for the test (restored afterwards)."""
    previous = Settings._llm
    Settings.llm = NanoGPTLLM(model="openai/gpt-4o-mini", api_key=KEY, api_base=emulator.base_url)
    yield Settings.llm
    Settings._llm = previous


def user_prompt(emulator: NanoGPTEmulator) -> str:
    messages: list[dict[str, Any]] = emulator.last_request("/chat/completions").body["messages"]
    content = messages[-1]["content"]
    assert isinstance(content, str)
    return content


def test_retriever_query_engine(llm: NanoGPTLLM, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="It is 330 metres tall."))
    engine = RetrieverQueryEngine.from_args(ListRetriever(NODES))
    response = engine.query("How tall is the Eiffel Tower?")
    assert str(response) == "It is 330 metres tall."
    assert [n.node.node_id for n in response.source_nodes] == ["n1", "n2"]
    prompt = user_prompt(emulator)
    assert "The Eiffel Tower is 330 metres tall." in prompt
    assert "How tall is the Eiffel Tower?" in prompt
    assert emulator.last_request("/chat/completions").body["model"] == "openai/gpt-4o-mini"


def test_retriever_query_engine_streaming(llm: NanoGPTLLM, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="Completed in 1889.", chunk_size=3))
    engine = RetrieverQueryEngine.from_args(ListRetriever(NODES), streaming=True)
    response = engine.query("When was it completed?")
    assert isinstance(response, StreamingResponse)
    pieces = list(cast(Iterator[str], response.response_gen))
    assert len(pieces) > 1
    assert "".join(pieces) == "Completed in 1889."
    body = emulator.last_request("/chat/completions").body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_retriever_query_engine_async_in_two_event_loops(llm: NanoGPTLLM, emulator: NanoGPTEmulator) -> None:
    engine = RetrieverQueryEngine.from_args(ListRetriever(NODES))
    emulator.script(ChatReply(content="330 metres."), ChatReply(content="In 1889."))
    assert str(asyncio.run(engine.aquery("How tall?"))) == "330 metres."
    assert str(asyncio.run(engine.aquery("When?"))) == "In 1889."


def test_citation_query_engine(llm: NanoGPTLLM, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="The tower is 330 metres tall [1] and opened in 1889 [2]."))
    engine = CitationQueryEngine(retriever=ListRetriever(NODES), llm=llm)
    response = engine.query("Tell me about the Eiffel Tower")
    assert str(response) == "The tower is 330 metres tall [1] and opened in 1889 [2]."
    prompt = user_prompt(emulator)
    assert "Source 1:\nThe Eiffel Tower is 330 metres tall." in prompt
    assert "Source 2:\nIt was completed in 1889" in prompt
    assert response.source_nodes[0].node.metadata["url"] == "https://a.example"


async def test_function_agent_with_two_tools(llm: NanoGPTLLM, emulator: NanoGPTEmulator) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)],
        llm=llm,
        system_prompt="You are a calculator.",
    )
    result: Any = await agent.run(user_msg="Use multiply on 6 and 7, then add on 2 and 3")
    assert str(result) == "The results are 42 and 5."
    calls = [r.body for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(calls) == 2
    assert all(c["stream"] is True for c in calls)
    assert [t["function"]["name"] for t in calls[0]["tools"]] == ["multiply", "add"]
    assert "parallel_tool_calls" not in calls[0]
    assert "tool_choice" not in calls[0]
    followup = calls[1]["messages"]
    assert followup[0] == {"role": "system", "content": "You are a calculator."}
    assistant = followup[2]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["multiply", "add"]
    tool_messages = [m for m in followup if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["42", "5"]
    assert [m["tool_call_id"] for m in tool_messages] == [c["id"] for c in assistant["tool_calls"]]


async def test_react_agent(llm: NanoGPTLLM, emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(content='Thought: I need a tool.\nAction: multiply\nAction Input: {"a": 6, "b": 7}'),
        ChatReply(content="Thought: I can answer without using any more tools.\nAnswer: 42"),
    )
    agent = ReActAgent(
        tools=[FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)], llm=llm
    )
    result: Any = await agent.run(user_msg="What is 6 times 7?")
    assert str(result) == "42"
    calls = [r.body for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert len(calls) == 2
    assert all("tools" not in c for c in calls)
    assert "Observation: 42" in str(calls[1]["messages"])
