"""ChatNanoGPT against the NanoGPT emulator: the exact wire request, and what the user gets back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.rate_limiters import BaseRateLimiter
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from nanogpt_integrations.core import BadRequestError, RateLimitError, StreamError
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator, ToolCallSpec

CLAUDE = "anthropic/claude-sonnet-4.5"
KIMI = "moonshotai/kimi-k2-instruct"  # offers provider selection (routing suffixes, X-Provider)
CC = {"type": "ephemeral"}


def chat(emulator: NanoGPTEmulator, **kwargs: Any) -> ChatNanoGPT:
    return ChatNanoGPT(**{"model": CLAUDE, "api_key": "test-key", "base_url": emulator.base_url, **kwargs})


def sent(emulator: NanoGPTEmulator) -> dict[str, Any]:
    body = emulator.last_request("/chat/completions").body
    assert isinstance(body, dict)
    return body


def headers(emulator: NanoGPTEmulator) -> dict[str, str]:
    return emulator.last_request("/chat/completions").headers


def collect(chunks: Any) -> AIMessageChunk:
    full: AIMessageChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


# -- NanoGPT options on the wire ------------------------------------------------------------------

OPTION_CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]] = [
    ("web search suffix", {"web_search": "deep"}, {"model": f"{CLAUDE}:online/linkup-deep"}, {}),
    ("web search True", {"web_search": True}, {"model": f"{CLAUDE}:online"}, {}),
    ("web search variant", {"web_search": "exa-fast"}, {"model": f"{CLAUDE}:online/exa-fast"}, {}),
    ("web search object", {"web_search": {"provider": "tavily", "depth": "deep"}}, {"webSearch": {"enabled": True, "provider": "tavily", "depth": "deep"}}, {}),
    ("routing", {"model": KIMI, "routing": "speed"}, {"model": f"{KIMI}:speed"}, {}),
    ("provider id", {"model": KIMI, "provider": "novita"}, {"model": KIMI}, {"x-provider": "novita"}),
    ("provider routing", {"provider": {"sort": "price", "allow_fallbacks": False}}, {"provider": {"sort": "price", "allow_fallbacks": False}}, {}),
    ("billing mode", {"billing_mode": "paygo"}, {}, {"x-billing-mode": "paygo"}),
    ("caching", {"caching": True, "sticky_provider": True}, {"caching": True, "stickyprovider": True}, {}),
    ("prompt caching", {"prompt_caching": {"ttl": "1h", "cut_after_message_index": 0}}, {"prompt_caching": {"enabled": True, "ttl": "1h", "cut_after_message_index": 0}}, {}),
    ("reasoning", {"reasoning_effort": "low", "reasoning": {"exclude": True}}, {"reasoning_effort": "low", "reasoning": {"exclude": True}}, {}),
    ("sampling extras", {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1, "seed": 7}, {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1, "seed": 7}, {}),
    ("standard sampling", {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "frequency_penalty": 0.1, "presence_penalty": 0.2}, {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "frequency_penalty": 0.1, "presence_penalty": 0.2}, {}),
    ("model_kwargs and extra_body", {"model_kwargs": {"scraping": True}, "extra_body": {"youtube_transcripts": True}}, {"scraping": True, "youtube_transcripts": True}, {}),
]  # fmt: skip


@pytest.mark.parametrize("where", ["constructor", "call", "bind"])
@pytest.mark.parametrize(
    ("options", "body", "hdrs"), [pytest.param(o, b, h, id=i) for i, o, b, h in OPTION_CASES]
)
def test_option_on_the_wire(
    emulator: NanoGPTEmulator, where: str, options: dict[str, Any], body: dict[str, Any], hdrs: dict[str, str]
) -> None:
    if where == "constructor":
        message = chat(emulator, **options).invoke("Hello")
    elif where == "call":
        message = chat(emulator).invoke("Hello", **options)
    else:
        message = chat(emulator).bind(**options).invoke("Hello")
    assert message.content
    wire = sent(emulator)
    assert {k: wire[k] for k in body} == body
    got = headers(emulator)
    assert {k: got.get(k) for k in hdrs} == hdrs
    if "x-provider" not in hdrs:
        assert "x-provider" not in got


def test_call_option_overrides_constructor(emulator: NanoGPTEmulator) -> None:
    chat(emulator, web_search="standard", billing_mode="paygo").invoke("Hello", web_search="deep")
    assert sent(emulator)["model"] == f"{CLAUDE}:online/linkup-deep"
    assert headers(emulator)["x-billing-mode"] == "paygo"


def test_stop_and_per_call_model(emulator: NanoGPTEmulator) -> None:
    message = chat(emulator, stop=["never"]).invoke(
        "Hello you there", stop=["you"], model="openai/gpt-4o-mini"
    )
    wire = sent(emulator)
    assert wire["stop"] == ["you"]
    assert wire["model"] == "openai/gpt-4o-mini"
    assert message.content == "Hello! You said: Hello "
    assert message.response_metadata["model_name"] == "openai/gpt-4o-mini"


def test_plain_invoke_sends_no_stream_fields_and_no_nulls(emulator: NanoGPTEmulator) -> None:
    chat(emulator).invoke("Hello")
    assert sent(emulator) == {
        "model": CLAUDE,
        "messages": [{"role": "user", "content": "Hello"}],
        "include_usage": True,  # api-reference/endpoint/chat-completion.mdx: usage only when asked
    }


# -- cache_control placement ------------------------------------------------------------------------


def test_cache_control_everywhere(emulator: NanoGPTEmulator) -> None:
    @tool(extras={"cache_control": CC})
    def lookup(query: str) -> str:
        """Look up a fact."""
        return query

    messages = [
        SystemMessage([{"type": "text", "text": "manual " * 50, "cache_control": CC}]),
        HumanMessage("look up cats"),
        AIMessage(
            "", tool_calls=[{"name": "lookup", "args": {"query": "cats"}, "id": "c1", "type": "tool_call"}]
        ),
        ToolMessage([{"type": "text", "text": "cats purr", "cache_control": CC}], tool_call_id="c1"),
    ]
    result = chat(emulator).bind_tools([lookup]).invoke(messages)
    wire = sent(emulator)
    assert wire["messages"][0]["content"][0]["cache_control"] == CC
    assert wire["messages"][3] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "cats purr",
        "cache_control": CC,
    }
    assert wire["tools"][0]["cache_control"] == CC
    assert result.usage_metadata is not None
    assert result.usage_metadata["input_token_details"]["cache_creation"] > 0


def test_call_level_cache_control_is_the_body_helper(emulator: NanoGPTEmulator) -> None:
    result = chat(emulator).invoke("Hello " * 100, cache_control={"type": "ephemeral", "ttl": "1h"})
    assert sent(emulator)["prompt_caching"] == {"enabled": True, "ttl": "1h"}
    assert result.usage_metadata is not None
    assert result.usage_metadata["input_token_details"]["cache_creation"] > 0


def test_cache_reads_reported_on_the_second_call(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)
    system = SystemMessage([{"type": "text", "text": "long manual " * 200, "cache_control": CC}])
    model.invoke([system, HumanMessage("first")])
    second = collect(model.stream([system, HumanMessage("second")]))
    assert second.usage_metadata is not None
    details = second.usage_metadata["input_token_details"]
    assert details["cache_read"] > 0
    assert second.usage_metadata["input_tokens"] >= details["cache_read"] + details["cache_creation"]


def test_markers_dropped_for_implicit_cache_model(
    emulator: NanoGPTEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.accept_any_model = True  # an id no catalogue knows: the rule is the model-family one
    content = [{"type": "text", "text": "hi", "cache_control": CC}]
    chat(emulator, model="openai/gpt-4o-mini-lc-emu").invoke([HumanMessage(content)], cache_control=CC)
    wire = sent(emulator)
    assert "cache_control" not in wire["messages"][0]["content"][0]
    assert "prompt_caching" not in wire
    chat(emulator, model="openai/gpt-4o-mini-lc-emu", force_cache_control=True).invoke(
        [HumanMessage(content)]
    )
    assert sent(emulator)["messages"][0]["content"][0]["cache_control"] == CC


def test_too_many_breakpoints_keep_the_newest_four(emulator: NanoGPTEmulator) -> None:
    """prompt-caching.mdx: past 4 breakpoints "the oldest are pruned automatically"; so do we."""
    content = [{"type": "text", "text": str(i), "cache_control": CC} for i in range(5)]
    message = HumanMessage(content)
    chat(emulator).invoke([message])
    parts = sent(emulator)["messages"][0]["content"]
    assert ["cache_control" in p for p in parts] == [False, True, True, True, True]
    assert all("cache_control" in p for p in message.content)  # the caller's message is untouched


# -- what comes back, in every calling style --------------------------------------------------------


def _check_reply(message: AIMessage, text: str) -> None:
    assert message.content == f"Hello! You said: {text}"
    assert message.usage_metadata is not None and message.usage_metadata["output_tokens"] > 0
    meta = message.response_metadata
    assert meta["model_name"] == CLAUDE
    assert meta["model_provider"] == "nanogpt"
    assert meta["finish_reason"] == "stop"
    assert meta["request_id"].startswith("req_")
    assert meta["cost"] > 0
    assert meta["nanogpt_pricing"]["currency"] == "USD"


def test_invoke(emulator: NanoGPTEmulator) -> None:
    _check_reply(chat(emulator).invoke("ping"), "ping")


async def test_ainvoke(emulator: NanoGPTEmulator) -> None:
    _check_reply(await chat(emulator).ainvoke("ping"), "ping")


def test_stream(emulator: NanoGPTEmulator) -> None:
    chunks = list(chat(emulator).stream("ping"))
    assert len(chunks) > 2
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert chunks[-1].chunk_position == "last"
    _check_reply(collect(chunks), "ping")
    assert sent(emulator)["stream_options"] == {"include_usage": True}


async def test_astream(emulator: NanoGPTEmulator) -> None:
    chunks = [c async for c in chat(emulator).astream("ping")]
    _check_reply(collect(chunks), "ping")


def test_stream_usage_off(emulator: NanoGPTEmulator) -> None:
    full = collect(chat(emulator, stream_usage=False).stream("ping"))
    assert "stream_options" not in sent(emulator)
    # No usage object was asked for or sent: the counts reported are the ones the x_nanogpt_pricing
    # trailer carries anyway (issue 13.2), flagged as such; there is no raw usage.
    for message in (full, collect(chat(emulator).stream("ping", stream_usage=False))):
        assert "token_usage" not in message.response_metadata
        assert message.response_metadata["usage_source"] == "x_nanogpt_pricing"
        assert message.usage_metadata is not None and message.usage_metadata["output_tokens"] > 0


def test_streaming_flag_makes_invoke_stream(emulator: NanoGPTEmulator) -> None:
    _check_reply(chat(emulator, streaming=True).invoke("ping"), "ping")
    assert sent(emulator)["stream"] is True


def test_disable_streaming(emulator: NanoGPTEmulator) -> None:
    _check_reply(collect(chat(emulator, disable_streaming=True).stream("ping")), "ping")
    assert "stream" not in sent(emulator)


def test_batch(emulator: NanoGPTEmulator) -> None:
    results = chat(emulator).batch(["one", "two", "three"])
    assert [r.content for r in results] == [f"Hello! You said: {w}" for w in ("one", "two", "three")]


async def test_abatch(emulator: NanoGPTEmulator) -> None:
    results = await chat(emulator).abatch(["one", "two"])
    assert [r.content for r in results] == ["Hello! You said: one", "Hello! You said: two"]


def test_async_client_survives_new_event_loops(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)
    for _ in range(2):
        assert asyncio.run(model.ainvoke("ping")).content == "Hello! You said: ping"


# -- reasoning --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_surfaced_and_sent_back(emulator: NanoGPTEmulator, stream: bool) -> None:
    model = chat(emulator, model="deepseek/deepseek-r1")
    first = collect(model.stream("Is 7 prime?")) if stream else model.invoke("Is 7 prime?")
    reasoning = first.additional_kwargs["reasoning_content"]
    assert reasoning.startswith("Let me think")
    assert first.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    assert first.usage_metadata is not None and first.usage_metadata["output_token_details"]["reasoning"] > 0
    details = first.additional_kwargs["reasoning_details"]
    assert details == [{"type": "reasoning.text", "text": reasoning}]
    model.invoke([HumanMessage("Is 7 prime?"), first, HumanMessage("And 9?")])
    assert sent(emulator)["messages"][1]["reasoning_details"] == details


@pytest.mark.parametrize("stream", [False, True])
def test_v1_output_round_trips(emulator: NanoGPTEmulator, stream: bool) -> None:
    model = chat(emulator, model="deepseek/deepseek-r1", output_version="v1")
    first = collect(model.stream("Is 7 prime?")) if stream else model.invoke("Is 7 prime?")
    assert isinstance(first.content, list)
    assert [b["type"] for b in first.content] == ["reasoning", "text"]  # type: ignore[index]
    model.invoke([HumanMessage("Is 7 prime?"), first, HumanMessage("And 9?")])
    assistant = sent(emulator)["messages"][1]
    assert assistant["content"] == first.text
    assert assistant["reasoning_details"]


# -- tools ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("any", "required"),
        ("auto", "auto"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        (True, {"type": "function", "function": {"name": "add"}}),
    ],
)
def test_tool_choice_on_the_wire(emulator: NanoGPTEmulator, choice: Any, wire: Any) -> None:
    result = chat(emulator).bind_tools([add], tool_choice=choice).invoke("Use the tool to add 2 and 3")
    assert sent(emulator)["tool_choice"] == wire
    assert "parallel_tool_calls" not in sent(emulator)
    assert result.tool_calls[0]["name"] == "add"
    assert result.tool_calls[0]["args"] == {"a": 2, "b": 3}


def test_parallel_tool_calls_sent_when_set(emulator: NanoGPTEmulator) -> None:
    chat(emulator).bind_tools([add], parallel_tool_calls=False).invoke("add 1 and 2")
    assert sent(emulator)["parallel_tool_calls"] is False


@pytest.mark.parametrize("omit_index", [False, True])
def test_streamed_tool_calls_merge(emulator: NanoGPTEmulator, omit_index: bool) -> None:
    emulator.script(
        ChatReply(
            tool_calls=[
                ToolCallSpec("add", {"a": 1, "b": 2}, "call_a"),
                ToolCallSpec("add", {"a": 3, "b": 4}, "call_b"),
            ],
            chunk_size=3,
            omit_tool_call_index=omit_index,
        )
    )
    full = collect(chat(emulator).bind_tools([add]).stream("add twice"))
    assert full.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_a", "type": "tool_call"},
        {"name": "add", "args": {"a": 3, "b": 4}, "id": "call_b", "type": "tool_call"},
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_bad_tool_arguments_become_invalid_tool_calls(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(tool_calls=[ToolCallSpec("add", '{"a": 1,', "call_x")]))
    message = chat(emulator).bind_tools([add]).invoke("add")
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["id"] == "call_x"
    assert message.invalid_tool_calls[0]["args"] == '{"a": 1,'


def test_agent_loop(emulator: NanoGPTEmulator) -> None:
    """A manual tool-calling loop: call, run the tool, answer with the result."""
    tools = {"add": add}
    model = chat(emulator).bind_tools([add])
    messages: list[Any] = [HumanMessage("Use the tool to add 20 and 22")]
    for _ in range(3):
        reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            messages.append(tools[call["name"]].invoke(call))
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].content == "The result is 42."
    wire = sent(emulator)["messages"]
    assert [m["role"] for m in wire] == ["user", "assistant", "tool"]
    assert wire[2]["content"] == "42"


# -- structured output ------------------------------------------------------------------------------


class Person(BaseModel):
    """A person."""

    name: str = Field(description="Their name")
    age: int = Field(description="Their age")


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
def test_structured_output(emulator: NanoGPTEmulator, method: str) -> None:
    model = chat(emulator).with_structured_output(Person, method=method)  # type: ignore[arg-type]
    prompt = "Ann is 31."
    if method == "json_mode":  # JSON mode enforces no schema: the prompt has to describe it
        prompt += f" Answer as JSON matching ```json\n{json.dumps(Person.model_json_schema())}\n```"
    result = model.invoke(prompt)
    assert isinstance(result, Person)
    wire = sent(emulator)
    if method == "function_calling":
        assert wire["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
        assert "response_format" not in wire
    else:
        assert wire["response_format"]["type"] == (
            "json_schema" if method == "json_schema" else "json_object"
        )
    assert [type(c) for c in model.stream(prompt)][-1] is Person


def test_structured_output_include_raw_and_strict(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator).with_structured_output(Person, method="json_schema", strict=True, include_raw=True)
    result = model.invoke("Ann is 31")
    assert isinstance(result, dict)
    assert isinstance(result["raw"], AIMessage)
    assert isinstance(result["parsed"], Person)
    assert result["parsing_error"] is None
    assert sent(emulator)["response_format"]["json_schema"]["strict"] is True


@pytest.mark.parametrize("include_raw", [False, True])
def test_structured_output_forwards_per_call_options(emulator: NanoGPTEmulator, include_raw: bool) -> None:
    """Per-call NanoGPT options reach the request with and without include_raw, in invoke and stream."""
    model = chat(emulator, model=KIMI).with_structured_output(
        Person, method="json_schema", include_raw=include_raw
    )
    result = model.invoke("Ann is 31", routing="price", billing_mode="paygo")
    parsed = result["parsed"] if include_raw else result
    assert isinstance(parsed, Person)
    assert sent(emulator)["model"].endswith(":price")
    assert emulator.last_request("/chat/completions").headers["x-billing-mode"] == "paygo"
    chunks = list(model.stream("Ann is 31", routing="speed"))
    assert sent(emulator)["model"].endswith(":speed")
    if include_raw:  # dict chunks: "raw" pieces first, then "parsed" / "parsing_error" in any order
        merged: dict[str, Any] = {}
        for chunk in chunks:
            merged.update({k: v for k, v in chunk.items() if k != "raw"})
        assert isinstance(merged["parsed"], Person) and merged["parsing_error"] is None
    else:
        assert isinstance(chunks[-1], Person)


def test_structured_output_parsing_error_with_include_raw(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="not json"))
    result = chat(emulator).with_structured_output(Person, method="json_mode", include_raw=True).invoke("x")
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert result["parsing_error"] is not None


# -- multimodal -------------------------------------------------------------------------------------


def test_multimodal_blocks_on_the_wire(emulator: NanoGPTEmulator) -> None:
    content = [
        {"type": "text", "text": "describe"},
        {"type": "image", "url": "https://example.com/cat.png"},
        {
            "type": "image",
            "base64": "iVBORw0KGgo=",
            "mime_type": "image/png",
            "extras": {"cache_control": CC},
        },
        {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf", "filename": "a.pdf"},
        {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
    ]
    reply = chat(emulator).invoke([HumanMessage(content)])
    parts = sent(emulator)["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url", "file", "input_audio"]
    assert parts[2]["cache_control"] == CC
    assert parts[3]["file"] == {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}
    assert "describe" in reply.text


# -- errors -----------------------------------------------------------------------------------------


def test_typed_errors_surface(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(400, message="bad model"))
    with pytest.raises(BadRequestError, match="bad model"):
        chat(emulator).invoke("hi")


def test_retries_come_from_the_core_only(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(429, retry_after="0.01"), times=2)
    with pytest.raises(RateLimitError):
        chat(emulator, max_retries=1).invoke("hi")
    assert len(emulator.requests) == 2
    emulator.clear()
    emulator.inject(Fault.http_status(429, retry_after="0.01"), times=1)
    assert chat(emulator, max_retries=1).invoke("hi").content
    assert len(emulator.requests) == 2


def test_stream_error_after_tokens_raises(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.error_frame(after_chunks=2))
    seen: list[str] = []
    with pytest.raises(StreamError):
        for chunk in chat(emulator).stream("a fairly long message to stream"):
            seen.append(chunk.text)
    assert "".join(seen)


async def test_async_stream_eof_raises(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.eof_without_done(after_chunks=2))
    with pytest.raises(StreamError):
        async for _ in chat(emulator).astream("a fairly long message to stream"):
            pass


# -- catalogue profile ------------------------------------------------------------------------------


def test_load_profile(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, model="openai/gpt-4o-mini")
    assert model.profile is None
    profile = model.load_profile()
    assert profile is not None and profile.get("max_input_tokens")
    assert chat(emulator, model="openai/gpt-4o-mini").profile == profile  # no I/O: already in memory
    assert json.dumps(profile)


# -- LangChain plumbing the base class provides ------------------------------------------------------


class _CountingLimiter(BaseRateLimiter):
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True


async def test_rate_limiter_is_consulted(emulator: NanoGPTEmulator) -> None:
    limiter = _CountingLimiter()
    model = chat(emulator, rate_limiter=limiter)
    model.invoke("one")
    await model.ainvoke("two")
    list(model.stream("three"))
    assert limiter.acquired == 3


async def test_aload_profile(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, model="openai/gpt-4o-mini", base_url=emulator.base_url + "/")
    profile = await model.aload_profile()
    assert profile is not None and model.profile == profile
    assert emulator.last_request("/models").query.get("detailed") in ("true", ["true"])
