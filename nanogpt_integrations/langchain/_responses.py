"""NanoGPT replies → LangChain messages, chunks and metadata (pure functions, no I/O).

Works on the core's framework-neutral :class:`AssistantTurn` (a whole reply) and
:class:`StreamDelta` (what one stream chunk added), so merging stays in the core accumulator.
Reasoning goes to ``additional_kwargs["reasoning_content"]`` (LangChain shows it as a ``reasoning``
content block) with ``reasoning_details`` kept verbatim to send back on the next turn.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import (
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)
from langchain_core.outputs import GenerationChunk

from ..core import AssistantTurn, Completion, Pricing, StreamDelta, TokenUsage, ToolCallResult

__all__ = [
    "MODEL_PROVIDER",
    "chunk_from_delta",
    "completion_result",
    "final_chunk",
    "message_from_turn",
    "parse_tool_call",
    "pricing_metadata",
    "response_metadata",
    "text_stream_end",
    "usage_metadata",
]

MODEL_PROVIDER = "nanogpt"


def usage_metadata(usage: TokenUsage) -> UsageMetadata:
    """Core token counts → LangChain ``UsageMetadata`` (cache and reasoning details included)."""
    return UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_token_details=InputTokenDetails(
            cache_read=usage.cache_read_tokens, cache_creation=usage.cache_creation_tokens
        ),
        output_token_details=OutputTokenDetails(reasoning=usage.reasoning_tokens),
    )


def pricing_metadata(pricing: Pricing | None) -> dict[str, Any]:
    """``{"nanogpt_pricing": {cost, currency, payment_source, ...}, "cost": float}`` (empty if unknown)."""
    if pricing is None:
        return {}
    summary = pricing.summary()
    out: dict[str, Any] = {"nanogpt_pricing": summary}
    if "cost" in summary:
        out["cost"] = summary["cost"]
    return out


def response_metadata(turn: AssistantTurn) -> dict[str, Any]:
    """The ``response_metadata`` LangChain users and callbacks read (None values dropped)."""
    meta: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": turn.model,
        "finish_reason": turn.finish_reason,
        "id": turn.id,
        "service_tier": turn.service_tier,
        "system_fingerprint": turn.system_fingerprint,
        "request_id": turn.request_id,
        "token_usage": turn.raw_usage,
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    meta.update(pricing_metadata(turn.pricing))
    return meta


def parse_tool_call(call: ToolCallResult) -> ToolCall | InvalidToolCall:
    """Arguments parsed as a JSON object, or an invalid tool call carrying the error."""
    raw = call.arguments.strip()
    try:
        args = json.loads(raw) if raw else {}
    except ValueError as exc:
        return invalid_tool_call(
            name=call.name, args=call.arguments, id=call.id, error=f"invalid JSON: {exc}"
        )
    if not isinstance(args, dict):
        return invalid_tool_call(
            name=call.name, args=call.arguments, id=call.id, error="arguments are not a JSON object"
        )
    return tool_call(name=call.name, args=args, id=call.id)


def _reasoning_kwargs(reasoning: str, details: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reasoning:
        out["reasoning_content"] = reasoning
    if details:
        out["reasoning_details"] = details
    return out


def message_from_turn(turn: AssistantTurn) -> AIMessage:
    """A complete reply → ``AIMessage`` with tool calls, reasoning, usage and metadata."""
    additional = _reasoning_kwargs(turn.reasoning, list(turn.reasoning_details))
    if turn.refusal:
        additional["refusal"] = turn.refusal
    if turn.annotations:
        additional["annotations"] = list(turn.annotations)
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in turn.tool_calls:
        parsed = parse_tool_call(call)
        if parsed.get("type") == "invalid_tool_call":
            invalid.append(parsed)  # type: ignore[arg-type]
        else:
            calls.append(parsed)  # type: ignore[arg-type]
    return AIMessage(
        content=turn.content,
        additional_kwargs=additional,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(turn.usage) if turn.usage else None,
        response_metadata=response_metadata(turn),
        id=turn.id,
    )


class _TextChunks:
    """Content-only ``AIMessageChunk`` s (nearly every chunk of a stream), built the way validation
    builds them without running it on each chunk (~2 us of ~4.5 us).

    A template validated once gives the field values, their order, ``model_fields_set`` and the
    extras; each chunk gets its own content, id, ``response_metadata`` and fresh empty containers.
    If the template holds anything this does not reproduce (a LangChain version whose validators
    fill a field differently), every chunk is validated as before.
    """

    __slots__ = ("data", "extra", "fields_set", "fresh", "private", "usable")

    def __init__(self) -> None:
        template = AIMessageChunk(
            content="template", response_metadata={"model_provider": MODEL_PROVIDER}, id="template"
        )
        self.data = dict(template.__dict__)
        self.fields_set = frozenset(template.model_fields_set)
        self.extra = template.__pydantic_extra__
        self.private = template.__pydantic_private__
        self.fresh = tuple(
            (name, type(value))
            for name, value in self.data.items()
            if type(value) in (list, dict) and name != "response_metadata"
        )
        self.usable = (
            self.fields_set == {"content", "response_metadata", "id"}
            and self.extra == {}
            and self.private is None
            and all(not self.data[name] for name, _ in self.fresh)
            and all(
                value is None or type(value) in (str, bool, int)
                for name, value in self.data.items()
                if name not in ("response_metadata", *(n for n, _ in self.fresh))
            )
        )

    def __call__(self, content: str, message_id: str | None) -> AIMessageChunk:
        if not self.usable:
            return AIMessageChunk(
                content=content, response_metadata={"model_provider": MODEL_PROVIDER}, id=message_id
            )
        data = dict(self.data)
        data["content"] = content
        data["id"] = message_id
        data["response_metadata"] = {"model_provider": MODEL_PROVIDER}
        for name, kind in self.fresh:
            data[name] = kind()
        chunk = AIMessageChunk.__new__(AIMessageChunk)
        object.__setattr__(chunk, "__dict__", data)
        object.__setattr__(chunk, "__pydantic_fields_set__", set(self.fields_set))
        object.__setattr__(chunk, "__pydantic_extra__", {})
        object.__setattr__(chunk, "__pydantic_private__", None)
        return chunk


_text_chunk = _TextChunks()


def chunk_from_delta(delta: StreamDelta, message_id: str | None) -> AIMessageChunk | None:
    """What one stream chunk added → an ``AIMessageChunk`` (None when it added nothing to show).

    Usage, finish reason and model name are left to :func:`final_chunk`, so exactly one chunk
    carries them and merging the chunks never double-counts or concatenates them.
    """
    if not (delta.content or delta.reasoning or delta.tool_calls):
        return None
    if not (delta.reasoning or delta.tool_calls) and type(delta.content) is str:
        return _text_chunk(delta.content, message_id)
    # Empty ``additional_kwargs`` / ``tool_call_chunks`` are left to their defaults (the same
    # values): passing them costs a validation of each on every chunk of a plain text stream.
    kwargs: dict[str, Any] = {}
    if delta.tool_calls:
        chunks: list[ToolCallChunk] = [
            tool_call_chunk(name=f.name, args=f.arguments or None, id=f.id, index=f.index)
            for f in delta.tool_calls
        ]
        kwargs["tool_call_chunks"] = chunks
    if delta.reasoning:
        kwargs["additional_kwargs"] = {"reasoning_content": delta.reasoning}
    return AIMessageChunk(
        content=delta.content,
        response_metadata={"model_provider": MODEL_PROVIDER},
        id=message_id,
        **kwargs,
    )


def final_chunk(turn: AssistantTurn) -> AIMessageChunk:
    """The closing chunk of a stream: usage, metadata, cost and ``reasoning_details``."""
    additional: dict[str, Any] = {}
    if turn.reasoning_details:
        additional["reasoning_details"] = list(turn.reasoning_details)
    if turn.refusal:
        additional["refusal"] = turn.refusal
    return AIMessageChunk(
        content="",
        additional_kwargs=additional,
        usage_metadata=usage_metadata(turn.usage) if turn.usage else None,
        response_metadata=response_metadata(turn),
        id=turn.id,
        chunk_position="last",
    )


# -- the legacy text-completion endpoint ----------------------------------------------------------


def _text_info(
    completion_id: str | None,
    model: str | None,
    finish_reason: str | None,
    usage: TokenUsage | None,
    pricing: Pricing | None,
    request_id: str | None,
) -> dict[str, Any]:
    """``generation_info``: finish reason, normalised usage, cost and ids (None values dropped)."""
    info: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": model,
        "finish_reason": finish_reason,
        "id": completion_id,
        "request_id": request_id,
        "usage": usage.model_dump() if usage else None,
    }
    info = {k: v for k, v in info.items() if v is not None}
    info.update(pricing_metadata(pricing))
    return info


def completion_result(completion: Completion) -> tuple[str, dict[str, Any]]:
    """A ``/completions`` response → (text, ``generation_info``)."""
    choice = completion.choices[0] if completion.choices else None
    usage = completion.usage.normalized() if completion.usage else None
    info = _text_info(
        completion.id,
        completion.model,
        choice.finish_reason if choice else None,
        usage,
        completion.x_nanogpt_pricing,
        completion.request_id,
    )
    return (choice.text if choice else ""), info


def text_stream_end(turn: AssistantTurn) -> GenerationChunk:
    """The closing chunk of a text-completion stream: finish reason, usage and cost."""
    info = _text_info(turn.id, turn.model, turn.finish_reason, turn.usage, turn.pricing, turn.request_id)
    return GenerationChunk(text="", generation_info=info)
