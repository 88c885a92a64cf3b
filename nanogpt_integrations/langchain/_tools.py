"""Tools, ``tool_choice`` and ``response_format`` for NanoGPT requests (pure functions).

Tools go out in OpenAI function format (the only one NanoGPT documents, api-reference/endpoint/chat-completion.mdx), with any
``cache_control`` the user attached kept on the tool: from an OpenAI- or Anthropic-format dict, or
from ``BaseTool.extras["cache_control"]`` (what LangChain's prompt-caching middleware sets).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function, convert_to_openai_tool

__all__ = ["ToolLike", "format_tool", "format_tools", "response_format", "schema_name"]

ToolLike = Mapping[str, Any] | type | Callable[..., Any] | BaseTool


def _marker(tool: Any) -> Any:
    if isinstance(tool, Mapping):
        return tool.get("cache_control")
    if isinstance(tool, BaseTool) and tool.extras:
        return tool.extras.get("cache_control")
    return None


def format_tool(tool: ToolLike, *, strict: bool | None = None) -> dict[str, Any]:
    """Any LangChain tool form → ``{"type": "function", "function": {...}}`` (+ ``cache_control``)."""
    if (
        isinstance(tool, Mapping)
        and tool.get("type") == "function"
        and isinstance(tool.get("function"), Mapping)
    ):
        formatted = {k: v for k, v in tool.items() if k != "cache_control"}
        formatted["function"] = dict(tool["function"])
        if strict is not None:
            formatted["function"]["strict"] = strict
    else:
        source = (
            {k: v for k, v in tool.items() if k != "cache_control"} if isinstance(tool, Mapping) else tool
        )
        formatted = convert_to_openai_tool(source, strict=strict)
    marker = _marker(tool)
    if marker is not None:
        formatted["cache_control"] = marker
    return formatted


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """:func:`format_tool` for each tool, in order."""
    return [format_tool(t, strict=strict) for t in tools]


def schema_name(schema: Mapping[str, Any] | type) -> str:
    """The function name LangChain derives for ``schema`` (pydantic class, TypedDict or JSON schema)."""
    return str(convert_to_openai_function(schema)["name"])


def response_format(schema: Mapping[str, Any] | type | None, *, strict: bool | None = None) -> dict[str, Any]:
    """``response_format`` for json_schema output (the core's envelope), or json_object when no schema."""
    from ..core.request import json_schema_format

    if schema is None:
        return {"type": "json_object"}
    function = convert_to_openai_function(schema, strict=strict)
    return json_schema_format(
        function["name"], function["parameters"], description=function.get("description"), strict=strict
    )
