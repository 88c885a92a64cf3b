"""NanoGPT replies (core ``AssistantTurn`` / stream deltas) → LlamaIndex responses (pure).

Usage goes into ``additional_kwargs`` under OpenAI-style names plus cache, reasoning and cost
keys, for streams too, and ``raw`` is the core wire object, so LlamaIndex's token counting finds
the counts either in ``raw.usage`` or, when the last chunk has none, in ``additional_kwargs``.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)

from nanogpt_integrations._fast_models import plain_constructor
from nanogpt_integrations.core import AssistantTurn, Pricing, StreamAccumulator, TokenUsage, ToolCallResult
from nanogpt_integrations.core.accumulator import reported_usage
from nanogpt_integrations.core.types import ChatCompletionChunk, Completion

from ._tools import tool_call_blocks

__all__ = [
    "ChatStreamState",
    "CompletionStreamState",
    "chat_to_completion",
    "turn_to_message",
    "turn_to_response",
    "usage_kwargs",
]

_text_block = plain_constructor(TextBlock)
_chat_message = plain_constructor(ChatMessage)
_chat_response = plain_constructor(ChatResponse)


def usage_kwargs(
    usage: TokenUsage | None, pricing: Pricing | None, source: str | None = None
) -> dict[str, Any]:
    """Token counts (OpenAI names + cache/reasoning), the server-reported ``cost``, and
    ``usage_source`` when the counts came from ``x_nanogpt_pricing`` rather than ``usage``."""
    out: dict[str, Any] = {}
    if source:
        out["usage_source"] = source
    if usage is not None:
        out.update(
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            cached_tokens=usage.cache_read_tokens,
            cache_creation_tokens=usage.cache_creation_tokens,
            reasoning_tokens=usage.reasoning_tokens,
        )
    if pricing is not None and pricing.charged is not None:
        out["cost"] = pricing.charged
        if pricing.currency:
            out["currency"] = pricing.currency
    return out


def _wire_tool_calls(calls: list[ToolCallResult]) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in calls
    ]


def _invalid_tool_calls(calls: list[ToolCallResult]) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name or None, "arguments": c.arguments, "error": c.error} for c in calls]


def turn_to_message(turn: AssistantTurn) -> ChatMessage:
    """An assistant turn → ``ChatMessage`` with Thinking/Text/ToolCall blocks.

    Tool calls are also listed in ``additional_kwargs["tool_calls"]`` (wire shape), which
    LlamaIndex's streaming structured-output helpers look for. LlamaIndex has no invalid tool
    call type: a call the core flagged (no function name, a repeated id) gets no ``ToolCallBlock``
    (so no agent runs it) and is listed in ``additional_kwargs["invalid_tool_calls"]`` with its
    ``error``. A streamed call whose name has not arrived yet is not shown until it does.
    """
    calls = [c for c in turn.tool_calls if c.error is None and c.name]
    invalid = [c for c in turn.tool_calls if c.error is not None]
    blocks: list[ContentBlock] = []
    if turn.reasoning or turn.reasoning_details:
        info: dict[str, Any] = {}
        if turn.reasoning_details:
            info["reasoning_details"] = list(turn.reasoning_details)
        tokens = turn.usage.reasoning_tokens if turn.usage and turn.usage.reasoning_tokens else None
        blocks.append(
            ThinkingBlock.model_construct(
                content=turn.reasoning or None, num_tokens=tokens, additional_information=info
            )
        )
    if turn.content or not calls:
        blocks.append(_text_block(text=turn.content))
    blocks.extend(tool_call_blocks(calls))
    kwargs: dict[str, Any] = {}
    if calls:
        kwargs["tool_calls"] = _wire_tool_calls(calls)
    if invalid:
        kwargs["invalid_tool_calls"] = _invalid_tool_calls(invalid)
    # model_construct: every value is built here from typed core objects, so validation would
    # only cost time on each stream chunk.
    return _chat_message(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


def _response_kwargs(turn: AssistantTurn) -> dict[str, Any]:
    out = usage_kwargs(turn.usage, turn.pricing, turn.usage_source)
    if turn.finish_reason:
        out["finish_reason"] = turn.finish_reason
    if turn.request_id:
        out["request_id"] = turn.request_id
    return out


def turn_to_response(turn: AssistantTurn, raw: Any) -> ChatResponse:
    """A complete (non-streamed) turn → ``ChatResponse``."""
    return ChatResponse(message=turn_to_message(turn), raw=raw, additional_kwargs=_response_kwargs(turn))


def chat_to_completion(response: ChatResponse) -> CompletionResponse:
    """A chat response → the ``CompletionResponse`` of ``complete`` / ``stream_complete``."""
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        additional_kwargs=response.additional_kwargs,
    )


class ChatStreamState:
    """Turns each chunk into the cumulative ``ChatResponse`` LlamaIndex expects (via the core accumulator)."""

    def __init__(self, request_id: str | None) -> None:
        self.accumulator = StreamAccumulator(request_id)

    def step(self, chunk: ChatCompletionChunk) -> ChatResponse | None:
        """The response to yield for ``chunk``, or None when it carried nothing (e.g. role only)."""
        delta = self.accumulator.add(chunk)
        if delta.is_empty:
            return None
        turn = self.accumulator.result() if delta.finish_reason else self.accumulator.snapshot()
        kwargs = _response_kwargs(turn)
        if delta.reasoning:
            kwargs["thinking_delta"] = delta.reasoning
        return _chat_response(
            message=turn_to_message(turn),
            delta=delta.content,
            raw=chunk,
            additional_kwargs=kwargs,
            logprobs=None,
        )


class CompletionStreamState:
    """Cumulative ``CompletionResponse`` s for the legacy ``/completions`` stream (core accumulator)."""

    def __init__(self) -> None:
        self.accumulator = StreamAccumulator()

    def step(self, chunk: Completion) -> CompletionResponse | None:
        delta = self.accumulator.add_completion(chunk)
        if not (delta.content or delta.usage or delta.pricing):
            return None
        turn = self.accumulator.snapshot()
        return CompletionResponse(
            text=turn.content,
            delta=delta.content,
            raw=chunk,
            additional_kwargs=usage_kwargs(turn.usage, turn.pricing, turn.usage_source),
        )


def completion_to_response(completion: Completion) -> CompletionResponse:
    """A non-streamed ``/completions`` reply → ``CompletionResponse``."""
    text = completion.choices[0].text if completion.choices else ""
    usage, source = reported_usage(completion.usage, completion.x_nanogpt_pricing)
    kwargs = usage_kwargs(usage, completion.x_nanogpt_pricing, source)
    return CompletionResponse(text=text, raw=completion, additional_kwargs=kwargs)
