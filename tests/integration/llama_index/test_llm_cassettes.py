"""The NanoGPTLLM flows replayed from cassettes (recorded from the emulator, or live with a key).

Replay: ``pytest tests/integration/llama_index`` (default, no network). Re-record:
``pytest tests/integration/llama_index --record-mode=rewrite``. Scripted replies are only used
when recording against the emulator; the cassettes then hold them, so replay needs no script.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from llama_index.core import Settings
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.prompts import PromptTemplate
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import ChatReply

NODES = [
    TextNode(text="The Eiffel Tower is 330 metres tall.", id_="n1", metadata={"url": "https://a.example"}),
    TextNode(
        text="It was completed in 1889 for the World's Fair.", id_="n2", metadata={"url": "https://b.example"}
    ),
]


class ListRetriever(BaseRetriever):
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


class Person(BaseModel):
    """A person with a name and an age."""

    name: str
    age: int


@pytest.fixture
def script(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Queue emulator replies, but only while recording against the emulator."""

    def queue(*replies: ChatReply) -> None:
        mode = request.config.getoption("--record-mode", default="none")
        if mode in (None, "none") or os.environ.get("NANOGPT_API_KEY"):
            return
        request.getfixturevalue("nanogpt_emulator").script(*replies)

    return queue


@pytest.fixture
def llm(recorded_endpoint: tuple[str, str]) -> Iterator[NanoGPTLLM]:
    base_url, key = recorded_endpoint
    previous = Settings._llm
    Settings.llm = NanoGPTLLM(model="openai/gpt-4o-mini", api_key=key, api_base=base_url)
    yield Settings.llm
    Settings._llm = previous


@pytest.mark.vcr
def test_chat_and_stream(llm: NanoGPTLLM) -> None:
    response = llm.chat([ChatMessage(role="user", content="Say hello")])
    assert response.message.content == "Hello! You said: Say hello"
    assert response.additional_kwargs["prompt_tokens"] > 0
    streamed = list(llm.stream_chat([ChatMessage(role="user", content="Say hello")]))
    assert streamed[-1].message.content == response.message.content
    assert streamed[-1].additional_kwargs["completion_tokens"] > 0
    assert "cost" in streamed[-1].additional_kwargs


@pytest.mark.vcr
def test_retriever_query_engine(llm: NanoGPTLLM, script: Callable[..., None]) -> None:
    script(ChatReply(content="It is 330 metres tall."), ChatReply(content="Completed in 1889.", chunk_size=4))
    engine = RetrieverQueryEngine.from_args(ListRetriever(NODES))
    assert str(engine.query("How tall is the Eiffel Tower?")) == "It is 330 metres tall."
    streaming = RetrieverQueryEngine.from_args(ListRetriever(NODES), streaming=True)
    response = streaming.query("When was it completed?")
    assert isinstance(response, StreamingResponse)
    assert "".join(cast(Iterator[str], response.response_gen)) == "Completed in 1889."


@pytest.mark.vcr
def test_citation_query_engine(llm: NanoGPTLLM, script: Callable[..., None]) -> None:
    script(ChatReply(content="It is 330 metres tall [1]."))
    response = CitationQueryEngine(retriever=ListRetriever(NODES), llm=llm).query("How tall is it?")
    assert str(response) == "It is 330 metres tall [1]."
    assert response.source_nodes[0].node.metadata["url"] == "https://a.example"


@pytest.mark.vcr
async def test_function_agent_two_tools(llm: NanoGPTLLM) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)],
        llm=llm,
        system_prompt="You are a calculator.",
    )
    result: Any = await agent.run(user_msg="Use multiply on 6 and 7, then add on 2 and 3")
    assert str(result) == "The results are 42 and 5."
    assert [c.tool_name for c in result.tool_calls] == ["multiply", "add"]


@pytest.mark.vcr
async def test_react_agent(llm: NanoGPTLLM, script: Callable[..., None]) -> None:
    script(
        ChatReply(content='Thought: I need a tool.\nAction: multiply\nAction Input: {"a": 6, "b": 7}'),
        ChatReply(content="Thought: I can answer without using any more tools.\nAnswer: 42"),
    )
    agent = ReActAgent(tools=[FunctionTool.from_defaults(fn=multiply)], llm=llm)
    result: Any = await agent.run(user_msg="What is 6 times 7?")
    assert str(result) == "42"
    assert [c.tool_name for c in result.tool_calls] == ["multiply"]


@pytest.mark.vcr
def test_tools_and_structured_output(llm: NanoGPTLLM) -> None:
    tools = [FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)]
    assert llm.predict_and_call(tools, user_msg="multiply 9 and 11").response == "99"
    person: Any = llm.structured_predict(Person, PromptTemplate("Extract: {text}"), text="Ada is 36")
    assert isinstance(person, Person)
