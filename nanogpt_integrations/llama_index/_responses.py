"""NanoGPT replies (core ``AssistantTurn`` / stream deltas) → LlamaIndex responses (pure).

Usage goes into ``additional_kwargs`` under OpenAI-style names plus cache, reasoning and cost
keys, for streams too, and ``raw`` is the core wire object, so LlamaIndex's token counting finds
the counts either in ``raw.usage`` or, when the last chunk has none, in ``additional_kwargs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from nanogpt_integrations.core import AssistantTurn, Pricing, TokenUsage, ToolCallResult

if TYPE_CHECKING:
    from nanogpt_integrations.core import TEEVerification
    from nanogpt_integrations.core.calls import AsyncReplyStream, Reply, ReplyStream

from ._tools import tool_call_blocks

__all__ = [
    "ChatStreamState",
    "attach_tee",
    "chat_to_completion",
    "reply_to_response",
    "text_to_completion",
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
    if turn.id and turn.id.startswith("resp_"):
        kwargs["response_id"] = turn.id  # threads the next turn (use_previous_response_id)
    # model_construct: every value is built here from typed core objects, so validation would
    # only cost time on each stream chunk.
    return _chat_message(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


def _response_kwargs(turn: AssistantTurn) -> dict[str, Any]:
    out = usage_kwargs(turn.usage, turn.pricing, turn.usage_source)
    if turn.finish_reason:
        out["finish_reason"] = turn.finish_reason
    if turn.request_id:
        out["request_id"] = turn.request_id
    if turn.id and turn.id.startswith("resp_"):
        out["response_id"] = turn.id
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


def attach_tee(
    response: ChatResponse, verification: TEEVerification | None, raise_on_failure: bool
) -> ChatResponse:
    """Put a TEE verification (as a dict) in ``additional_kwargs["tee_verification"]``; raise
    :class:`TEEVerificationError` for a ``failed`` result when asked to (``unavailable`` never raises)."""
    if verification is None:
        return response
    from nanogpt_integrations.core import TEEVerificationError

    response.additional_kwargs["tee_verification"] = verification.to_dict()
    if raise_on_failure and verification.status == "failed":
        raise TEEVerificationError(verification)
    return response


def reply_to_response(reply: Reply, raise_on_failure: bool = False) -> ChatResponse:
    """A finished core reply (any route) → ``ChatResponse``."""
    return attach_tee(turn_to_response(reply.turn, reply.raw), reply.verification, raise_on_failure)


class ChatStreamState:
    """Turns each wire item of a core reply stream (chat chunks or Responses events) into the
    cumulative ``ChatResponse`` LlamaIndex expects."""

    def __init__(self, replies: ReplyStream | AsyncReplyStream) -> None:
        self.replies = replies
        #: TEE-verified streams hold their last response back until the verification is in.
        self._hold = replies.request.route == "tee"
        self._held: ChatResponse | None = None

    def responses(self, item: Any) -> list[ChatResponse]:
        """What to yield for ``item``: its response, or (TEE) the one held before it."""
        response = self.step(item)
        if response is None:
            return []
        if not self._hold:
            return [response]
        held, self._held = self._held, response
        return [held] if held is not None else []

    def finish(self, raise_on_failure: bool) -> list[ChatResponse]:
        """At the end of the stream: the held last response, with the TEE verification attached."""
        held, self._held = self._held, None
        if held is None:
            return []
        return [attach_tee(held, self.replies.verification, raise_on_failure)]

    def step(self, item: Any) -> ChatResponse | None:
        """The response to yield for ``item``, or None when it carried nothing (e.g. role only)."""
        replies = self.replies
        delta = replies.add(item)
        if delta.is_empty:
            return None
        turn = replies.result() if delta.finish_reason else replies.accumulator.snapshot()
        kwargs = _response_kwargs(turn)
        if delta.reasoning:
            kwargs["thinking_delta"] = delta.reasoning
        return _chat_response(
            message=turn_to_message(turn),
            delta=delta.content,
            raw=item,
            additional_kwargs=kwargs,
            logprobs=None,
        )

    def text_step(self, item: Any) -> CompletionResponse | None:
        """The same for the legacy ``/completions`` stream."""
        delta = self.replies.add(item)
        if not (delta.content or delta.usage or delta.pricing):
            return None
        turn = self.replies.accumulator.snapshot()
        return CompletionResponse(
            text=turn.content,
            delta=delta.content,
            raw=item,
            additional_kwargs=usage_kwargs(turn.usage, turn.pricing, turn.usage_source),
        )


def text_to_completion(reply: Reply) -> CompletionResponse:
    """A non-streamed ``/completions`` reply → ``CompletionResponse``."""
    turn = reply.turn
    kwargs = usage_kwargs(turn.usage, turn.pricing, turn.usage_source)
    return CompletionResponse(text=turn.content, raw=reply.raw, additional_kwargs=kwargs)
