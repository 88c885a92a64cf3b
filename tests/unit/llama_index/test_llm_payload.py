"""Tools, tool choice, structured-output and request payloads for NanoGPTLLM (no server)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from nanogpt_integrations.core import ModelInfo, NanoGPTOptions, ReasoningOptions
from nanogpt_integrations.llama_index._payload import (
    RequestSettings,
    build_chat,
    build_completion,
    json_schema_format,
)
from nanogpt_integrations.llama_index._tools import (
    parse_arguments,
    tool_choice_to_wire,
    tool_selections,
    tool_to_wire,
    trim_to_one_tool_call,
)

USER = [{"role": "user", "content": "hi"}]


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def settings(**kw: Any) -> RequestSettings:
    options = kw.pop("options", NanoGPTOptions())
    return RequestSettings(model=kw.pop("model", "openai/gpt-4o-mini"), options=options, **kw)


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
        ("multiply", False, {"type": "function", "function": {"name": "multiply"}}),
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


# -- payloads ----------------------------------------------------------------------------------


def test_minimal_chat_payload_sends_only_what_was_set() -> None:
    req = build_chat(settings(), USER, {})
    assert req.body == {"model": "openai/gpt-4o-mini", "messages": USER}
    assert req.headers == {}


def test_sampling_settings_and_extra_fields() -> None:
    req = build_chat(
        settings(temperature=0.2, max_tokens=50, additional_kwargs={"top_p": 0.9, "extra_body": {"seed": 7}}),
        USER,
        {"stop": ["\n"], "stream": True, "stream_options": {"include_usage": False}},
    )
    assert req.body == {
        "model": "openai/gpt-4o-mini",
        "messages": USER,
        "temperature": 0.2,
        "max_tokens": 50,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["\n"],
    }


def test_tool_choice_and_parallel_never_sent_without_tools() -> None:
    req = build_chat(
        settings(parallel_tool_calls=False),
        USER,
        {"tools": None, "tool_choice": "required", "parallel_tool_calls": True},
    )
    assert set(req.body) == {"model", "messages"}


def test_parallel_tool_calls_only_when_configured() -> None:
    tools = [tool_to_wire(FunctionTool.from_defaults(fn=multiply))]
    unset = build_chat(settings(), USER, {"tools": tools, "tool_choice": None})
    assert "parallel_tool_calls" not in unset.body
    assert "tool_choice" not in unset.body
    off = build_chat(settings(parallel_tool_calls=False), USER, {"tools": tools, "tool_choice": "auto"})
    assert off.body["parallel_tool_calls"] is False
    assert off.body["tool_choice"] == "auto"


def test_options_become_suffix_headers_and_body_fields() -> None:
    options = NanoGPTOptions(
        web_search="deep",
        provider="novita",
        billing_mode="paygo",
        reasoning_effort="high",
        reasoning=ReasoningOptions(exclude=True),
    )
    req = build_chat(settings(options=options), USER, {})
    assert req.body["model"] == "openai/gpt-4o-mini:online/linkup-deep"
    assert req.headers == {"X-Provider": "novita", "X-Billing-Mode": "paygo"}
    assert req.body["reasoning_effort"] == "high"
    assert req.body["reasoning"] == {"exclude": True}


def test_per_call_options_override_instance_options() -> None:
    req = build_chat(settings(options=NanoGPTOptions(provider="novita")), USER, {"provider": "deepinfra"})
    assert req.headers["X-Provider"] == "deepinfra"


def test_prompt_caching_and_cache_markers_kept_for_claude() -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}]}
    ]
    req = build_chat(
        settings(model="anthropic/claude-sonnet-4.5", options=NanoGPTOptions(prompt_caching=True)),
        messages,
        {},
    )
    assert req.body["prompt_caching"] == {"enabled": True, "ttl": "5m"}
    assert req.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_cache_markers_dropped_for_implicit_cache_models_unless_forced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def marked() -> list[dict[str, Any]]:
        return [
            {
                "role": "user",
                "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
            }
        ]

    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        dropped = build_chat(settings(model="openai/gpt-4o"), marked(), {})
    assert "cache_control" not in dropped.body["messages"][0]["content"][0]
    forced = build_chat(settings(model="openai/gpt-4o", force_cache_control=True), marked(), {})
    assert forced.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_more_than_four_cache_breakpoints_is_an_error() -> None:
    part = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    messages = [{"role": "user", "content": [dict(part)]} for _ in range(5)]
    with pytest.raises(ValueError, match="at most 4"):
        build_chat(settings(model="anthropic/claude-sonnet-4.5"), messages, {})


def test_catalogue_info_counts_as_cache_evidence() -> None:
    info = ModelInfo.model_validate({"id": "acme/m", "pricing": {"cacheWriteInputPer1kTokens": 0.1}})
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}
    ]
    req = build_chat(settings(model="acme/m"), messages, {}, info=info)
    assert req.body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_completion_payload_drops_chat_only_fields() -> None:
    req = build_completion(
        settings(options=NanoGPTOptions(billing_mode="paygo")),
        "Once upon",
        {"tools": [{}], "tool_choice": "auto"},
    )
    assert req.body == {"model": "openai/gpt-4o-mini", "prompt": "Once upon"}
    assert req.headers == {"X-Billing-Mode": "paygo"}


def test_json_schema_response_format() -> None:
    fmt = json_schema_format(Person)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Person"
    assert fmt["json_schema"]["schema"]["required"] == ["name", "age"]


def test_strict_tools_close_the_schema() -> None:
    wire = tool_to_wire(FunctionTool.from_defaults(fn=multiply), strict=True)
    assert wire["function"]["strict"] is True
    assert wire["function"]["parameters"]["additionalProperties"] is False
    assert "strict" not in tool_to_wire(FunctionTool.from_defaults(fn=multiply))["function"]
