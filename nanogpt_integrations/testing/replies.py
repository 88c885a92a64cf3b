"""Scripted chat replies: what the emulator answers on `/chat/completions`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCallSpec:
    """One tool call in a reply; `arguments` is a dict (serialised) or a raw JSON string (sent verbatim)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        """The `function.arguments` string sent on the wire."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)

    def call_id(self, index: int, seed: str = "") -> str:
        """The explicit id, or a deterministic `call_<hex>` derived from the call's content."""
        if self.id is not None:
            return self.id
        digest = hashlib.sha256(f"{self.name}|{self.arguments_json()}|{index}|{seed}".encode()).hexdigest()
        return f"call_{digest[:24]}"


@dataclass(frozen=True)
class ChatReply:
    """A chat completion the emulator should return (scripted, or produced by the default brain).

    `finish_reason` defaults to `"tool_calls"` when tool calls are present, else `"stop"`. `usage` and
    `pricing` replace the computed `usage` / `x_nanogpt_pricing` objects. `chunk_size` is the number of
    characters per content, reasoning or argument delta when streaming.
    """

    content: str | None = None
    reasoning: str | None = None
    reasoning_details: list[dict[str, Any]] | None = None
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    pricing: dict[str, Any] | None = None
    model: str | None = None
    chunk_size: int = 8
    omit_tool_call_index: bool = False
    repeat_tool_call_id: bool = False
    annotations: list[dict[str, Any]] | None = None

    def effective_finish_reason(self) -> str:
        """The finish reason to send."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"
