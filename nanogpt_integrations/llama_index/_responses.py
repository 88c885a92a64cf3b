"""NanoGPT replies (core ``AssistantTurn`` / stream deltas) → LlamaIndex responses (pure).

Usage goes into ``additional_kwargs`` under OpenAI-style names plus cache, reasoning and cost
keys, for streams too, and ``raw`` is the core wire object, so LlamaIndex's token counting finds
the counts either in ``raw.usage`` or, when the last chunk has none, in ``additional_kwargs``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)
from pydantic import BaseModel

from nanogpt_integrations.core import AssistantTurn, Pricing, StreamAccumulator, TokenUsage
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

_M = TypeVar("_M", bound=BaseModel)
_IMMUTABLE = (str, int, float, bool, bytes, type(None))


def _constructor(cls: type[_M]) -> Callable[..., _M]:
    """``cls.model_construct`` for the models built on every stream chunk, without its per-call work.

    Same result as ``model_construct`` (values in field order, defaults filled, ``model_fields_set``
    = the names given, no extras, no private state). Pydantic's version resolves aliases and
    defaults field by field in Python, which costs ~1.5 µs a model, three models a chunk. Models
    with aliases, private attributes, post-init hooks or extras keep ``model_construct``.
    """
    fields = cls.model_fields
    plain = (
        not cls.__private_attributes__
        and not cls.__pydantic_post_init__
        and not cls.__pydantic_root_model__
        and cls.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in fields.values())
    )
    if not plain:
        return cls.model_construct
    names = tuple(fields)
    # Immutable defaults are looked up once (``get_default`` would return them as they are).
    constant = {
        name: f.default
        for name, f in fields.items()
        if not f.is_required() and f.default_factory is None and isinstance(f.default, _IMMUTABLE)
    }
    new = cls.__new__
    setattr_ = object.__setattr__

    def construct(**values: Any) -> _M:
        data: dict[str, Any] = {}
        for name in names:
            if name in values:
                data[name] = values[name]
            elif name in constant:
                data[name] = constant[name]
            else:
                field = fields[name]
                if not field.is_required():
                    data[name] = field.get_default(call_default_factory=True, validated_data=data)
        model = new(cls)
        setattr_(model, "__dict__", data)
        setattr_(model, "__pydantic_fields_set__", set(values))
        setattr_(model, "__pydantic_extra__", None)
        setattr_(model, "__pydantic_private__", None)
        return model

    return construct


_text_block = _constructor(TextBlock)
_chat_message = _constructor(ChatMessage)
_chat_response = _constructor(ChatResponse)


def usage_kwargs(usage: TokenUsage | None, pricing: Pricing | None) -> dict[str, Any]:
    """Token counts (OpenAI names + cache/reasoning) and the server-reported ``cost``."""
    out: dict[str, Any] = {}
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


def _wire_tool_calls(turn: AssistantTurn) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in turn.tool_calls
    ]


def turn_to_message(turn: AssistantTurn) -> ChatMessage:
    """An assistant turn → ``ChatMessage`` with Thinking/Text/ToolCall blocks.

    Tool calls are also listed in ``additional_kwargs["tool_calls"]`` (wire shape), which
    LlamaIndex's streaming structured-output helpers look for.
    """
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
    if turn.content or not turn.tool_calls:
        blocks.append(_text_block(text=turn.content))
    blocks.extend(tool_call_blocks(turn.tool_calls))
    kwargs: dict[str, Any] = {}
    if turn.tool_calls:
        kwargs["tool_calls"] = _wire_tool_calls(turn)
    # model_construct: every value is built here from typed core objects, so validation would
    # only cost time on each stream chunk.
    return _chat_message(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


def _response_kwargs(turn: AssistantTurn) -> dict[str, Any]:
    out = usage_kwargs(turn.usage, turn.pricing)
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
            additional_kwargs=usage_kwargs(turn.usage, turn.pricing),
        )


def completion_to_response(completion: Completion) -> CompletionResponse:
    """A non-streamed ``/completions`` reply → ``CompletionResponse``."""
    text = completion.choices[0].text if completion.choices else ""
    usage = completion.usage.normalized() if completion.usage is not None else None
    return CompletionResponse(
        text=text, raw=completion, additional_kwargs=usage_kwargs(usage, completion.x_nanogpt_pricing)
    )
