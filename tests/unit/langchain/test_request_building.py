"""LangChain tool formatting and response_format (pure, table-driven); the request rules are the core's (tests/unit/core/test_request.py)."""

from __future__ import annotations

from langchain_core.tools import tool
from pydantic import BaseModel, Field

from nanogpt_integrations.langchain._tools import format_tool, response_format

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


def test_response_format() -> None:
    assert response_format(None) == {"type": "json_object"}
    out = response_format(Person, strict=True)
    assert out["type"] == "json_schema"
    spec = out["json_schema"]
    assert spec["name"] == "Person"
    assert spec["strict"] is True
    assert spec["schema"]["properties"]["name"]["type"] == "string"
