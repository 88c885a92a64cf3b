"""Tool formatting, tool_choice, response_format and request assembly (pure, table-driven)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from nanogpt_integrations.core import NanoGPTOptions
from nanogpt_integrations.langchain._payload import build_request, split_kwargs
from nanogpt_integrations.langchain._tools import format_tool, response_format, tool_choice

CC = {"type": "ephemeral"}


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool(extras={"cache_control": CC})
def lookup(query: str) -> str:
    """Look something up."""
    return query


class Person(BaseModel):
    """A person."""

    name: str = Field(description="The name")


def test_base_tool_is_function_format() -> None:
    assert format_tool(add) == {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two numbers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }


def test_base_tool_extras_cache_control_kept() -> None:
    assert format_tool(lookup)["cache_control"] == CC


def test_openai_dict_tool_keeps_cache_control_and_extra_keys() -> None:
    spec = {"type": "function", "function": {"name": "f", "parameters": {}}, "cache_control": CC}
    assert format_tool(spec) == spec


def test_anthropic_dict_tool_translated_with_cache_control() -> None:
    spec = {
        "name": "color_picker",
        "description": "Pick.",
        "input_schema": {"type": "object", "properties": {"c": {"type": "string"}}},
        "cache_control": CC,
    }
    out = format_tool(spec)
    assert out["function"]["name"] == "color_picker"
    assert out["function"]["parameters"]["properties"] == {"c": {"type": "string"}}
    assert out["cache_control"] == CC


def test_strict_reaches_the_function() -> None:
    assert format_tool(Person, strict=True)["function"]["strict"] is True


TOOLS = [format_tool(add), format_tool(lookup)]
CHOICES: list[tuple[Any, Any, list[dict[str, Any]]]] = [
    (None, None, TOOLS),
    (False, None, TOOLS),
    ("auto", "auto", TOOLS),
    ("none", "none", TOOLS),
    ("required", "required", TOOLS),
    ("any", "required", TOOLS),
    (True, "required", TOOLS),
    (True, {"type": "function", "function": {"name": "add"}}, TOOLS[:1]),
    ("lookup", {"type": "function", "function": {"name": "lookup"}}, TOOLS),
    (
        {"type": "function", "function": {"name": "add"}},
        {"type": "function", "function": {"name": "add"}},
        TOOLS,
    ),
]


@pytest.mark.parametrize(("choice", "expected", "tools"), CHOICES)
def test_tool_choice(choice: Any, expected: Any, tools: list[dict[str, Any]]) -> None:
    assert tool_choice(choice, tools) == expected


def test_tool_choice_unknown_name() -> None:
    with pytest.raises(ValueError, match="not one of the bound tools"):
        tool_choice("nope", TOOLS)


def test_response_format() -> None:
    assert response_format(None) == {"type": "json_object"}
    out = response_format(Person, strict=True)
    assert out["type"] == "json_schema"
    spec = out["json_schema"]
    assert spec["name"] == "Person"
    assert spec["strict"] is True
    assert spec["schema"]["properties"]["name"]["type"] == "string"


def test_split_kwargs() -> None:
    body, controls = split_kwargs(
        {
            "tools": [1],
            "web_search": "deep",
            "stream_usage": False,
            "cache_control": CC,
            "extra_body": {"x": 1},
            "stream": True,
            "top_k": 5,
        }
    )
    assert body == {"tools": [1], "top_k": 5}
    assert controls.options == {"web_search": "deep"}
    assert controls.stream_usage is False
    assert controls.cache_control == CC
    assert controls.extra_body == {"x": 1}


def _build(
    model: str = "anthropic/claude-sonnet-4.5", options: NanoGPTOptions | None = None, **call: Any
) -> Any:
    body, controls = split_kwargs(call)
    return build_request(
        model=model,
        prompt={"messages": [{"role": "user", "content": "hi"}]},
        defaults={"temperature": 0.5, "max_tokens": None},
        call_body=body,
        options=options or NanoGPTOptions(),
        controls=controls,
        extra_body={"seed": 1},
    )


REQUESTS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]] = [
    ("defaults, None dropped, extra_body", {}, {"model": "anthropic/claude-sonnet-4.5", "temperature": 0.5, "seed": 1}, {}),
    ("call kwargs override defaults", {"temperature": 0.1}, {"temperature": 0.1}, {}),
    ("web_search suffix", {"web_search": "deep"}, {"model": "anthropic/claude-sonnet-4.5:online/linkup-deep"}, {}),
    ("routing suffix", {"routing": "price"}, {"model": "anthropic/claude-sonnet-4.5:price"}, {}),
    ("provider header", {"provider": "novita"}, {}, {"X-Provider": "novita"}),
    ("provider routing body", {"provider": {"order": ["a", "b"]}}, {"provider": {"order": ["a", "b"]}}, {}),
    ("billing header", {"billing_mode": "paygo"}, {}, {"X-Billing-Mode": "paygo"}),
    ("caching", {"caching": True, "sticky_provider": False}, {"caching": True, "stickyprovider": False}, {}),
    ("reasoning", {"reasoning_effort": "high", "reasoning": {"exclude": True}}, {"reasoning_effort": "high", "reasoning": {"exclude": True}}, {}),
    ("prompt_caching", {"prompt_caching": True}, {"prompt_caching": {"enabled": True, "ttl": "5m"}}, {}),
    ("call cache_control → helper", {"cache_control": {"type": "ephemeral", "ttl": "1h"}}, {"prompt_caching": {"enabled": True, "ttl": "1h"}}, {}),
    ("web search options object", {"web_search": {"provider": "exa"}}, {"webSearch": {"enabled": True, "provider": "exa"}}, {}),
    ("per-call model", {"model": "openai/gpt-4o"}, {"model": "openai/gpt-4o"}, {}),
    ("call extra_body wins", {"extra_body": {"seed": 7}}, {"seed": 7}, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "body", "headers"), [pytest.param(c, b, h, id=i) for i, c, b, h in REQUESTS]
)
def test_build_request(call: dict[str, Any], body: dict[str, Any], headers: dict[str, str]) -> None:
    request = _build(**call)
    assert {k: request.body[k] for k in body} == body
    assert request.headers == headers
    assert "max_tokens" not in request.body


def test_instance_options_merge_with_call_options() -> None:
    request = _build(options=NanoGPTOptions(billing_mode="paygo"), provider="novita")
    assert request.headers == {"X-Billing-Mode": "paygo", "X-Provider": "novita"}


def test_conflicting_options_fail_before_sending() -> None:
    with pytest.raises(ValueError):
        _build(routing="price", provider="novita")


def _marked_request(model: str, count: int, **call: Any) -> Any:
    parts = [{"type": "text", "text": str(i), "cache_control": CC} for i in range(count)]
    body, controls = split_kwargs(call)
    return build_request(
        model=model,
        prompt={"messages": [{"role": "user", "content": parts}]},
        defaults={},
        call_body=body,
        options=NanoGPTOptions(),
        controls=controls,
    )


def test_more_than_four_breakpoints_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at most 4"):
        _marked_request("anthropic/claude-sonnet-4.5", 5)


def test_markers_kept_for_claude() -> None:
    request = _marked_request("anthropic/claude-sonnet-4.5", 4)
    assert all("cache_control" in p for p in request.body["messages"][0]["content"])


def test_markers_dropped_for_implicit_cache_models_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        request = _marked_request("google/gemini-2.5-flash-lc-unit", 2, prompt_caching=True)
    assert not any("cache_control" in p for p in request.body["messages"][0]["content"])
    assert "prompt_caching" not in request.body
    assert "force_cache_control" in caplog.text


def test_force_cache_control_sends_markers_anyway() -> None:
    request = _marked_request("openai/gpt-4o-mini", 2, force_cache_control=True)
    assert all("cache_control" in p for p in request.body["messages"][0]["content"])


def _general_request(llm: Any, messages: list[Any]) -> Any:
    """The request through the general path (the one per-call kwargs take)."""
    return llm._request(messages, None, {"stream_usage": llm.stream_usage})


def test_plain_calls_reuse_the_settings_request_with_the_same_body() -> None:
    """A call without kwargs reuses the memoised settings request: same body, key order included."""
    import json

    from langchain_core.messages import HumanMessage, SystemMessage

    from nanogpt_integrations.core import WebSearchOptions
    from nanogpt_integrations.langchain import ChatNanoGPT

    llm = ChatNanoGPT(
        model="anthropic/claude-sonnet-4-5",
        api_key="k",
        temperature=0.2,
        top_k=5,
        stop=["END"],
        model_kwargs={"user": "u1"},
        extra_body={"custom": True},
        web_search=WebSearchOptions(search_depth="deep"),
        billing_mode="paygo",
        prompt_caching=True,
    )
    messages = [SystemMessage([{"type": "text", "text": "s", "cache_control": CC}]), HumanMessage("hi")]
    fast, usage = llm._request(messages, None, {})
    general, general_usage = _general_request(llm, messages)
    assert json.dumps(fast.body) == json.dumps(general.body)
    assert (fast.headers, usage) == (general.headers, general_usage)
    assert fast.body["messages"][0]["content"][0]["cache_control"] == CC
    # Each call gets its own body and headers.
    again, _ = llm._request([HumanMessage("other")], None, {})
    assert again.body["messages"] == [{"role": "user", "content": "other"}]
    assert fast.body["messages"][1] == {"role": "user", "content": "hi"}
    assert again.headers is not fast.headers


def test_settings_request_follows_field_changes_in_place_and_reassigned() -> None:
    from langchain_core.messages import HumanMessage

    from nanogpt_integrations.langchain import ChatNanoGPT

    llm = ChatNanoGPT(model="openai/gpt-4o-mini", api_key="k", model_kwargs={"user": "a"})
    hi = [HumanMessage("hi")]
    assert llm._request(hi, None, {})[0].body["user"] == "a"
    llm.model_kwargs["user"] = "b"  # edited in place
    assert llm._request(hi, None, {})[0].body["user"] == "b"
    llm.temperature = 0.5
    llm.routing = "price"
    body = llm._request(hi, None, {})[0].body
    assert (body["temperature"], body["model"]) == (0.5, "openai/gpt-4o-mini:price")


def test_tools_in_model_kwargs_take_the_general_path() -> None:
    """Tools in model_kwargs may lose their markers in place (implicit-cache models): never shared."""
    from langchain_core.messages import HumanMessage

    from nanogpt_integrations.langchain import ChatNanoGPT

    tool_spec = {"type": "function", "function": {"name": "f", "parameters": {}}, "cache_control": CC}
    llm = ChatNanoGPT(model="claude-sonnet-4-5", api_key="k", model_kwargs={"tools": [tool_spec]})
    assert llm._settings_request() is None
    request, _ = llm._request([HumanMessage("hi")], None, {})
    assert request.body["tools"] == [tool_spec]


def test_uncopyable_settings_values_skip_the_memo() -> None:
    """A value deepcopy cannot copy (here a lock in model_kwargs) turns the memo off, not the call."""
    import threading

    from langchain_core.messages import HumanMessage

    from nanogpt_integrations.langchain import ChatNanoGPT

    lock = threading.Lock()
    llm = ChatNanoGPT(model="openai/gpt-4o-mini", api_key="k", model_kwargs={"opaque": lock})
    for _ in range(2):
        request, _ = llm._request([HumanMessage("hi")], None, {})
        assert request.body["opaque"] is lock
