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
from nanogpt_integrations.core.tee import TEEVerification
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.langchain._payload import Request
from nanogpt_integrations.langchain._responses import chunk_from_delta
from nanogpt_integrations.langchain._responses_api import (
    CallMode,
    call_mode,
    chat_result,
    check_modes,
    last_chunk,
    previous_response,
    responses_request,
)
from nanogpt_integrations.langchain._tee import attach

TEE = "TEE/llama-3.3-70b-instruct"


# -- call modes -----------------------------------------------------------------------------------


def test_call_mode_pops_the_switches_and_falls_back_to_the_instance() -> None:
    kwargs: dict[str, Any] = {"use_responses_api": True, "temperature": 0.1, "tee_raise_on_failure": True}
    mode = call_mode(kwargs, model="m", defaults=CallMode(previous_response_id=False))
    assert mode == CallMode(responses=True, raise_on_failure=True)
    assert kwargs == {"temperature": 0.1}  # only body fields remain
    assert call_mode({}, model="m", defaults=CallMode(responses=True)) == CallMode(responses=True)
    assert call_mode({"use_responses_api": False}, model="m", defaults=CallMode(responses=True)) == CallMode()


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
        check_modes(mode, model)


def test_per_call_model_is_the_one_checked() -> None:
    with pytest.raises(ValueError, match="TEE/ model"):
        call_mode({"model": "openai/gpt-4o-mini"}, model=TEE, defaults=CallMode(verify_tee=True))
    assert call_mode({"model": "tee/other"}, model="x", defaults=CallMode(verify_tee=True)).verify_tee


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


def test_previous_response_finds_the_last_responses_reply() -> None:
    first = AIMessage("a", response_metadata={"id": "resp_1"})
    second = AIMessage("b", response_metadata={"id": "resp_2"})
    foreign = AIMessage("c", response_metadata={"id": "chatcmpl-3"})
    tail = [HumanMessage("q3"), foreign, ToolMessage("r", tool_call_id="x")]
    history = [SystemMessage("s"), HumanMessage("q1"), first, HumanMessage("q2"), second, *tail]
    assert previous_response(history) == ("resp_2", tail)
    assert previous_response([HumanMessage("q"), foreign]) == (None, [HumanMessage("q"), foreign])
    assert previous_response([]) == (None, [])
    assert previous_response([HumanMessage("q"), second]) == ("resp_2", [])


CHAT_BODY = {
    "model": "openai/gpt-4o-mini:online",
    "messages": [{"role": "user", "content": "hi"}],
    "max_tokens": 32,
    "response_format": {"type": "json_schema", "json_schema": {"name": "P", "schema": {"type": "object"}}},
    "reasoning_effort": "low",
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "stream_options": {"include_usage": True},
    "caching": True,
}


def test_responses_request_maps_the_chat_request() -> None:
    request = responses_request(Request(CHAT_BODY, {"X-Provider": "p"}), previous_id=None, thread=False)
    assert request.headers == {"X-Provider": "p"}
    assert request.body == {
        "model": "openai/gpt-4o-mini:online",
        "input": [{"type": "message", "role": "user", "content": "hi"}],
        "max_output_tokens": 32,
        "text": {"format": {"type": "json_schema", "name": "P", "schema": {"type": "object"}}},
        "reasoning": {"effort": "low"},
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "caching": True,  # NanoGPT extensions pass through
    }


def test_threading_sets_store_and_the_previous_id() -> None:
    chat = Request({"model": "m", "messages": [{"role": "user", "content": "hi"}]}, {})
    threaded = responses_request(chat, previous_id="resp_9", thread=True).body
    assert (threaded["previous_response_id"], threaded["store"]) == ("resp_9", True)
    first_turn = responses_request(chat, previous_id=None, thread=True).body
    assert first_turn["store"] is True and "previous_response_id" not in first_turn
    assert "store" not in responses_request(chat, previous_id=None, thread=False).body
    for bad in ({"store": False}, {"retention_days": 0}):
        with pytest.raises(ValueError, match="needs stored responses"):
            responses_request(Request({**chat.body, **bad}, {}), previous_id="resp_9", thread=True)


def test_bad_bodies_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        responses_request(Request({**CHAT_BODY, "max_tokens": 8}, {}), previous_id=None, thread=False)


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
def test_attach_puts_a_plain_dict_and_raises_only_on_failed(status: str) -> None:
    verification = TEEVerification(status=status, reason="why", request_id="chatcmpl-1")  # type: ignore[arg-type]
    metadata: dict[str, Any] = {}
    attach(metadata, verification, raise_on_failure=False)
    assert (
        metadata["tee_verification"]["status"] == status and metadata["tee_verification"]["reason"] == "why"
    )
    if status == "failed":
        with pytest.raises(TEEVerificationError, match="failed: why"):
            attach({}, verification, raise_on_failure=True)
    else:
        attach({}, verification, raise_on_failure=True)
