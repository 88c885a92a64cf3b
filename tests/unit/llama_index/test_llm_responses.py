"""NanoGPT replies and stream chunks → LlamaIndex responses (no server)."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.callbacks.token_counting import get_tokens_from_response

from nanogpt_integrations.core import AssistantTurn, Pricing, TokenUsage, ToolCallResult, turn_from_completion
from nanogpt_integrations.core.calls import ReplyStream
from nanogpt_integrations.core.request import WireRequest
from nanogpt_integrations.core.types import ChatCompletion, ChatCompletionChunk
from nanogpt_integrations.llama_index._responses import (
    ChatStreamState,
    turn_to_message,
    turn_to_response,
    usage_kwargs,
)


def state_for(request_id: str | None) -> ChatStreamState:
    """A stream state over a reply stream that is fed by hand (never sent: no client needed)."""
    replies = ReplyStream(None, WireRequest("chat", {}, {}))  # type: ignore[arg-type]
    replies._opened(request_id)
    return ChatStreamState(replies)


def chunk(delta: dict[str, Any] | None = None, **extra: Any) -> ChatCompletionChunk:
    choices = (
        [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": extra.pop("finish", None)}]
    )
    return ChatCompletionChunk.model_validate({"id": "chatcmpl-1", "model": "m", "choices": choices, **extra})


def test_usage_kwargs_names_and_cost() -> None:
    usage = TokenUsage(
        input_tokens=100,
        output_tokens=20,
        total_tokens=120,
        cache_read_tokens=60,
        cache_creation_tokens=30,
        reasoning_tokens=5,
    )
    assert usage_kwargs(usage, Pricing(cost=0.0012, currency="USD")) == {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "cached_tokens": 60,
        "cache_creation_tokens": 30,
        "reasoning_tokens": 5,
        "cost": 0.0012,
        "currency": "USD",
    }
    assert usage_kwargs(None, None) == {}


def test_turn_with_reasoning_text_and_tool_calls() -> None:
    turn = AssistantTurn(
        content="Let me check.",
        reasoning="think",
        reasoning_details=[{"type": "reasoning.text", "text": "think"}],
        tool_calls=[ToolCallResult(id="call_1", name="add", arguments='{"a": 1}')],
        usage=TokenUsage(reasoning_tokens=3),
    )
    msg = turn_to_message(turn)
    thinking, text, call = msg.blocks
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content == "think"
    assert thinking.num_tokens == 3
    assert thinking.additional_information == {
        "reasoning_details": [{"type": "reasoning.text", "text": "think"}]
    }
    assert isinstance(text, TextBlock) and text.text == "Let me check."
    assert isinstance(call, ToolCallBlock)
    assert (call.tool_call_id, call.tool_name, call.tool_kwargs) == ("call_1", "add", '{"a": 1}')
    assert msg.additional_kwargs["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    ]


def test_empty_reply_still_has_text_content() -> None:
    assert turn_to_message(AssistantTurn()).content == ""


def test_non_stream_response_is_token_countable() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "x",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15},
            "x_nanogpt_pricing": {"amount": 0.5, "currency": "USD"},
        }
    )
    response = turn_to_response(turn_from_completion(completion), completion)
    assert get_tokens_from_response(response) == (11, 4)
    assert response.additional_kwargs["cost"] == 0.5
    assert response.additional_kwargs["finish_reason"] == "stop"


def test_stream_state_builds_cumulative_responses() -> None:
    state = state_for("req_1")
    assert state.step(chunk({"role": "assistant"})) is None
    first = state.step(chunk({"reasoning": "hmm"}))
    assert first is not None and first.additional_kwargs["thinking_delta"] == "hmm"
    second = state.step(chunk({"content": "Hel"}))
    third = state.step(chunk({"content": "lo"}, finish="stop"))
    assert second is not None and third is not None
    assert (second.delta, third.delta) == ("Hel", "lo")
    assert third.message.content == "Hello"
    assert isinstance(third.message.blocks[0], ThinkingBlock)
    usage = state.step(chunk(usage={"prompt_tokens": 7, "completion_tokens": 2}))
    assert usage is not None
    assert usage.additional_kwargs["prompt_tokens"] == 7
    assert usage.additional_kwargs["request_id"] == "req_1"
    assert get_tokens_from_response(usage) == (7, 2)


def test_stream_usage_found_even_when_pricing_frame_comes_last() -> None:
    state = state_for(None)
    state.step(chunk({"content": "x"}, finish="stop", usage={"prompt_tokens": 5, "completion_tokens": 1}))
    last = state.step(chunk(x_nanogpt_pricing={"cost": 0.01}))
    assert last is not None
    assert get_tokens_from_response(last) == (5, 1)
    assert last.additional_kwargs["cost"] == 0.01


def test_stream_tool_call_fragments_merge_without_concatenating_ids() -> None:
    state = state_for(None)
    call = {"index": 0, "id": "call_9", "function": {"name": "add", "arguments": '{"a": '}}
    state.step(chunk({"tool_calls": [call]}))
    repeat = {"index": 0, "id": "call_9", "function": {"arguments": "1}"}}
    last = state.step(chunk({"tool_calls": [repeat]}, finish="tool_calls"))
    assert last is not None
    [block] = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert (block.tool_call_id, block.tool_name, block.tool_kwargs) == ("call_9", "add", '{"a": 1}')


def test_fast_constructors_match_model_construct() -> None:
    """The per-chunk constructors give exactly what ``model_construct`` gives."""
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
    from pydantic import BaseModel, Field

    from nanogpt_integrations._fast_models import plain_constructor

    block = TextBlock.model_construct(text="hi")
    message_kwargs: dict[str, Any] = {
        "role": MessageRole.ASSISTANT,
        "blocks": [block],
        "additional_kwargs": {},
    }
    cases: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (TextBlock, {"text": "hi"}),
        (ChatMessage, message_kwargs),
        (ChatMessage, {"blocks": [block]}),
        (
            ChatResponse,
            {"message": ChatMessage.model_construct(**message_kwargs), "delta": "hi", "raw": None},
        ),
    ]
    for cls, values in cases:
        fast = plain_constructor(cls)(**values)
        slow = cls.model_construct(**values)
        assert type(fast) is cls
        assert fast == slow
        assert list(fast.__dict__) == list(slow.__dict__)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.__pydantic_extra__ == slow.__pydantic_extra__
        assert fast.__pydantic_private__ == slow.__pydantic_private__
        assert fast.model_dump() == slow.model_dump()

    class Aliased(BaseModel):
        value: int = Field(default=0, alias="v")

    assert plain_constructor(Aliased) == Aliased.model_construct  # not a plain model: pydantic's own
