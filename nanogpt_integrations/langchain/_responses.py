"""NanoGPT replies → LangChain messages, chunks and metadata (pure functions, no I/O).

Works on the core's framework-neutral :class:`AssistantTurn` (a whole reply) and
:class:`StreamDelta` (what one stream chunk added), so merging stays in the core accumulator.
Reasoning goes to ``additional_kwargs["reasoning_content"]`` (LangChain shows it as a ``reasoning``
content block) with ``reasoning_details`` kept verbatim to send back on the next turn.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import (
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)
from langchain_core.outputs import ChatGeneration, ChatResult, GenerationChunk

from .._fast_models import ValidatedTemplate

if TYPE_CHECKING:  # annotations only: the wire models load with the client, not on import
    from ..core import AssistantTurn, Pricing, StreamDelta, TokenUsage, ToolCallResult

__all__ = [
    "MODEL_PROVIDER",
    "chat_result",
    "chunk_from_delta",
    "final_chunk",
    "message_from_turn",
    "parse_tool_call",
    "pricing_metadata",
    "response_metadata",
    "text_result",
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
        # Keys in the TypedDict's declared order, as LangChain's validation leaves them.
        input_token_details=InputTokenDetails(
            cache_creation=usage.cache_creation_tokens, cache_read=usage.cache_read_tokens
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
        "usage_source": turn.usage_source,
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    meta.update(pricing_metadata(turn.pricing))
    return meta


def parse_tool_call(call: ToolCallResult) -> ToolCall | InvalidToolCall:
    """Arguments parsed as a JSON object, or an invalid tool call carrying the error (also for a
    call the core flagged: no function name, or a repeated id)."""
    if call.error is not None:
        return invalid_tool_call(name=call.name or None, args=call.arguments, id=call.id, error=call.error)
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


_SAMPLE_USAGE = UsageMetadata(
    input_tokens=1,
    output_tokens=1,
    total_tokens=2,
    input_token_details=InputTokenDetails(cache_creation=0, cache_read=0),
    output_token_details=OutputTokenDetails(reasoning=0),
)
_ai_message = ValidatedTemplate(
    AIMessage,
    content="t",
    additional_kwargs={"reasoning_content": "r"},
    tool_calls=[],
    invalid_tool_calls=[],
    usage_metadata=_SAMPLE_USAGE,
    response_metadata={"model_provider": MODEL_PROVIDER, "id": "i"},
    id="i",
)
_chat_generation = ValidatedTemplate(
    ChatGeneration, message=AIMessage(content="t"), generation_info={"finish_reason": "stop"}, text="t"
)
_chat_result = ValidatedTemplate(
    ChatResult, generations=[ChatGeneration(message=AIMessage(content="t"))], llm_output={"id": "i"}
)


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
    # Tool calls take the validating constructor (its validators normalise them); a plain reply
    # is built from the validated template (same message, ~2x faster).
    build = AIMessage if calls or invalid else _ai_message
    return build(
        content=turn.content,
        additional_kwargs=additional,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(turn.usage) if turn.usage else None,
        response_metadata=response_metadata(turn),
        id=turn.id,
    )


def chat_result(turn: AssistantTurn) -> ChatResult:
    """A complete reply → the ``ChatResult`` LangChain's ``_generate`` returns."""
    message = message_from_turn(turn)
    info = {"finish_reason": turn.finish_reason} if turn.finish_reason else None
    # ChatGeneration's validator sets ``text`` from the message: for string content, the content.
    generation = _chat_generation(message=message, generation_info=info, text=message.content)
    llm_output = {"model_name": turn.model, "id": turn.id, "token_usage": turn.raw_usage}
    return _chat_result(generations=[generation], llm_output=llm_output)


#: Content-only stream chunks (nearly every chunk of a stream) without validating each one.
_text_chunk = ValidatedTemplate(
    AIMessageChunk, content="t", response_metadata={"model_provider": MODEL_PROVIDER}, id="i"
)


def chunk_from_delta(delta: StreamDelta, message_id: str | None) -> AIMessageChunk | None:
    """What one stream chunk added → an ``AIMessageChunk`` (None when it added nothing to show).

    Usage, finish reason and model name are left to :func:`final_chunk`, so exactly one chunk
    carries them and merging the chunks never double-counts or concatenates them.
    """
    if not (delta.content or delta.reasoning or delta.tool_calls):
        return None
    if not (delta.reasoning or delta.tool_calls) and type(delta.content) is str:
        return _text_chunk.build(
            {
                "content": delta.content,
                "response_metadata": {"model_provider": MODEL_PROVIDER},
                "id": message_id,
            }
        )
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
    """The closing chunk of a stream: usage, metadata, cost and ``reasoning_details``.

    Tool calls the core flagged (no function name, a repeated id) were never sent as
    ``tool_call_chunks``; they are listed here in ``response_metadata["invalid_tool_calls"]``.
    (LangChain rebuilds ``invalid_tool_calls`` of merged chunks from their ``tool_call_chunks``
    and would turn a nameless call with valid JSON arguments back into a call named ``""``.)
    """
    additional: dict[str, Any] = {}
    if turn.reasoning_details:
        additional["reasoning_details"] = list(turn.reasoning_details)
    if turn.refusal:
        additional["refusal"] = turn.refusal
    meta = response_metadata(turn)
    invalid = [parse_tool_call(call) for call in turn.tool_calls if call.error is not None]
    if invalid:
        meta["invalid_tool_calls"] = invalid
    return AIMessageChunk(
        content="",
        additional_kwargs=additional,
        usage_metadata=usage_metadata(turn.usage) if turn.usage else None,
        response_metadata=meta,
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
    usage_source: str | None = None,
) -> dict[str, Any]:
    """``generation_info``: finish reason, normalised usage, cost and ids (None values dropped)."""
    info: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": model,
        "finish_reason": finish_reason,
        "id": completion_id,
        "request_id": request_id,
        "usage": usage.model_dump() if usage else None,
        "usage_source": usage_source,
    }
    info = {k: v for k, v in info.items() if v is not None}
    info.update(pricing_metadata(pricing))
    return info


def text_result(turn: AssistantTurn) -> tuple[str, dict[str, Any]]:
    """A ``/completions`` reply → (text, ``generation_info``)."""
    info = _text_info(
        turn.id, turn.model, turn.finish_reason, turn.usage, turn.pricing, turn.request_id, turn.usage_source
    )
    return turn.content, info


def text_stream_end(turn: AssistantTurn) -> GenerationChunk:
    """The closing chunk of a text-completion stream: finish reason, usage and cost."""
    info = _text_info(
        turn.id, turn.model, turn.finish_reason, turn.usage, turn.pricing, turn.request_id, turn.usage_source
    )
    return GenerationChunk(text="", generation_info=info)
