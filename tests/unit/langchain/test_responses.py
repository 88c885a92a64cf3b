"""NanoGPT replies → LangChain messages and chunks (pure, fed by the core's accumulator)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk

from nanogpt_integrations.core import (
    AssistantTurn,
    ModelInfo,
    Pricing,
    StreamAccumulator,
    TokenUsage,
    ToolCallResult,
    turn_from_completion,
)
from nanogpt_integrations.core.types import ChatCompletion, ChatCompletionChunk
from nanogpt_integrations.langchain._profile import profile_from_info
from nanogpt_integrations.langchain._responses import (
    chunk_from_delta,
    final_chunk,
    message_from_turn,
    parse_tool_call,
    usage_metadata,
)

PRICING = {"amount": 0.00012, "cost": 0.00012, "currency": "USD", "paymentSource": "nano"}
USAGE = {
    "prompt_tokens": 100,
    "completion_tokens": 20,
    "total_tokens": 120,
    "prompt_tokens_details": {"cached_tokens": 60},
    "completion_tokens_details": {"reasoning_tokens": 5},
    "cache_creation_input_tokens": 30,
}


def _completion(message: dict[str, Any], finish: str = "stop") -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "model": "m",
            "service_tier": "flex",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": USAGE,
            "x_nanogpt_pricing": PRICING,
        }
    )


def test_usage_metadata_details() -> None:
    usage = TokenUsage(
        input_tokens=100,
        output_tokens=20,
        total_tokens=120,
        cache_read_tokens=60,
        cache_creation_tokens=30,
        reasoning_tokens=5,
    )
    assert usage_metadata(usage) == {
        "input_tokens": 100,
        "output_tokens": 20,
        "total_tokens": 120,
        "input_token_details": {"cache_read": 60, "cache_creation": 30},
        "output_token_details": {"reasoning": 5},
    }


def test_message_from_completion() -> None:
    turn = turn_from_completion(
        _completion(
            {
                "content": "4",
                "reasoning": "2+2",
                "reasoning_details": [{"type": "reasoning.text", "text": "2+2"}],
            }
        )
    )
    message = message_from_turn(turn)
    assert message.content == "4"
    assert message.additional_kwargs["reasoning_content"] == "2+2"
    assert message.additional_kwargs["reasoning_details"] == [{"type": "reasoning.text", "text": "2+2"}]
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": "2+2"}
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_token_details"] == {"cache_read": 60, "cache_creation": 30}
    meta = message.response_metadata
    assert meta["model_name"] == "m"
    assert meta["model_provider"] == "nanogpt"
    assert meta["finish_reason"] == "stop"
    assert meta["id"] == "chatcmpl-1"
    assert meta["service_tier"] == "flex"
    assert meta["cost"] == pytest.approx(0.00012)
    assert meta["nanogpt_pricing"] == {"cost": 0.00012, "currency": "USD", "payment_source": "nano"}


@pytest.mark.parametrize(
    ("arguments", "valid", "args"),
    [
        ('{"a": 1}', True, {"a": 1}),
        (' {"a": 1}', True, {"a": 1}),  # leading space seen on the wire (api-reference/endpoint/chat-completion.mdx)
        ("", True, {}),
        ("{bad", False, None),
        ("[1, 2]", False, None),
    ],
)
def test_parse_tool_call(arguments: str, valid: bool, args: Any) -> None:
    parsed = parse_tool_call(ToolCallResult(id="c1", name="f", arguments=arguments))
    assert (parsed.get("type") == "tool_call") is valid
    if valid:
        assert parsed["args"] == args
    else:
        assert parsed["args"] == arguments
        assert parsed["error"]


def test_invalid_tool_calls_separated() -> None:
    turn = AssistantTurn(
        tool_calls=[
            ToolCallResult(id="a", name="f", arguments="{}"),
            ToolCallResult(id="b", name="g", arguments="{"),
        ]
    )
    message = message_from_turn(turn)
    assert [c["id"] for c in message.tool_calls] == ["a"]
    assert [c["id"] for c in message.invalid_tool_calls] == ["b"]


def _chunk(delta: dict[str, Any], **extra: Any) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-2",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": extra.pop("finish", None)}],
            **extra,
        }
    )


def test_stream_chunks_merge_into_one_message() -> None:
    frames = [
        _chunk({"role": "assistant", "reasoning": "hm"}),
        _chunk({"content": "Hel"}),
        _chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "add", "arguments": '{"a"'}}]}),
        _chunk({"tool_calls": [{"function": {"arguments": ": 1}"}}]}),  # missing index tolerated
        _chunk({"content": "lo"}, finish="tool_calls", usage=USAGE, x_nanogpt_pricing=PRICING),
    ]
    accumulator = StreamAccumulator("req-1")
    chunks = [c for f in frames if (c := chunk_from_delta(accumulator.add(f), "chatcmpl-2")) is not None]
    last = final_chunk(accumulator.result())
    assert all(c.usage_metadata is None and "model_name" not in c.response_metadata for c in chunks)
    full: AIMessageChunk = sum(chunks[1:], chunks[0]) + last
    assert full.content == "Hello"
    assert full.additional_kwargs["reasoning_content"] == "hm"
    assert full.tool_calls == [{"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]
    assert full.usage_metadata is not None and full.usage_metadata["input_tokens"] == 100
    assert full.response_metadata["model_name"] == "m"
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert full.response_metadata["request_id"] == "req-1"
    assert full.response_metadata["cost"] == pytest.approx(0.00012)
    assert last.chunk_position == "last"


def test_empty_delta_gives_no_chunk() -> None:
    accumulator = StreamAccumulator()
    assert chunk_from_delta(accumulator.add(_chunk({}, usage=USAGE)), None) is None


def test_pricing_without_cost_field_uses_amount() -> None:
    turn = AssistantTurn(pricing=Pricing.model_validate({"amount": 0.5, "currency": "USD"}))
    assert message_from_turn(turn).response_metadata["cost"] == 0.5


def test_profile_from_catalogue() -> None:
    info = ModelInfo.model_validate(
        {
            "id": "anthropic/claude-sonnet-4.5",
            "name": "Claude Sonnet 4.5",
            "context_length": 200000,
            "max_output_tokens": 64000,
            "capabilities": {"vision": True, "tool_calling": True, "reasoning": True, "pdf_upload": True},
            "reasoning_efforts": ["low", "high"],
        }
    )
    profile = profile_from_info(info)
    assert profile["max_input_tokens"] == 200000
    assert profile["max_output_tokens"] == 64000
    assert profile["image_inputs"] is True
    assert profile["pdf_inputs"] is True
    assert profile["tool_calling"] is True
    assert profile["reasoning_output"] is True
    assert profile["structured_output"] is False
    assert profile["reasoning_effort_levels"] == ["low", "high"]


def _same_model(fast: Any, slow: Any) -> None:
    """``fast`` is indistinguishable from the validated ``slow``: value, state, dumps, pickles."""
    import pickle

    from langchain_core.load import dumpd

    assert type(fast) is type(slow)
    assert fast == slow
    assert list(fast.__dict__) == list(slow.__dict__)
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert fast.__pydantic_private__ == slow.__pydantic_private__
    assert fast.model_dump() == slow.model_dump()
    assert dumpd(fast) == dumpd(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow


@pytest.mark.parametrize(
    "message",
    [
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": "", "reasoning": "think", "reasoning_details": [{"type": "x"}]},
        {"role": "assistant", "content": "no", "refusal": "cannot", "annotations": [{"type": "url"}]},
    ],
)
@pytest.mark.parametrize("usage", [USAGE, None])
def test_plain_replies_match_validated_messages(message: dict[str, Any], usage: Any) -> None:
    """A reply without tool calls is built from a validated template; it equals the validated
    AIMessage / ChatGeneration / ChatResult field for field."""
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    from nanogpt_integrations.langchain._responses import (
        _ai_message,
        _chat_generation,
        _chat_result,
        chat_result,
    )

    assert _ai_message.usable and _chat_generation.usable and _chat_result.usable
    payload: dict[str, Any] = {
        "id": "c1",
        "model": "m",
        "choices": [{"message": message, "finish_reason": "stop"}],
    }
    if usage is not None:
        payload["usage"] = usage
        payload["x_nanogpt_pricing"] = PRICING
    turn = turn_from_completion(ChatCompletion.model_validate(payload))
    fast = chat_result(turn)
    message_out = fast.generations[0].message
    slow_message = AIMessage(
        content=message_out.content,
        additional_kwargs=message_out.additional_kwargs,
        tool_calls=[],
        invalid_tool_calls=[],
        usage_metadata=message_out.usage_metadata,
        response_metadata=message_out.response_metadata,
        id=message_out.id,
    )
    _same_model(message_out, slow_message)
    slow_generation = ChatGeneration(message=slow_message, generation_info={"finish_reason": "stop"})
    _same_model(fast.generations[0], slow_generation)
    _same_model(fast, ChatResult(generations=[slow_generation], llm_output=fast.llm_output))
    # Containers are each message's own.
    again = chat_result(turn).generations[0].message
    for name in ("tool_calls", "invalid_tool_calls"):
        assert getattr(again, name) is not getattr(message_out, name)


def test_templates_validate_what_they_cannot_reproduce() -> None:
    """Other keyword sets, and classes whose validators rewrite the sample, take the validating path."""
    from pydantic import BaseModel, field_validator

    from nanogpt_integrations._fast_models import ValidatedTemplate
    from nanogpt_integrations.langchain._responses import _ai_message

    partial = _ai_message(content="x")  # not the template's names: validated
    assert partial.model_fields_set == {"content"}

    class Upper(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def _upper(cls, value: str) -> str:
            return value.upper()

    template = ValidatedTemplate(Upper, name="a")
    assert not template.usable
    assert template(name="b").name == "B"


def test_text_chunks_match_validated_chunks() -> None:
    """Content-only stream chunks are built without validation but equal validated ones."""
    import pickle

    from langchain_core.load import dumpd
    from langchain_core.messages import AIMessageChunk

    from nanogpt_integrations.core import StreamDelta
    from nanogpt_integrations.langchain._responses import _text_chunk, chunk_from_delta

    assert _text_chunk.usable
    for content, message_id in [("abc", "chatcmpl-1"), ("é ✓", None), (" ", "run-1")]:
        fast = chunk_from_delta(StreamDelta(content=content), message_id)
        slow = AIMessageChunk(content=content, response_metadata={"model_provider": "nanogpt"}, id=message_id)
        assert isinstance(fast, AIMessageChunk)
        assert fast == slow
        assert list(fast.__dict__) == list(slow.__dict__)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.__pydantic_extra__ == slow.__pydantic_extra__
        assert fast.model_dump() == slow.model_dump()
        assert dumpd(fast) == dumpd(slow)
        assert pickle.loads(pickle.dumps(fast)) == slow
        assert fast + fast == slow + slow
        # Containers are the chunk's own, never shared between chunks.
        other = chunk_from_delta(StreamDelta(content=content), message_id)
        assert other is not None
        for name in ("additional_kwargs", "response_metadata", "tool_calls", "tool_call_chunks"):
            assert getattr(fast, name) is not getattr(other, name)


def test_stream_generation_chunks_match_validated_ones() -> None:
    """Generation chunks of a stream (text, reasoning, tool calls) are built from a template and
    equal ``ChatGenerationChunk(message=...)`` validated, text included."""
    from langchain_core.outputs import ChatGenerationChunk

    from nanogpt_integrations.langchain._chunks import _chunk, _generation_chunk

    assert _generation_chunk.usable
    accumulator = StreamAccumulator()
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "content": "Hel"},
        {"content": "lo é"},
        {"reasoning": "thinking"},
        {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "add", "arguments": '{"a"'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]},
    ]
    for delta in deltas:
        item = ChatCompletionChunk.model_validate({"id": "x1", "choices": [{"index": 0, "delta": delta}]})
        fast = _chunk(accumulator, item)
        assert fast is not None
        _same_model(fast, ChatGenerationChunk(message=fast.message))
        assert fast.text == fast.message.content
