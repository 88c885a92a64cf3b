"""NanoGPTLLM tool calling and structured output against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator, ToolCallSpec

KEY = "test-key-for-the-emulator"
Factory = Callable[..., NanoGPTLLM]


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


TOOLS = [FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)]


class Person(BaseModel):
    """A person with a name and an age."""

    name: str
    age: int


PROMPT = PromptTemplate("Extract the person: {text}")


@pytest.fixture
def make_llm(emulator: NanoGPTEmulator) -> Factory:
    def factory(**kwargs: Any) -> NanoGPTLLM:
        kwargs.setdefault("model", "openai/gpt-4o-mini")
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("api_base", emulator.base_url)
        return NanoGPTLLM(**kwargs)

    return factory


def last_body(emulator: NanoGPTEmulator) -> dict[str, Any]:
    body: dict[str, Any] = emulator.last_request("/chat/completions").body
    return body


# -- chat_with_tools -----------------------------------------------------------------------------


def test_chat_with_tools_payload_and_tool_calls(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    response = llm.chat_with_tools(TOOLS, user_msg="Please multiply 6 and 7")
    body = last_body(emulator)
    assert [t["function"]["name"] for t in body["tools"]] == ["multiply", "add"]
    assert body["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body
    [call] = llm.get_tool_calls_from_response(response)
    assert (call.tool_name, call.tool_kwargs) == ("multiply", {"a": 6, "b": 7})
    assert call.tool_id.startswith("call_")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"tool_required": True}, "required"),
        ({"tool_choice": "auto"}, "auto"),
        ({"tool_choice": "none"}, "none"),
        ({"tool_choice": "add"}, {"type": "function", "function": {"name": "add"}}),
    ],
)
def test_tool_choice_variants(
    make_llm: Factory, emulator: NanoGPTEmulator, kwargs: dict[str, Any], expected: Any
) -> None:
    make_llm().chat_with_tools(TOOLS, user_msg="numbers 2 and 3", **kwargs)
    assert last_body(emulator)["tool_choice"] == expected


def test_parallel_tool_calls_sent_only_when_configured(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    make_llm(allow_parallel_tool_calls=False).chat_with_tools(TOOLS, user_msg="multiply 2 and 3")
    assert last_body(emulator)["parallel_tool_calls"] is False
    make_llm(allow_parallel_tool_calls=True).chat_with_tools(TOOLS, user_msg="multiply 2 and 3")
    assert last_body(emulator)["parallel_tool_calls"] is True


def test_non_parallel_callers_get_one_call(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(
            tool_calls=[ToolCallSpec("multiply", {"a": 1, "b": 2}), ToolCallSpec("add", {"a": 3, "b": 4})]
        )
    )
    llm = make_llm()
    trimmed = llm.chat_with_tools(TOOLS, user_msg="do both", allow_parallel_tool_calls=False)
    assert [c.tool_name for c in llm.get_tool_calls_from_response(trimmed)] == ["multiply"]
    emulator.script(
        ChatReply(
            tool_calls=[ToolCallSpec("multiply", {"a": 1, "b": 2}), ToolCallSpec("add", {"a": 3, "b": 4})]
        )
    )
    both = llm.chat_with_tools(TOOLS, user_msg="do both", allow_parallel_tool_calls=True)
    assert [c.tool_name for c in llm.get_tool_calls_from_response(both)] == ["multiply", "add"]


def test_no_tool_call_error_and_tolerant_arguments(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    plain = llm.chat([ChatMessage(role="user", content="hello")])
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        llm.get_tool_calls_from_response(plain)
    assert llm.get_tool_calls_from_response(plain, error_on_no_tool_call=False) == []
    emulator.script(ChatReply(tool_calls=[ToolCallSpec("multiply", '{"a": 3, "b": ', id="call_bad")]))
    broken = llm.chat_with_tools(TOOLS, user_msg="multiply")
    [call] = llm.get_tool_calls_from_response(broken)
    assert (call.tool_id, call.tool_name, call.tool_kwargs) == ("call_bad", "multiply", {"a": 3, "b": None})


def test_tool_round_trip_sends_tool_calls_and_results(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    history = [ChatMessage(role="user", content="Please multiply 6 and 7")]
    first = llm.chat_with_tools(TOOLS, chat_history=history)
    [call] = llm.get_tool_calls_from_response(first)
    history += [
        first.message,
        ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": call.tool_id}),
    ]
    final = llm.chat_with_tools(TOOLS, chat_history=history)
    sent = last_body(emulator)["messages"]
    assert sent[1]["tool_calls"] == [
        {
            "id": call.tool_id,
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'},
        }
    ]
    assert sent[1]["content"] is None
    assert sent[2] == {"role": "tool", "content": "42", "tool_call_id": call.tool_id}
    assert final.message.content == "The result is 42."


def test_predict_and_call(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    result = make_llm().predict_and_call(TOOLS, user_msg="multiply 9 and 11")
    assert result.response == "99"
    assert result.sources[0].tool_name == "multiply"


async def test_apredict_and_call(make_llm: Factory) -> None:
    result = await make_llm().apredict_and_call(TOOLS, user_msg="add 9 and 11")
    assert result.response == "20"


@pytest.mark.parametrize(
    "reply",
    [
        ChatReply(tool_calls=[ToolCallSpec("multiply", {"a": 4, "b": 5}, id="call_x")], chunk_size=3),
        ChatReply(
            tool_calls=[ToolCallSpec("multiply", {"a": 4, "b": 5}, id="call_x")],
            chunk_size=3,
            repeat_tool_call_id=True,
        ),
        ChatReply(
            tool_calls=[ToolCallSpec("multiply", {"a": 4, "b": 5}, id="call_x")],
            chunk_size=3,
            omit_tool_call_index=True,
        ),
    ],
)
def test_stream_chat_with_tools_merges_fragments(
    make_llm: Factory, emulator: NanoGPTEmulator, reply: ChatReply
) -> None:
    emulator.script(reply)
    llm = make_llm()
    responses = list(llm.stream_chat_with_tools(TOOLS, user_msg="multiply"))
    assert len(responses) > 2
    [call] = llm.get_tool_calls_from_response(responses[-1])
    assert (call.tool_id, call.tool_name, call.tool_kwargs) == ("call_x", "multiply", {"a": 4, "b": 5})
    blocks = [b for b in responses[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert len(blocks) == 1
    assert responses[-1].message.additional_kwargs["tool_calls"][0]["id"] == "call_x"


async def test_async_tools(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    response = await llm.achat_with_tools(TOOLS, user_msg="add 1 and 2", tool_required=True)
    assert last_body(emulator)["tool_choice"] == "required"
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"a": 1, "b": 2}
    responses = [r async for r in await llm.astream_chat_with_tools(TOOLS, user_msg="multiply 3 and 4")]
    last = responses[-1]
    assert llm.get_tool_calls_from_response(last)[0].tool_kwargs == {"a": 3, "b": 4}


# -- structured output ---------------------------------------------------------------------------


def test_structured_predict_uses_json_schema_when_supported(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    person = make_llm().structured_predict(Person, PROMPT, text="Ada is 36 years old")
    assert isinstance(person, Person)
    body = last_body(emulator)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Person"
    assert "tools" not in body
    assert "tool_choice" not in body


def test_structured_predict_forced_tool_call_without_json_schema(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    person = make_llm(model="moonshotai/kimi-k2-instruct").structured_predict(
        Person, PROMPT, text="Bob is 41"
    )
    assert isinstance(person, Person)
    body = last_body(emulator)
    assert body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["Person"]
    assert "response_format" not in body


def test_structured_predict_text_path_sends_no_tool_choice(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    emulator.script(ChatReply(content='{"name": "Cy", "age": 7}'))
    person = make_llm(model="deepseek/deepseek-r1").structured_predict(Person, PROMPT, text="Cy is 7")
    assert person == Person(name="Cy", age=7)
    body = last_body(emulator)
    assert "tool_choice" not in body
    assert "tools" not in body


def test_explicit_structured_output_flag_wins(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    make_llm(supports_structured_output=False).structured_predict(Person, PROMPT, text="Dee is 50")
    assert last_body(emulator)["tool_choice"] == "required"
    assert "response_format" not in last_body(emulator)
    emulator.clear()
    emulator.accept_any_model = True  # an id outside every catalogue: only the explicit flags decide
    make_llm(
        model="acme/unknown", supports_structured_output=True, is_function_calling_model=True
    ).structured_predict(Person, PROMPT, text="Eve is 22")
    assert last_body(emulator)["response_format"]["type"] == "json_schema"


async def test_astructured_predict_both_paths(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    person = await make_llm().astructured_predict(Person, PROMPT, text="Fay is 30")
    assert isinstance(person, Person)
    assert last_body(emulator)["response_format"]["type"] == "json_schema"
    person = await make_llm(model="moonshotai/kimi-k2-instruct").astructured_predict(
        Person, PROMPT, text="Gus is 31"
    )
    assert isinstance(person, Person)
    assert last_body(emulator)["tool_choice"] == "required"


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "moonshotai/kimi-k2-instruct"])
def test_stream_structured_predict(make_llm: Factory, emulator: NanoGPTEmulator, model: str) -> None:
    emulator.script(
        ChatReply(content='{"name": "Hal", "age": 9}', chunk_size=4)
        if model == "openai/gpt-4o-mini"
        else ChatReply(tool_calls=[ToolCallSpec("Person", {"name": "Hal", "age": 9})], chunk_size=4)
    )
    partials = list(make_llm(model=model).stream_structured_predict(Person, PROMPT, text="Hal is 9"))
    assert len(partials) > 1
    assert partials[-1].model_dump() == {"name": "Hal", "age": 9}
    assert last_body(emulator)["stream"] is True


async def test_astream_structured_predict(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content='{"name": "Ivy", "age": 5}', chunk_size=4))
    partials = [p async for p in await make_llm().astream_structured_predict(Person, PROMPT, text="Ivy")]
    assert partials[-1].model_dump() == {"name": "Ivy", "age": 5}


def test_as_structured_llm(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content='{"name": "Jo", "age": 44}'))
    structured = make_llm().as_structured_llm(Person)
    response = structured.chat([ChatMessage(role="user", content="Jo is 44")])
    assert response.raw == Person(name="Jo", age=44)
    assert last_body(emulator)["response_format"]["type"] == "json_schema"
