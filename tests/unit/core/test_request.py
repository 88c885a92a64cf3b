"""The one request builder (core/request.py): precedence, suffixes, tool_choice, messages, cache
markers on copies, usage requests and routes. Pure: no server."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from nanogpt_integrations.core import NanoGPTOptions, PromptCaching
from nanogpt_integrations.core.request import (
    CallMode,
    ChatRequest,
    WireRequest,
    build_request,
    json_schema_format,
    stream_fields,
    tool_choice_to_wire,
)

CC = {"type": "ephemeral"}
USER = [{"role": "user", "content": "hi"}]
TOOL_A = {"type": "function", "function": {"name": "a", "parameters": {"type": "object"}}}
TOOL_B = {"type": "function", "function": {"name": "b", "parameters": {"type": "object"}}}


def build(model: str = "anthropic/claude-sonnet-4.5", **fields: Any) -> WireRequest:
    fields.setdefault("messages", USER)
    return build_request(ChatRequest(model=model, **fields))


# -- precedence -------------------------------------------------------------------------------------


def test_precedence_instance_then_extra_then_call_then_extra_body() -> None:
    wire = build(
        sampling={"temperature": 0.1, "top_p": 0.5, "seed": 1},
        extra={"temperature": 0.2, "user": "instance"},
        call={"temperature": 0.3, "top_p": 0.6, "extra_body": {"seed": 4}},
        extra_body={"seed": 3, "top_p": 0.7},
    )
    body = wire.body
    assert body["temperature"] == 0.3  # call > extra > sampling
    assert body["user"] == "instance"
    assert body["top_p"] == 0.7  # instance extra_body > call
    assert body["seed"] == 4  # call extra_body is last


def test_extra_body_overrides_option_derived_fields() -> None:
    """The escape hatch wins over everything, NanoGPT options included (issue: LlamaIndex sent 'low')."""
    wire = build(
        options=NanoGPTOptions(reasoning_effort="low"), call={"extra_body": {"reasoning_effort": "high"}}
    )
    assert wire.body["reasoning_effort"] == "high"
    wire = build(options=NanoGPTOptions(reasoning_effort="low"), extra_body={"reasoning_effort": "high"})
    assert wire.body["reasoning_effort"] == "high"


@pytest.mark.parametrize("level", ["extra", "call"])
def test_option_names_in_extra_fields_are_options_not_body_fields(level: str) -> None:
    wire = build(model="openai/gpt-4o-mini", **{level: {"web_search": True, "provider": "novita"}})
    assert "web_search" not in wire.body and "provider" not in wire.body
    assert (wire.body["model"], wire.headers) == ("openai/gpt-4o-mini:online", {"X-Provider": "novita"})


def test_routing_through_model_kwargs_is_a_suffix() -> None:
    wire = build(model="openai/gpt-4o-mini", extra={"routing": "price"})
    assert (wire.body["model"], "routing" in wire.body) == ("openai/gpt-4o-mini:price", False)


def test_per_call_options_replace_instance_options_and_none_means_not_given() -> None:
    options = NanoGPTOptions(provider="novita", billing_mode="paygo")
    assert build(options=options, call={"provider": "deepinfra"}).headers["X-Provider"] == "deepinfra"
    assert build(options=options, call={"provider": None}).headers["X-Provider"] == "novita"
    assert build(options=options).headers == {"X-Provider": "novita", "X-Billing-Mode": "paygo"}


def test_header_precedence_extra_headers_win_over_option_headers() -> None:
    wire = build(
        options=NanoGPTOptions(provider="novita"),
        extra_headers={"X-Trace": "instance", "X-Provider": "mine"},
        call={"extra_headers": {"X-Trace": "call"}},
    )
    assert wire.headers == {"X-Provider": "mine", "X-Trace": "call"}


def test_conflicting_options_fail_before_sending() -> None:
    with pytest.raises(ValueError, match="routing conflict"):
        build(call={"routing": "price", "provider": "novita"})
    with pytest.raises(ValueError, match="routing conflict"):
        build(model="openai/gpt-4o-mini:price", options=NanoGPTOptions(routing="speed"))


def test_web_search_false_removes_a_suffix_written_into_the_model() -> None:
    assert build(model="openai/gpt-4o-mini:online").body["model"] == "openai/gpt-4o-mini:online"
    wire = build(model="openai/gpt-4o-mini:online", options=NanoGPTOptions(web_search=False))
    assert wire.body["model"] == "openai/gpt-4o-mini"


def test_call_level_cache_control_is_the_prompt_caching_helper() -> None:
    wire = build(call={"cache_control": {"type": "ephemeral", "ttl": "1h"}})
    assert wire.body["prompt_caching"] == PromptCaching(ttl="1h").to_wire()
    with pytest.raises(ValueError, match="ephemeral"):
        build(call={"cache_control": {"type": "persistent"}})


def test_per_call_stop_none_means_not_given() -> None:
    assert build(stop=["END"], call={"stop": None}).body["stop"] == ["END"]
    assert build(stop=["END"], call={"stop": ["X"]}).body["stop"] == ["X"]
    assert "stop" not in build().body


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        build(call={"temperature": value})


@pytest.mark.parametrize("provider", ["a\r\nInjected: 1", "no\nvita", "caf\u00e9"])
def test_bad_provider_ids_are_refused_at_construction(provider: str) -> None:
    with pytest.raises(ValueError, match="provider"):
        NanoGPTOptions(provider=provider)
    assert NanoGPTOptions(provider=" novita\n").apply("m", {}, {}).headers == {"X-Provider": "novita"}


def test_controls_are_never_sent() -> None:
    wire = build(
        call={
            "stream": True,
            "stream_usage": False,
            "force_cache_control": True,
            "use_responses_api": False,
            "verify_tee": False,
            "extra_headers": {},
            "model_kwargs": {"user": "u"},
        }
    )
    assert set(wire.body) == {"model", "messages", "user", "include_usage"}


# -- usage and streaming fields -----------------------------------------------------------------------


def test_usage_is_requested_on_every_chat_call() -> None:
    assert build().body["include_usage"] is True
    assert build(stream=True).body["stream_options"] == {"include_usage": True}
    assert "stream_options" not in build(stream=True, stream_usage=False).body
    assert build(stream=True, call={"stream_usage": True}, stream_usage=False).body["stream_options"]
    assert "include_usage" not in build(stream=True).body


def test_stream_fields_keep_a_callers_stream_options() -> None:
    body = stream_fields(
        {"stream_options": {"include_usage": False, "x": 1}}, stream=True, include_usage=True
    )
    assert body == {"stream": True, "stream_options": {"include_usage": False, "x": 1}}
    assert stream_fields({"stream": True, "stream_options": {}}, stream=False, include_usage=False) == {}


# -- tools and tool_choice ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "tools", "expected"),
    [
        (None, [TOOL_A, TOOL_B], None),
        (False, [TOOL_A, TOOL_B], None),
        ("auto", [TOOL_A, TOOL_B], "auto"),
        ("none", [TOOL_A, TOOL_B], "none"),
        ("required", [TOOL_A, TOOL_B], "required"),
        ("any", [TOOL_A, TOOL_B], "required"),
        (True, [TOOL_A, TOOL_B], "required"),
        (True, [TOOL_A], {"type": "function", "function": {"name": "a"}}),
        ("b", [TOOL_A, TOOL_B], {"type": "function", "function": {"name": "b"}}),
        ({"type": "function", "function": {"name": "a"}}, [TOOL_A], {"type": "function", "function": {"name": "a"}}),
        ({"type": "function", "name": "a"}, [TOOL_A], {"type": "function", "function": {"name": "a"}}),
        ({"type": "tool", "name": "a"}, [TOOL_A], {"type": "function", "function": {"name": "a"}}),
        ({"type": "any"}, [TOOL_A], "required"),
    ],
)  # fmt: skip
def test_tool_choice_forms(choice: Any, tools: list[dict[str, Any]], expected: Any) -> None:
    assert tool_choice_to_wire(choice, tools) == expected


@pytest.mark.parametrize("choice", ["c", {"type": "function", "function": {"name": "c"}}])
def test_tool_choice_must_name_a_tool_that_is_sent(choice: Any) -> None:
    with pytest.raises(ValueError, match="not one of the tools sent"):
        tool_choice_to_wire(choice, [TOOL_A, TOOL_B])


def test_tool_choice_without_tools_is_refused_and_none_is_dropped() -> None:
    with pytest.raises(ValueError, match="tool_choice given without tools"):
        build(call={"tool_choice": "auto"})
    assert "tool_choice" not in build(call={"tools": None, "tool_choice": None}).body
    with pytest.raises(TypeError, match="list of tool definitions"):
        build(call={"tools": "a"})


def test_parallel_tool_calls_default_only_with_tools() -> None:
    assert "parallel_tool_calls" not in build(parallel_tool_calls=False).body
    assert build(parallel_tool_calls=False, call={"tools": [TOOL_A]}).body["parallel_tool_calls"] is False
    wire = build(parallel_tool_calls=False, call={"tools": [TOOL_A], "parallel_tool_calls": True})
    assert wire.body["parallel_tool_calls"] is True


def test_json_schema_format_envelope() -> None:
    assert json_schema_format("My Schema!", {"type": "object"}, strict=True) == {
        "type": "json_schema",
        "json_schema": {"name": "My_Schema_", "schema": {"type": "object"}, "strict": True},
    }


# -- messages -----------------------------------------------------------------------------------------


def test_message_rules() -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "s"}]},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {
            "role": "assistant",
            "content": [],
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "a", "arguments": "{}"}}],
            "reasoning": "think",
            "reasoning_details": [{"type": "reasoning.text", "text": "think"}],
            "response_id": "resp_1",
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "assistant", "content": None},
    ]
    sent = build(messages=messages).body["messages"]
    assert sent[0] == {"role": "system", "content": "s"}
    assert sent[1]["content"] == messages[1]["content"]  # several parts: sent as parts, nothing joined
    assert sent[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": messages[2]["tool_calls"],
        "reasoning": "think",
        "reasoning_details": [{"type": "reasoning.text", "text": "think"}],
    }
    assert sent[4] == {"role": "assistant", "content": ""}
    no_replay = build(messages=messages, replay_reasoning=False).body["messages"][2]
    assert "reasoning" not in no_replay and "reasoning_details" not in no_replay


def test_a_message_without_a_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        build(messages=[{"content": "hi"}])


# -- cache markers: applied to copies -----------------------------------------------------------------


def test_markers_dropped_for_implicit_models_without_touching_the_callers_tools_or_messages() -> None:
    tool = {**TOOL_A, "cache_control": CC}
    messages = [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": CC}]}]
    before = copy.deepcopy((tool, messages))
    wire = build(model="openai/gpt-4o-mini", messages=messages, call={"tools": [tool]})
    assert "cache_control" not in wire.body["tools"][0]
    assert wire.body["messages"][0]["content"] == "x"
    assert (tool, messages) == before
    forced = build(
        model="openai/gpt-4o-mini", messages=messages, call={"tools": [tool], "force_cache_control": True}
    )
    assert forced.body["tools"][0]["cache_control"] == CC  # a later call can still force them


def test_instance_force_cache_control_and_per_call_override() -> None:
    tool = {**TOOL_A, "cache_control": CC}
    kept = build(model="openai/gpt-4o", force_cache_control=True, call={"tools": [tool]})
    assert kept.body["tools"][0]["cache_control"] == CC
    dropped = build(
        model="openai/gpt-4o", force_cache_control=True, call={"tools": [tool], "force_cache_control": False}
    )
    assert "cache_control" not in dropped.body["tools"][0]


# -- routes ---------------------------------------------------------------------------------------------


def test_routes() -> None:
    assert build().route == "chat"
    assert build(mode=CallMode(verify_tee=True)).route == "tee"
    assert build(call={"max_tokens": 20}, mode=CallMode(responses=True)).route == "responses"
    text = build_request(ChatRequest(model="m", prompt="Once"))
    assert (text.route, text.body) == ("completions", {"model": "m", "prompt": "Once"})
    with pytest.raises(ValueError, match="legacy /completions"):
        build_request(ChatRequest(model="m", prompt="Once", call={"tools": [TOOL_A]}))
    with pytest.raises(ValueError, match="not to text completions"):
        build_request(ChatRequest(model="m", prompt="Once", mode=CallMode(responses=True)))


def test_responses_stream_flag() -> None:
    wire = build(call={"max_tokens": 20}, mode=CallMode(responses=True), stream=True)
    assert (
        wire.body["stream"] is True and "stream_options" not in wire.body and "include_usage" not in wire.body
    )


def test_batch_rows_carry_no_stream_or_usage_fields_and_only_batchable_routes() -> None:
    row = build(call={"max_tokens": 8}, batch_row=True)
    assert row.route == "chat" and set(row.body) == {"model", "messages", "max_tokens"}
    responses = build(call={"max_tokens": 20}, mode=CallMode(responses=True), batch_row=True)
    assert responses.route == "responses" and "stream" not in responses.body
    with pytest.raises(ValueError, match="batch row"):
        build(batch_row=True, stream=True)
    with pytest.raises(ValueError, match="batch row"):
        build(batch_row=True, mode=CallMode(verify_tee=True))


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ({"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"c": {"type": "strng"}}}}}, r"tools\[0\] \(f\): parameters.properties.c.type='strng'"),
        ({"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"c": {"type": "array", "items": {"type": ["string", "nul"]}}}}}}, "items.type='nul'"),
        ({"type": "function", "function": {"parameters": {}}}, "no function name"),
    ],
)  # fmt: skip
def test_tool_schemas_with_bad_types_are_refused_before_sending(tool: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(call={"tools": [tool]})
    with pytest.raises(TypeError, match="tools"):
        build(call={"tools": ["not a tool"]})
