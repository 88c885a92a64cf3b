"""NanoGPTLLM on the Responses API against the emulator (and replayed from cassettes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from nanogpt_integrations.core import ResponseObject, ResponseStreamEvent, StreamError
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator

pytestmark = pytest.mark.timeout(60)

KEY = "test-key-for-the-emulator"
HELLO = [ChatMessage(role=MessageRole.USER, content="Hello there")]
Factory = Callable[..., NanoGPTLLM]


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
def make_llm(emulator: NanoGPTEmulator) -> Factory:
    def factory(**kwargs: Any) -> NanoGPTLLM:
        kwargs.setdefault("model", "openai/gpt-4o-mini")
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("api_base", emulator.base_url)
        kwargs.setdefault("use_responses_api", True)
        kwargs.setdefault("context_window", 128_000)
        kwargs.setdefault("is_function_calling_model", True)
        return NanoGPTLLM(**kwargs)

    return factory


def paths(emulator: NanoGPTEmulator) -> list[str]:
    return [r.path for r in emulator.requests]


def test_chat_sends_a_responses_body(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(temperature=0.2, max_tokens=64, billing_mode="paygo")
    messages = [ChatMessage(role=MessageRole.SYSTEM, content="Be brief."), *HELLO]
    response = llm.chat(messages)
    assert paths(emulator) == ["/api/v1/responses"]
    assert emulator.last_request().body == {
        "model": "openai/gpt-4o-mini",
        "temperature": 0.2,
        "max_output_tokens": 64,
        "input": [
            {"type": "message", "role": "system", "content": "Be brief."},
            {"type": "message", "role": "user", "content": "Hello there"},
        ],
    }
    assert emulator.last_request().headers["x-billing-mode"] == "paygo"  # headers carried over
    assert response.message.content == "Hello! You said: Hello there"
    assert isinstance(response.raw, ResponseObject)
    kwargs = response.additional_kwargs
    assert kwargs["response_id"].startswith("resp_")
    assert kwargs["prompt_tokens"] > 0 and kwargs["completion_tokens"] > 0
    assert kwargs["cost"] > 0 and kwargs["finish_reason"] == "stop"


def test_per_call_switch_both_ways(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    plain = make_llm(use_responses_api=False)
    assert plain.chat(HELLO, use_responses_api=True).message.content == "Hello! You said: Hello there"
    assert plain.chat(HELLO).message.content == "Hello! You said: Hello there"
    responses = make_llm()
    responses.chat(HELLO, use_responses_api=False)
    assert paths(emulator) == ["/api/v1/responses", "/api/v1/chat/completions", "/api/v1/chat/completions"]
    assert "use_responses_api" not in (emulator.requests[0].body or {})


def test_reasoning_becomes_a_thinking_block(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(model="openai/o3", reasoning_effort="low")
    response = llm.chat(HELLO)
    assert emulator.last_request().body["reasoning"] == {"effort": "low"}
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and (thinking[0].content or "").startswith("Let me think about this: Hello there")
    assert response.additional_kwargs["reasoning_tokens"] > 0
    streamed = list(llm.stream_chat(HELLO))
    assert any(r.additional_kwargs.get("thinking_delta") for r in streamed)
    final = streamed[-1]
    assert [type(b) for b in final.message.blocks] == [ThinkingBlock, TextBlock]
    assert final.message.content == response.message.content


def test_stream_chat(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="Streamed words here", chunk_size=5))
    streamed = list(make_llm().stream_chat(HELLO))
    assert emulator.last_request().body["stream"] is True
    assert "".join(r.delta or "" for r in streamed) == "Streamed words here"
    assert streamed[-1].message.content == "Streamed words here"
    assert isinstance(streamed[-1].raw, ResponseStreamEvent) and streamed[-1].raw.type == "response.completed"
    assert streamed[-1].additional_kwargs["total_tokens"] > 0
    assert streamed[-1].additional_kwargs["cost"] > 0


def test_broken_stream_raises(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.eof_without_done(after_chunks=3), path="/responses")
    with pytest.raises(StreamError):
        list(make_llm().stream_chat(HELLO))


def test_chat_with_tools_and_tool_results(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    tools = [FunctionTool.from_defaults(fn=multiply)]
    response = llm.chat_with_tools(tools, user_msg="multiply 6 and 7", tool_required=True)
    body = emulator.last_request().body
    (tool,) = body["tools"]  # flat Responses shape, not chat's nested "function"
    assert (tool["type"], tool["name"], sorted(tool)) == (
        "function",
        "multiply",
        ["description", "name", "parameters", "type"],
    )
    assert tool["parameters"]["required"] == ["a", "b"]
    assert body["tool_choice"] == "required"
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    history = [
        ChatMessage(role=MessageRole.USER, content="multiply 6 and 7"),
        response.message,
        ChatMessage(
            role=MessageRole.TOOL, content="42", additional_kwargs={"tool_call_id": calls[0].tool_id}
        ),
    ]
    final = llm.chat(history)
    assert emulator.last_request().body["input"][1:] == [
        {
            "type": "function_call",
            "call_id": calls[0].tool_id,
            "name": "multiply",
            "arguments": '{"a": 6, "b": 7}',
        },
        {"type": "function_call_output", "call_id": calls[0].tool_id, "output": "42"},
    ]
    assert final.message.content == "The result is 42."
    assert any(isinstance(b, ToolCallBlock) for b in response.message.blocks)


def test_structured_output_uses_text_format(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(supports_structured_output=True)
    person = llm.structured_predict(Person, PromptTemplate("Extract: {text}"), text="Ada is 36")
    fmt = emulator.last_request().body["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["schema"]["required"]) == ("json_schema", "Person", ["name", "age"])
    assert isinstance(person, Person) and isinstance(person.age, int)


def test_bad_max_tokens_fails_before_any_request(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        make_llm(max_tokens=8).chat(HELLO)
    assert emulator.requests == []


async def test_async_chat_and_stream(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    response = await llm.achat(HELLO)
    assert response.message.content == "Hello! You said: Hello there"
    chunks = [r async for r in await llm.astream_chat(HELLO)]
    assert chunks[-1].message.content == "Hello! You said: Hello there"
    assert chunks[-1].additional_kwargs["completion_tokens"] > 0
    completion = await llm.acomplete("Hi")
    assert completion.text == "Hello! You said: Hi"
    assert paths(emulator) == ["/api/v1/responses"] * 3


async def test_function_agent_runs_on_the_responses_api(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)],
        llm=llm,
        system_prompt="You are a calculator.",
    )
    result: Any = await agent.run(user_msg="Use multiply on 6 and 7, then add on 2 and 3")
    assert str(result) == "The results are 42 and 5."
    assert [c.tool_name for c in result.tool_calls] == ["multiply", "add"]
    assert set(paths(emulator)) == {"/api/v1/responses"}
    last = emulator.last_request().body
    outputs = [item for item in last["input"] if item["type"] == "function_call_output"]
    assert [o["output"] for o in outputs] == ["42", "5"]
    assert last["stream"] is True


# -- cassette replay ------------------------------------------------------------------------------


@pytest.fixture
def recorded_llm(recorded_endpoint: tuple[str, str]) -> NanoGPTLLM:
    base_url, key = recorded_endpoint
    return NanoGPTLLM(
        model="openai/gpt-4o-mini",
        api_key=key,
        api_base=base_url,
        use_responses_api=True,
        context_window=128_000,
        is_function_calling_model=True,
    )


@pytest.mark.vcr
def test_cassette_chat_stream_and_tools(recorded_llm: NanoGPTLLM) -> None:
    response = recorded_llm.chat(HELLO)
    assert response.message.content == "Hello! You said: Hello there"
    assert response.additional_kwargs["prompt_tokens"] > 0
    streamed = list(recorded_llm.stream_chat(HELLO))
    assert streamed[-1].message.content == response.message.content
    tools = [FunctionTool.from_defaults(fn=multiply)]
    called = recorded_llm.chat_with_tools(tools, user_msg="multiply 9 and 11")
    calls = recorded_llm.get_tool_calls_from_response(called)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 9, "b": 11})]
    assert json.loads(json.dumps(called.additional_kwargs))["response_id"].startswith("resp_")


@pytest.mark.vcr
async def test_cassette_function_agent(recorded_llm: NanoGPTLLM) -> None:
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)],
        llm=recorded_llm,
        system_prompt="You are a calculator.",
    )
    result: Any = await agent.run(user_msg="Use multiply on 6 and 7, then add on 2 and 3")
    assert str(result) == "The results are 42 and 5."
