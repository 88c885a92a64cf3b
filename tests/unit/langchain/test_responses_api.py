"""The Responses API and TEE routes of ChatNanoGPT: call modes, history splitting, request mapping,
reply translation and the TEE metadata (pure, no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from nanogpt_integrations.core import (
    ResponseObject,
    ResponsesAccumulator,
    ResponseStreamEvent,
    TEEVerificationError,
    turn_from_response,
)
from nanogpt_integrations.core.request import CallMode, ChatRequest, build_request, check_mode
from nanogpt_integrations.core.tee import TEEVerification
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.langchain._chunks import last_chunk
from nanogpt_integrations.langchain._responses import chat_result, chunk_from_delta

TEE = "TEE/llama-3.3-70b-instruct"


def _wire(llm: ChatNanoGPT, messages: list[Any], **kwargs: Any) -> Any:
    return llm._wire(messages, None, kwargs, stream=False)


# -- call modes -----------------------------------------------------------------------------------


def test_per_call_switches_override_the_instance_and_are_never_sent() -> None:
    llm = ChatNanoGPT(model="m", api_key="k", max_tokens=32)
    wire = _wire(
        llm, [HumanMessage("hi")], use_responses_api=True, temperature=0.1, tee_raise_on_failure=True
    )
    assert wire.route == "responses"
    assert wire.mode == CallMode(responses=True, raise_on_failure=True)
    assert not {"use_responses_api", "tee_raise_on_failure"} & set(wire.body)
    on = ChatNanoGPT(model="m", api_key="k", use_responses_api=True, max_tokens=32)
    assert _wire(on, [HumanMessage("hi")]).route == "responses"
    assert _wire(on, [HumanMessage("hi")], use_responses_api=False).route == "chat"


@pytest.mark.parametrize(
    ("mode", "model", "error"),
    [
        (CallMode(previous_response_id=True), "m", "needs the Responses API"),
        (CallMode(verify_tee=True), "openai/gpt-4o-mini", "TEE/ model"),
        (CallMode(verify_tee=True, responses=True), TEE, "turn off use_responses_api"),
    ],
)
def test_impossible_modes(mode: CallMode, model: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        check_mode(mode, model)


def test_per_call_model_is_the_one_checked() -> None:
    tee = ChatNanoGPT(model=TEE, api_key="k", verify_tee=True)
    with pytest.raises(ValueError, match="TEE/ model"):
        _wire(tee, [HumanMessage("hi")], model="openai/gpt-4o-mini")
    other = ChatNanoGPT(model="x", api_key="k")
    assert _wire(other, [HumanMessage("hi")], model="tee/other", verify_tee=True).route == "tee"


def test_constructor_checks_the_switches() -> None:
    with pytest.raises(ValueError, match="TEE/ model"):
        ChatNanoGPT(model="openai/gpt-4o-mini", api_key="k", verify_tee=True)
    with pytest.raises(ValueError, match="needs the Responses API"):
        ChatNanoGPT(model="m", api_key="k", use_previous_response_id=True)
    model = ChatNanoGPT(model=TEE, api_key="k", verify_tee=True, tee_raise_on_failure=True)
    assert (model.verify_tee, model.tee_raise_on_failure, model.use_responses_api) == (True, True, False)


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_switches_round_trip_through_serialisation() -> None:
    from langchain_core.load import dumpd, load

    model = ChatNanoGPT(model="m", api_key="k", use_responses_api=True, use_previous_response_id=True)
    again = load(
        dumpd(model),
        secrets_map={"NANOGPT_API_KEY": "k"},
        valid_namespaces=["nanogpt_integrations"],
        allowed_objects=[ChatNanoGPT],
    )
    assert isinstance(again, ChatNanoGPT)
    assert (again.use_responses_api, again.use_previous_response_id, again.verify_tee) == (True, True, False)


# -- history splitting and request mapping --------------------------------------------------------


def test_previous_response_sends_only_the_messages_after_the_last_responses_reply() -> None:
    first = AIMessage("a", response_metadata={"id": "resp_1"})
    second = AIMessage("b", response_metadata={"id": "resp_2"})
    foreign = AIMessage("c", response_metadata={"id": "chatcmpl-3"})
    tail = [HumanMessage("q3"), foreign, ToolMessage("r", tool_call_id="x")]
    history = [SystemMessage("s"), HumanMessage("q1"), first, HumanMessage("q2"), second, *tail]
    llm = ChatNanoGPT(model="m", api_key="k", use_responses_api=True, use_previous_response_id=True)
    body = _wire(llm, history, max_tokens=32).body
    assert (body["previous_response_id"], body["store"]) == ("resp_2", True)
    assert body["input"] == [
        {"type": "message", "role": "user", "content": "q3"},
        {"type": "message", "role": "assistant", "content": "c"},
        {"type": "function_call_output", "call_id": "x", "output": "r"},
    ]
    first_turn = _wire(llm, [HumanMessage("q"), foreign], max_tokens=32).body
    assert first_turn["store"] is True and "previous_response_id" not in first_turn
    assert len(first_turn["input"]) == 2


CHAT_CALL = {
    "max_tokens": 32,
    "response_format": {"type": "json_schema", "json_schema": {"name": "P", "schema": {"type": "object"}}},
    "reasoning_effort": "low",
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": "f",
    "caching": True,
    "extra_headers": {"X-Trace": "p"},
}


def test_responses_request_maps_the_chat_request() -> None:
    request = ChatRequest(
        model="openai/gpt-4o-mini:online",
        messages=[{"role": "user", "content": "hi"}],
        call=CHAT_CALL,
        stream=True,
        mode=CallMode(responses=True),
    )
    wire = build_request(request)
    assert wire.headers == {"X-Trace": "p"}
    assert wire.body == {
        "model": "openai/gpt-4o-mini:online",
        "input": [{"type": "message", "role": "user", "content": "hi"}],
        "max_output_tokens": 32,
        "text": {"format": {"type": "json_schema", "name": "P", "schema": {"type": "object"}}},
        "reasoning": {"effort": "low"},
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "caching": True,  # NanoGPT extensions pass through
        "stream": True,
    }


def test_threading_refuses_unstored_responses() -> None:
    for bad in ({"store": False}, {"retention_days": 0}):
        request = ChatRequest(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            call={"max_tokens": 32, **bad},
            mode=CallMode(responses=True, previous_response_id=True),
        )
        with pytest.raises(ValueError, match="needs stored responses"):
            build_request(request)


def test_bad_bodies_are_refused() -> None:
    request = ChatRequest(
        model="m", messages=[{"role": "user", "content": "hi"}], call={"max_tokens": 8}, mode=CallMode(True)
    )
    with pytest.raises(ValueError, match="at least 16"):
        build_request(request)


# -- replies ---------------------------------------------------------------------------------------

RESPONSE = {
    "id": "resp_abc",
    "object": "response",
    "model": "openai/o3",
    "status": "completed",
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "Hmm."}]},
        {"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": '{"x": 1}'},
    ],
    "usage": {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_tokens_details": {"cached_tokens": 4},
        "output_tokens_details": {"reasoning_tokens": 2},
    },
    "x_nanogpt_pricing": {"cost": 0.002, "currency": "USD"},
}  # fmt: skip


def test_a_response_becomes_an_ai_message() -> None:
    result = chat_result(turn_from_response(ResponseObject.model_validate(RESPONSE)))
    message = result.generations[0].message
    assert isinstance(message, AIMessage)
    assert message.content == "Hi" and message.id == "resp_abc"
    assert message.additional_kwargs == {"reasoning_content": "Hmm."}
    assert message.tool_calls == [{"name": "f", "args": {"x": 1}, "id": "call_1", "type": "tool_call"}]
    assert message.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_token_details": {"cache_read": 4, "cache_creation": 0},
        "output_token_details": {"reasoning": 2},
    }
    meta = message.response_metadata
    assert (meta["id"], meta["model_name"], meta["finish_reason"], meta["cost"]) == (
        "resp_abc",
        "openai/o3",
        "tool_calls",
        0.002,
    )
    assert result.generations[0].generation_info == {"finish_reason": "tool_calls"}
    assert result.llm_output is not None and result.llm_output["id"] == "resp_abc"


def test_stream_events_become_chunks() -> None:
    events = [
        {"type": "response.created", "response": {**RESPONSE, "status": "in_progress", "output": [], "usage": None}},
        {"type": "response.reasoning.delta", "item_id": "rs_1", "delta": "Hmm."},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "H"},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "i"},
        {"type": "response.output_item.added", "output_index": 2, "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""}},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2, "delta": '{"x": 1}'},
        {"type": "response.completed", "response": RESPONSE},
    ]  # fmt: skip
    accumulator = ResponsesAccumulator("req_1")
    chunks = [
        message
        for event in events
        if (
            message := chunk_from_delta(
                accumulator.add(ResponseStreamEvent.model_validate(event)), "resp_abc"
            )
        )
        is not None
    ]
    full = chunks[0]
    for chunk in [*chunks[1:], last_chunk(accumulator.result()).message]:
        full = full + chunk  # type: ignore[assignment]
    assert full.content == "Hi"
    assert full.additional_kwargs["reasoning_content"] == "Hmm."
    assert full.tool_calls == [{"name": "f", "args": {"x": 1}, "id": "call_1", "type": "tool_call"}]  # type: ignore[attr-defined]
    assert full.response_metadata["id"] == "resp_abc" and full.response_metadata["request_id"] == "req_1"
    assert full.usage_metadata is not None and full.usage_metadata["total_tokens"] == 15


# -- TEE metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["verified", "failed", "unavailable"])
def test_tee_result_is_a_plain_dict_and_raises_only_on_failed(status: str) -> None:
    verification = TEEVerification(status=status, reason="why", request_id="chatcmpl-1")  # type: ignore[arg-type]
    message = AIMessage("hi")
    ChatNanoGPT._with_tee(message, verification, raise_on_failure=False)
    assert message.response_metadata["tee_verification"]["status"] == status
    assert message.response_metadata["tee_verification"]["reason"] == "why"
    if status == "failed":
        with pytest.raises(TEEVerificationError, match="failed: why"):
            ChatNanoGPT._with_tee(AIMessage("x"), verification, raise_on_failure=True)
    else:
        ChatNanoGPT._with_tee(AIMessage("x"), verification, raise_on_failure=True)
