"""Tools, tool choice, structured-output and request payloads for NanoGPTLLM (no server)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from nanogpt_integrations.core import ModelInfo, ReasoningOptions
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.llama_index._structured import schema_format
from nanogpt_integrations.llama_index._tools import (
    parse_arguments,
    tool_choice_to_wire,
    tool_selections,
    tool_to_wire,
    trim_to_one_tool_call,
)

USER = [{"role": "user", "content": "hi"}]
HI = [ChatMessage(role="user", content="hi")]


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def llm(**kw: Any) -> NanoGPTLLM:
    kw.setdefault("model", "openai/gpt-4o-mini")
    return NanoGPTLLM(api_key="k", **kw)


def build(model: NanoGPTLLM, messages: list[ChatMessage] | None = None, **call: Any) -> Any:
    return model._wire(messages or HI, call, stream=False)


# -- tools -------------------------------------------------------------------------------------


def test_tool_to_wire_uses_name_description_and_schema() -> None:
    wire = tool_to_wire(FunctionTool.from_defaults(fn=multiply))
    assert wire["type"] == "function"
    fn = wire["function"]
    assert fn["name"] == "multiply"
    assert "Multiply two integers." in fn["description"]
    assert fn["parameters"]["properties"].keys() == {"a", "b"}
    assert fn["parameters"]["required"] == ["a", "b"]


@pytest.mark.parametrize(
    ("choice", "required", "expected"),
    [
        (None, False, None),
        (None, True, "required"),
        ("auto", False, "auto"),
        ("none", False, "none"),
        ("required", False, "required"),
        ("multiply", False, "multiply"),  # a tool name: the core checks and names it
        (
            {"type": "function", "function": {"name": "x"}},
            True,
            {"type": "function", "function": {"name": "x"}},
        ),
    ],
)
def test_tool_choice_to_wire(choice: Any, required: bool, expected: Any) -> None:
    assert tool_choice_to_wire(choice, tool_required=required) == expected


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"a": 2, "b": 3}', {"a": 2, "b": 3}),
        (' {"a": 1}', {"a": 1}),
        ('{"a": 2, "b":', {"a": 2, "b": None}),
        ("", {}),
        (None, {}),
        ("not json at all", {}),
        ("[1, 2]", {}),
        ({"already": "dict"}, {"already": "dict"}),
    ],
)
def test_parse_arguments_is_tolerant(arguments: Any, expected: dict[str, Any]) -> None:
    assert parse_arguments(arguments) == expected


def test_tool_selections_from_blocks_and_legacy_kwargs() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[ToolCallBlock(tool_call_id="c1", tool_name="multiply", tool_kwargs='{"a": 2, "b": 5}')],
    )
    [sel] = tool_selections(msg)
    assert (sel.tool_id, sel.tool_name, sel.tool_kwargs) == ("c1", "multiply", {"a": 2, "b": 5})
    legacy = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={"tool_calls": [{"id": "c2", "function": {"name": "f", "arguments": "{bad"}}]},
    )
    [sel] = tool_selections(legacy)
    assert (sel.tool_id, sel.tool_name, sel.tool_kwargs) == ("c2", "f", {})


def test_trim_to_one_tool_call() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[
            TextBlock(text="t"),
            ToolCallBlock(tool_call_id="a", tool_name="f"),
            ToolCallBlock(tool_call_id="b", tool_name="g"),
        ],
        additional_kwargs={"tool_calls": [{"id": "a"}, {"id": "b"}]},
    )
    trim_to_one_tool_call(msg)
    assert [b.tool_call_id for b in msg.blocks if isinstance(b, ToolCallBlock)] == ["a"]
    assert msg.additional_kwargs["tool_calls"] == [{"id": "a"}]


# -- payloads (the rules are the core's; these check NanoGPTLLM's fields reach them) -----------------


def test_minimal_chat_payload_sends_only_what_was_set() -> None:
    req = build(llm())
    assert req.body == {"model": "openai/gpt-4o-mini", "messages": USER, "include_usage": True}
    assert req.headers == {}


def test_sampling_settings_and_extra_fields() -> None:
    model = llm(temperature=0.2, max_tokens=50, additional_kwargs={"top_p": 0.9, "extra_body": {"seed": 7}})
    req = build(model, stop=["\n"], stream=True, stream_options={"include_usage": False})
    assert req.body == {
        "model": "openai/gpt-4o-mini",
        "messages": USER,
        "temperature": 0.2,
        "max_tokens": 50,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["\n"],
        "include_usage": True,
    }


def test_tool_choice_without_tools_is_refused_and_the_instance_default_needs_tools() -> None:
    with pytest.raises(ValueError, match="tool_choice given without tools"):
        build(llm(), tools=None, tool_choice="required")
    req = build(llm(allow_parallel_tool_calls=False), tools=None, tool_choice=None)
    assert "parallel_tool_calls" not in req.body and "tools" not in req.body


def test_parallel_tool_calls_only_when_configured() -> None:
    tools = [tool_to_wire(FunctionTool.from_defaults(fn=multiply))]
    unset = build(llm(), tools=tools, tool_choice=None)
    assert "parallel_tool_calls" not in unset.body
    assert "tool_choice" not in unset.body
    off = build(llm(allow_parallel_tool_calls=False), tools=tools, tool_choice="auto")
    assert off.body["parallel_tool_calls"] is False
    assert off.body["tool_choice"] == "auto"


def test_options_become_suffix_headers_and_body_fields() -> None:
    model = llm(
        web_search="deep",
        provider="novita",
        billing_mode="paygo",
        reasoning_effort="high",
        reasoning=ReasoningOptions(exclude=True),
    )
    req = build(model)
    assert req.body["model"] == "openai/gpt-4o-mini:online/linkup-deep"
    assert req.headers == {"X-Provider": "novita", "X-Billing-Mode": "paygo"}
    assert req.body["reasoning_effort"] == "high"
    assert req.body["reasoning"] == {"exclude": True}


def test_per_call_options_override_instance_options() -> None:
    req = build(llm(provider="novita"), provider="deepinfra")
    assert req.headers["X-Provider"] == "deepinfra"


def _marked(text: str = "x") -> ChatMessage:
    return ChatMessage(role="user", content=text, additional_kwargs={"cache_control": {"type": "ephemeral"}})


def test_prompt_caching_and_cache_markers_kept_for_claude() -> None:
    req = build(llm(model="anthropic/claude-sonnet-4.5", prompt_caching=True), [_marked("s")])
    assert req.body["prompt_caching"] == {"enabled": True, "ttl": "5m"}
    assert req.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_cache_markers_dropped_for_implicit_cache_models_unless_forced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        dropped = build(llm(model="openai/gpt-4o"), [_marked()])
    assert dropped.body["messages"][0]["content"] == "x"
    forced = build(llm(model="openai/gpt-4o", force_cache_control=True), [_marked()])
    assert forced.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_more_than_four_cache_breakpoints_keep_the_newest_four() -> None:
    req = build(llm(model="anthropic/claude-sonnet-4.5"), [_marked(str(i)) for i in range(5)])
    contents = [m["content"] for m in req.body["messages"]]
    assert contents[0] == "0"  # the oldest marker pruned, as the server does
    assert all(c[0]["cache_control"] == {"type": "ephemeral"} for c in contents[1:])


def test_catalogue_info_counts_as_cache_evidence() -> None:
    info = ModelInfo.model_validate({"id": "openai/m", "pricing": {"cacheWriteInputPer1kTokens": 0.1}})
    model = llm(model="openai/m")
    model._infos[model._info_key()] = info
    req = build(model, [_marked()])
    assert req.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_completion_payload_refuses_chat_only_fields() -> None:
    model = llm(billing_mode="paygo")
    req = model._text_wire("Once upon", {}, stream=False)
    assert (req.route, req.body, req.headers) == (
        "completions",
        {"model": "openai/gpt-4o-mini", "prompt": "Once upon"},
        {"X-Billing-Mode": "paygo"},
    )
    with pytest.raises(ValueError, match="legacy /completions"):
        model._text_wire("Once upon", {"tools": [{}], "tool_choice": "auto"}, stream=False)


def test_json_schema_response_format() -> None:
    fmt = schema_format(Person)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Person"
    assert fmt["json_schema"]["schema"]["required"] == ["name", "age"]


def test_strict_tools_close_the_schema() -> None:
    wire = tool_to_wire(FunctionTool.from_defaults(fn=multiply), strict=True)
    assert wire["function"]["strict"] is True
    assert wire["function"]["parameters"]["additionalProperties"] is False
    assert "strict" not in tool_to_wire(FunctionTool.from_defaults(fn=multiply))["function"]
