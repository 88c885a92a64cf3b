"""ChatNanoGPT on the Responses API (``use_responses_api=True``) against the emulator, and replayed
from cassettes: the exact ``/responses`` wire body, and what the user gets back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from nanogpt_integrations.core import NotFoundError, StreamError
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator, ToolCallSpec

pytestmark = pytest.mark.timeout(60)

MODEL = "openai/gpt-4o-mini"
KEY = "test-key-for-the-emulator"
RESPONSES = "/api/v1/responses"
CHAT = "/api/v1/chat/completions"


def chat(emulator: NanoGPTEmulator, **kwargs: Any) -> ChatNanoGPT:
    kwargs.setdefault("use_responses_api", True)
    return ChatNanoGPT(**{"model": MODEL, "api_key": KEY, "base_url": emulator.base_url, **kwargs})


def sent(emulator: NanoGPTEmulator) -> dict[str, Any]:
    body = emulator.last_request("/responses").body
    assert isinstance(body, dict)
    return body


def paths(emulator: NanoGPTEmulator) -> list[str]:
    return [r.path for r in emulator.requests]


def collect(chunks: Any) -> AIMessageChunk:
    full: AIMessageChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


def check_reply(message: BaseMessage, said: str) -> None:
    assert isinstance(message, AIMessage)
    assert message.content == f"Hello! You said: {said}"
    meta = message.response_metadata
    assert meta["id"].startswith("resp_") and message.id == meta["id"]
    assert meta["model_provider"] == "nanogpt" and meta["model_name"] == MODEL
    assert meta["finish_reason"] == "stop"
    assert meta["request_id"].startswith("req_")
    assert meta["cost"] > 0 and meta["nanogpt_pricing"]["currency"] == "USD"
    usage = message.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


class Person(BaseModel):
    """A person."""

    name: str = Field(description="Their name")
    age: int = Field(description="Their age")


# -- the four calls ---------------------------------------------------------------------------------


def test_invoke_sends_a_responses_body(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, temperature=0.2, max_tokens=64, billing_mode="paygo")
    message = model.invoke([SystemMessage("Be brief."), HumanMessage("Hello there")])
    assert paths(emulator) == [RESPONSES]
    assert sent(emulator) == {
        "model": MODEL,
        "temperature": 0.2,
        "max_output_tokens": 64,
        "input": [
            {"type": "message", "role": "system", "content": "Be brief."},
            {"type": "message", "role": "user", "content": "Hello there"},
        ],
    }
    assert emulator.last_request().headers["x-billing-mode"] == "paygo"  # NanoGPT options carried over
    check_reply(message, "Hello there")
    assert message.response_metadata["token_usage"]["input_tokens"] == message.usage_metadata["input_tokens"]  # type: ignore[index]


async def test_ainvoke(emulator: NanoGPTEmulator) -> None:
    check_reply(await chat(emulator).ainvoke("ping"), "ping")
    assert paths(emulator) == [RESPONSES]


def test_stream(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="Hello! You said: ping", chunk_size=4))
    chunks = list(chat(emulator).stream("ping"))
    assert sent(emulator)["stream"] is True and "stream_options" not in sent(emulator)
    assert len(chunks) > 3
    assert sum(1 for c in chunks if c.usage_metadata) == 1  # usage on the last chunk only
    assert chunks[-1].chunk_position == "last"
    assert all(c.id == chunks[-1].id for c in chunks)
    check_reply(collect(chunks), "ping")


async def test_astream(emulator: NanoGPTEmulator) -> None:
    chunks = [c async for c in chat(emulator).astream("ping")]
    assert sent(emulator)["stream"] is True
    check_reply(collect(chunks), "ping")


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


async def test_streamed_tokens_reach_callbacks(emulator: NanoGPTEmulator) -> None:
    handler = Tokens()
    collect(chat(emulator).stream("ping", config={"callbacks": [handler]}))
    assert len(handler.tokens) > 1 and "".join(handler.tokens) == "Hello! You said: ping"
    handler = Tokens()
    [c async for c in chat(emulator).astream("ping", config={"callbacks": [handler]})]
    assert "".join(handler.tokens) == "Hello! You said: ping"


def test_streaming_flag_makes_invoke_stream(emulator: NanoGPTEmulator) -> None:
    check_reply(chat(emulator, streaming=True).invoke("ping"), "ping")
    assert sent(emulator)["stream"] is True


def test_batch_and_abatch_per_call(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, use_responses_api=False)
    results = model.batch(["one", "two"], use_responses_api=True)
    assert [r.content for r in results] == ["Hello! You said: one", "Hello! You said: two"]
    assert all(r.response_metadata["id"].startswith("resp_") for r in results)
    assert paths(emulator) == [RESPONSES, RESPONSES]


async def test_abatch(emulator: NanoGPTEmulator) -> None:
    results = await chat(emulator).abatch(["one", "two"])
    assert [r.content for r in results] == ["Hello! You said: one", "Hello! You said: two"]
    assert paths(emulator) == [RESPONSES, RESPONSES]


def test_per_call_and_bind_switch_both_ways(emulator: NanoGPTEmulator) -> None:
    plain = chat(emulator, use_responses_api=False)
    check_reply(plain.invoke("a", use_responses_api=True), "a")
    check_reply(plain.bind(use_responses_api=True).invoke("b"), "b")
    check_reply(collect(plain.stream("c", use_responses_api=True)), "c")
    assert plain.invoke("d").response_metadata["id"].startswith("chatcmpl-")
    chat(emulator).invoke("e", use_responses_api=False)
    assert paths(emulator) == [RESPONSES, RESPONSES, RESPONSES, CHAT, CHAT]
    for request in emulator.requests:  # the switches never reach the wire
        assert isinstance(request.body, dict)
        assert not {"use_responses_api", "use_previous_response_id", "verify_tee"} & request.body.keys()


def test_broken_stream_raises(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.eof_without_done(after_chunks=3), path="/responses")
    with pytest.raises(StreamError):
        list(chat(emulator).stream("ping"))


# -- tools and the agent loop ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "wire"),
    [("any", "required"), ("auto", "auto"), ("add", {"type": "function", "name": "add"})],
)
def test_bound_tools_are_function_tools(emulator: NanoGPTEmulator, choice: str, wire: Any) -> None:
    message = chat(emulator).bind_tools([add], tool_choice=choice).invoke("Use the tool to add 2 and 3")
    body = sent(emulator)
    (spec,) = body["tools"]  # flat Responses shape, not chat's nested "function"
    assert (spec["type"], spec["name"], spec["description"]) == ("function", "add", "Add two integers.")
    assert spec["parameters"]["required"] == ["a", "b"]
    assert body["tool_choice"] == wire
    assert message.tool_calls == [
        {"name": "add", "args": {"a": 2, "b": 3}, "id": message.tool_calls[0]["id"], "type": "tool_call"}
    ]
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_streamed_tool_calls_merge(emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(
            tool_calls=[
                ToolCallSpec("add", {"a": 1, "b": 2}, "call_a"),
                ToolCallSpec("add", {"a": 3, "b": 4}, "call_b"),
            ],
            chunk_size=3,
        )
    )
    full = collect(chat(emulator).bind_tools([add]).stream("add twice"))
    assert full.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_a", "type": "tool_call"},
        {"name": "add", "args": {"a": 3, "b": 4}, "id": "call_b", "type": "tool_call"},
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert full.response_metadata["id"].startswith("resp_")


def run_agent(model: Any, messages: list[BaseMessage], tools: dict[str, Any]) -> list[BaseMessage]:
    """A manual tool-calling loop: call, run the tools, answer with the results."""
    for _ in range(4):
        reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            messages.append(tools[call["name"]].invoke(call))
    return messages


def test_agent_loop(emulator: NanoGPTEmulator) -> None:
    tools = {"add": add, "multiply": multiply}
    model = chat(emulator).bind_tools(list(tools.values()))
    messages = run_agent(model, [HumanMessage("Use multiply on 6 and 7, then add on 2 and 3")], tools)
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
        "AIMessage",
    ]
    assert messages[-1].content == "The results are 42 and 5."
    calls = messages[1].tool_calls  # type: ignore[attr-defined]
    assert paths(emulator) == [RESPONSES, RESPONSES]
    assert sent(emulator)["input"] == [
        {"type": "message", "role": "user", "content": "Use multiply on 6 and 7, then add on 2 and 3"},
        {"type": "function_call", "call_id": calls[0]["id"], "name": "multiply", "arguments": '{"a": 6, "b": 7}'},
        {"type": "function_call", "call_id": calls[1]["id"], "name": "add", "arguments": '{"a": 2, "b": 3}'},
        {"type": "function_call_output", "call_id": calls[0]["id"], "output": "42"},
        {"type": "function_call_output", "call_id": calls[1]["id"], "output": "5"},
    ]  # fmt: skip


def test_tool_error_results_say_so(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator).bind_tools([add])
    first = model.invoke("add 1 and 2")
    call_id = first.tool_calls[0]["id"]
    model.invoke(
        [HumanMessage("add 1 and 2"), first, ToolMessage("bad input", tool_call_id=call_id, status="error")]
    )
    assert sent(emulator)["input"][-1] == {
        "type": "function_call_output",
        "call_id": call_id,
        "output": "Error: bad input",
    }


# -- previous_response_id threading ---------------------------------------------------------------


def test_previous_response_id_sends_only_the_new_messages(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, use_previous_response_id=True)
    first = model.invoke([SystemMessage("Be brief."), HumanMessage("My name is Ada")])
    assert sent(emulator)["store"] is True and "previous_response_id" not in sent(emulator)
    history = [SystemMessage("Be brief."), HumanMessage("My name is Ada"), first, HumanMessage("Who am I?")]
    second = model.invoke(history)
    assert sent(emulator) == {
        "model": MODEL,
        "input": [{"type": "message", "role": "user", "content": "Who am I?"}],
        "previous_response_id": first.response_metadata["id"],
        "store": True,
    }
    assert second.content == "Hello! You said: Who am I?"
    # The emulator threaded the stored conversation: the prompt counts every earlier message,
    # as the same history sent in full does, and the stored response names its predecessor.
    full = chat(emulator).invoke(history)
    assert second.usage_metadata is not None and full.usage_metadata is not None
    assert second.usage_metadata["input_tokens"] == full.usage_metadata["input_tokens"]
    lone = chat(emulator).invoke("Who am I?")
    assert lone.usage_metadata is not None
    assert second.usage_metadata["input_tokens"] > lone.usage_metadata["input_tokens"]
    stored = model._sync_client().responses_get(second.response_metadata["id"])
    assert stored.previous_response_id == first.response_metadata["id"]


def test_previous_response_id_skips_ai_messages_from_elsewhere(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)
    first = model.invoke("one")
    foreign = AIMessage("from another model", response_metadata={"id": "chatcmpl-123"})
    model.invoke(
        [HumanMessage("one"), first, HumanMessage("two"), foreign, HumanMessage("three")],
        use_previous_response_id=True,
    )
    body = sent(emulator)
    assert body["previous_response_id"] == first.response_metadata["id"]
    assert [item["content"] for item in body["input"]] == ["two", "from another model", "three"]


def test_agent_loop_threaded_by_response_id(emulator: NanoGPTEmulator) -> None:
    tools = {"add": add}
    model = chat(emulator, use_previous_response_id=True).bind_tools([add])
    messages = run_agent(model, [HumanMessage("Use the tool to add 20 and 22")], tools)
    assert messages[-1].content == "The result is 42."
    call_id = messages[1].tool_calls[0]["id"]  # type: ignore[attr-defined]
    body = sent(emulator)
    assert body["input"] == [{"type": "function_call_output", "call_id": call_id, "output": "42"}]
    assert body["previous_response_id"] == messages[1].response_metadata["id"]
    assert body["store"] is True and body["tools"][0]["name"] == "add"


async def test_threaded_async_stream(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, use_previous_response_id=True)
    first = collect([c async for c in model.astream("one")])
    assert first.response_metadata["id"].startswith("resp_")
    second = collect([c async for c in model.astream([HumanMessage("one"), first, HumanMessage("two")])])
    assert sent(emulator)["previous_response_id"] == first.response_metadata["id"]
    assert sent(emulator)["input"] == [{"type": "message", "role": "user", "content": "two"}]
    assert second.content == "Hello! You said: two"


def test_deleted_previous_response_is_a_typed_error(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, use_previous_response_id=True)
    first = model.invoke("one")
    model._sync_client().responses_delete(first.response_metadata["id"])
    with pytest.raises(NotFoundError):
        model.invoke([HumanMessage("one"), first, HumanMessage("two")])


# -- structured output and reasoning --------------------------------------------------------------


def test_structured_output_json_schema_is_text_format(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator).with_structured_output(Person, method="json_schema", strict=True)
    person = model.invoke("Ann is 31.")
    assert isinstance(person, Person) and isinstance(person.age, int)
    body = sent(emulator)
    fmt = body["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "Person", True)
    assert fmt["schema"]["required"] == ["name", "age"]
    assert "response_format" not in body
    assert isinstance(list(model.stream("Ann is 31."))[-1], Person)


def test_structured_output_per_call_and_other_methods(emulator: NanoGPTEmulator) -> None:
    plain = chat(emulator, use_responses_api=False)
    structured = plain.with_structured_output(Person, method="json_schema")
    assert isinstance(structured.invoke("Ann is 31.", use_responses_api=True), Person)
    assert paths(emulator) == [RESPONSES]
    raw = (
        chat(emulator)
        .with_structured_output(Person, method="json_schema", include_raw=True)
        .invoke("Ann is 31.")
    )
    assert isinstance(raw, dict) and isinstance(raw["parsed"], Person) and raw["parsing_error"] is None
    assert raw["raw"].response_metadata["id"].startswith("resp_")
    person = chat(emulator).with_structured_output(Person).invoke("Ann is 31.")  # function calling
    assert isinstance(person, Person)
    assert sent(emulator)["tool_choice"] == {"type": "function", "name": "Person"}
    prompt = f"Ann is 31. Answer as JSON matching ```json\n{json.dumps(Person.model_json_schema())}\n```"
    assert isinstance(
        chat(emulator).with_structured_output(Person, method="json_mode").invoke(prompt), Person
    )
    assert sent(emulator)["text"] == {"format": {"type": "json_object"}}


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning(emulator: NanoGPTEmulator, stream: bool) -> None:
    model = chat(emulator, model="deepseek/deepseek-r1", reasoning_effort="low")
    message = collect(model.stream("Is 7 prime?")) if stream else model.invoke("Is 7 prime?")
    assert sent(emulator)["reasoning"] == {"effort": "low"} and "reasoning_effort" not in sent(emulator)
    reasoning = message.additional_kwargs["reasoning_content"]
    assert reasoning.startswith("Let me think")
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"]["reasoning"] > 0
    model.invoke([HumanMessage("Is 7 prime?"), message, HumanMessage("And 9?")])
    assistant = sent(emulator)["input"][1]
    assert assistant == {"type": "message", "role": "assistant", "content": message.text}


def test_reasoning_v1_blocks(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, model="deepseek/deepseek-r1", output_version="v1")
    message = model.invoke("Is 7 prime?")
    assert isinstance(message.content, list)
    assert [b["type"] for b in message.content] == ["reasoning", "text"]  # type: ignore[index]


# -- background -----------------------------------------------------------------------------------


def test_background_invoke_polls_until_done(emulator: NanoGPTEmulator) -> None:
    emulator.responses_background_polls = 2
    message = chat(emulator).invoke("ping", background=True)
    check_reply(message, "ping")
    assert emulator.requests[0].body["background"] is True  # type: ignore[index]
    rid = message.response_metadata["id"]
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("POST", RESPONSES),
        ("GET", f"{RESPONSES}/{rid}"),
        ("GET", f"{RESPONSES}/{rid}"),
    ]


async def test_background_ainvoke(emulator: NanoGPTEmulator) -> None:
    emulator.responses_background_polls = 1
    check_reply(await chat(emulator).ainvoke("ping", background=True), "ping")
    assert [r.method for r in emulator.requests] == ["POST", "GET"]


# -- bad input fails before any request -----------------------------------------------------------


async def test_bad_input_fails_before_any_request(emulator: NanoGPTEmulator) -> None:
    with pytest.raises(ValueError, match="cannot be combined with streaming"):
        list(chat(emulator).stream("ping", background=True))
    with pytest.raises(ValueError, match="cannot be combined with streaming"):
        [c async for c in chat(emulator).astream("ping", background=True)]
    with pytest.raises(ValueError, match="at least 16"):
        chat(emulator, max_tokens=8).invoke("ping")
    with pytest.raises(ValueError, match="needs stored responses"):
        chat(emulator, use_previous_response_id=True).invoke("ping", store=False)
    with pytest.raises(ValueError, match="needs stored responses"):
        await chat(emulator, use_previous_response_id=True).ainvoke("ping", retention_days=0)
    with pytest.raises(ValueError, match="needs the Responses API"):
        chat(emulator, use_responses_api=False).invoke("ping", use_previous_response_id=True)
    with pytest.raises(ValueError, match="needs the Responses API"):
        chat(emulator, use_responses_api=False, use_previous_response_id=True)
    with pytest.raises(ValueError, match="turn off use_responses_api"):
        chat(emulator, model="TEE/llama-3.3-70b-instruct").invoke("ping", verify_tee=True)
    audio = {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}
    with pytest.raises(ValueError, match="no Responses API equivalent"):
        chat(emulator).invoke([HumanMessage([audio])])
    assert emulator.requests == []


# -- cassette replay ------------------------------------------------------------------------------


@pytest.fixture
def recorded(recorded_endpoint: tuple[str, str]) -> ChatNanoGPT:
    base_url, key = recorded_endpoint
    return ChatNanoGPT(model=MODEL, api_key=key, base_url=base_url, use_responses_api=True)


@pytest.mark.vcr
def test_cassette_invoke_stream_and_tools(recorded: ChatNanoGPT) -> None:
    message = recorded.invoke("Hello there")
    assert message.content == "Hello! You said: Hello there"
    assert message.response_metadata["id"].startswith("resp_")
    assert message.usage_metadata is not None and message.response_metadata["cost"] > 0
    streamed = collect(recorded.stream("Hello there"))
    assert streamed.content == message.content and streamed.usage_metadata is not None
    called = recorded.bind_tools([multiply]).invoke("multiply 9 and 11")
    assert [(c["name"], c["args"]) for c in called.tool_calls] == [("multiply", {"a": 9, "b": 11})]
    person = recorded.with_structured_output(Person, method="json_schema").invoke("Ann is 31.")
    assert isinstance(person, Person)


@pytest.mark.vcr
async def test_cassette_threaded_agent_loop(recorded: ChatNanoGPT) -> None:
    model = recorded.bind_tools([add], use_previous_response_id=True)
    messages: list[BaseMessage] = [HumanMessage("Use the tool to add 20 and 22")]
    first = await model.ainvoke(messages)
    assert first.tool_calls and first.tool_calls[0]["args"] == {"a": 20, "b": 22}
    messages += [first, await add.ainvoke(first.tool_calls[0])]
    final = await model.ainvoke(messages)
    assert final.content == "The result is 42."
