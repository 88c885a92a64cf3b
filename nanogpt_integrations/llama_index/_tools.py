"""LlamaIndex tools and tool calls ↔ the wire ``tools`` / ``tool_choice`` / ``tool_calls`` (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from nanogpt_integrations.core import ToolCallResult

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "as_tools",
    "parse_arguments",
    "tool_call_blocks",
    "tool_choice_to_wire",
    "tool_selections",
    "tool_to_wire",
    "tools_to_wire",
    "trim_to_one_tool_call",
]


def as_tools(tools: Any) -> list[BaseTool]:
    """``tools`` as LlamaIndex tools: plain functions become ``FunctionTool.from_defaults(fn)`` (as
    LlamaIndex agents accept them); anything else is a ``TypeError`` naming the argument."""
    from llama_index.core.tools import FunctionTool
    from llama_index.core.tools.types import BaseTool as ToolBase

    out: list[BaseTool] = []
    for position, tool in enumerate(tools or []):
        if isinstance(tool, ToolBase):
            out.append(tool)
        elif callable(tool):
            out.append(FunctionTool.from_defaults(fn=tool))
        else:
            raise TypeError(
                f"tools[{position}] must be a LlamaIndex tool or a function; got {type(tool).__name__}"
            )
    return out


def tool_to_wire(tool: BaseTool, *, strict: bool = False) -> dict[str, Any]:
    """A LlamaIndex tool → ``{"type": "function", "function": {name, description, parameters}}``.

    ``strict`` adds ``strict: true`` and closes the schema (``additionalProperties: false``).
    """
    meta = tool.metadata
    parameters = dict(meta.get_parameters_dict())
    function: dict[str, Any] = {"name": meta.get_name(), "parameters": parameters}
    if meta.description:
        function["description"] = meta.description
    if strict:
        function["strict"] = True
        parameters["additionalProperties"] = False
    return {"type": "function", "function": function}


def tools_to_wire(tools: Sequence[BaseTool], *, strict: bool = False) -> list[dict[str, Any]]:
    return [tool_to_wire(t, strict=strict) for t in tools]


def tool_choice_to_wire(choice: str | dict[str, Any] | None, *, tool_required: bool = False) -> Any:
    """LlamaIndex's tool-choice arguments → the ``tool_choice`` the core normalises.

    ``None`` with ``tool_required`` means "call some tool" (``"required"``); ``None`` otherwise
    means "not sent". Words, tool names and dicts go to the core unchanged
    (:func:`nanogpt_integrations.core.request.tool_choice_to_wire`).
    """
    if choice is None:
        return "required" if tool_required else None
    return choice


def parse_arguments(arguments: str | dict[str, Any] | None) -> dict[str, Any]:
    """Tool-call arguments as a dict, tolerating blanks, partial (streamed) and malformed JSON."""
    if isinstance(arguments, dict):
        return arguments
    text = (arguments or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = parse_partial_json(text)
        except (ValueError, IndexError):
            return {}
    return value if isinstance(value, dict) else {}


def tool_call_blocks(calls: Sequence[ToolCallResult]) -> list[ToolCallBlock]:
    """Core tool calls → ``ToolCallBlock`` s (arguments kept as the raw JSON text)."""
    return [
        ToolCallBlock.model_construct(tool_call_id=c.id, tool_name=c.name, tool_kwargs=c.arguments)
        for c in calls
    ]


def _legacy_calls(message: ChatMessage) -> list[ToolSelection]:
    out: list[ToolSelection] = []
    for i, call in enumerate(message.additional_kwargs.get("tool_calls") or []):
        data = call.model_dump() if hasattr(call, "model_dump") else dict(call)
        function = data.get("function") or {}
        out.append(
            ToolSelection(
                tool_id=data.get("id") or f"call_{i}",
                tool_name=function.get("name") or "",
                tool_kwargs=parse_arguments(function.get("arguments")),
            )
        )
    return out


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of an assistant message (``ToolCallBlock`` s, else legacy additional_kwargs)."""
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if not blocks:
        return _legacy_calls(message)
    return [
        ToolSelection(
            tool_id=b.tool_call_id or f"call_{i}",
            tool_name=b.tool_name,
            tool_kwargs=parse_arguments(b.tool_kwargs),
        )
        for i, b in enumerate(blocks)
    ]


def trim_to_one_tool_call(message: ChatMessage) -> None:
    """Keep only the first tool call (in place), for callers that did not allow parallel calls."""
    seen = False
    kept = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        kept.append(block)
    message.blocks = kept
    legacy = message.additional_kwargs.get("tool_calls")
    if isinstance(legacy, list) and len(legacy) > 1:
        message.additional_kwargs["tool_calls"] = legacy[:1]
