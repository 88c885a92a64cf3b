"""Responses API types, validation, chat→Responses mapping and the Responses stream accumulator."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    ResponseEventStream,
    ResponseObject,
    ResponsesAccumulator,
    ResponsesRequest,
    ResponseStreamEvent,
    Stream,
    StreamError,
    responses_body_from_chat,
    turn_from_response,
)
from nanogpt_integrations.core.responses import (
    FunctionCallItem,
    InputImage,
    InputMessage,
    InputText,
    input_from_chat_messages,
)

# -- request ---------------------------------------------------------------------------------------


def test_typed_request_round_trips_to_the_documented_wire_shape() -> None:
    request = ResponsesRequest(
        model="openai/gpt-5",
        instructions="Be brief.",
        input=[
            InputMessage(
                role="user",
                content=[
                    InputText(text="What is this?"),
                    InputImage(image_url="https://x/y.png", detail="low"),
                ],
            ),
            FunctionCallItem(call_id="call_1", name="lookup", arguments={"q": "x"}),
            {"type": "function_call_output", "call_id": "call_1", "output": "42"},
        ],
        tools=[{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
        tool_choice={"type": "function", "name": "lookup"},
        reasoning={"effort": "low", "summary": "auto"},
        text={"format": {"type": "json_schema", "name": "Answer", "schema": {"type": "object"}}},
        max_output_tokens=16,
        metadata={"k": "v"},
        provider={"order": ["a"]},  # NanoGPT extensions pass through
    )
    wire = request.to_wire()
    assert wire["input"][0] == {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
        ],
    }
    assert wire["input"][1] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "lookup",
        "arguments": '{"q": "x"}',
    }
    assert wire["input"][2] == {"type": "function_call_output", "call_id": "call_1", "output": "42"}
    assert wire["reasoning"] == {"effort": "low", "summary": "auto"}
    assert wire["text"]["format"]["name"] == "Answer"
    assert wire["provider"] == {"order": ["a"]}
    assert "stream" not in wire
    assert request.to_wire(stream=True)["stream"] is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_output_tokens": 15}, "at least 16"),
        ({"background": True, "stream": True}, "background=True cannot be combined with streaming"),
        ({"previous_response_id": "resp_1", "store": False}, "previous_response_id needs stored"),
        ({"previous_response_id": "resp_1", "retention_days": 0}, "previous_response_id needs stored"),
        ({"background": True, "store": False}, "background=True needs a stored"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "at most 16 keys"),
        ({"metadata": {"k" * 65: "v"}}, "longer than 64"),
        ({"metadata": {"k": "v" * 513}}, "longer than 512"),
        ({"text": {"format": {"type": "json_schema", "schema": {}}}}, "needs a 'name'"),
        ({"input": None}, "input is required"),
    ],
)
def test_bad_requests_are_value_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResponsesRequest.model_validate({"model": "m", "input": "hi", **fields})


def test_background_request_cannot_be_streamed() -> None:
    request = ResponsesRequest(model="m", input="hi", background=True)
    assert request.to_wire()["background"] is True
    with pytest.raises(ValueError, match="background"):
        request.to_wire(stream=True)


def test_previous_response_id_alone_is_enough_input() -> None:
    assert ResponsesRequest(model="m", previous_response_id="resp_1").to_wire() == {
        "model": "m",
        "previous_response_id": "resp_1",
    }


def test_chat_body_maps_onto_a_responses_body() -> None:
    chat = {
        "model": "openai/gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "sys"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "data:x", "detail": "high"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
                "reasoning": "dropped",
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
        "max_tokens": 64,
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": [
            {
                "type": "function",
                "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "P", "schema": {"type": "object"}},
        },
        "reasoning_effort": "high",
        "billing_mode": "paygo",
    }
    body = responses_body_from_chat(chat)
    assert body == {
        "model": "openai/gpt-4o-mini",
        "input": [
            {"type": "message", "role": "system", "content": "sys"},
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "look"},
                    {"type": "input_image", "image_url": "data:x", "detail": "high"},
                ],
            },
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        ],
        "max_output_tokens": 64,
        "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "text": {"format": {"type": "json_schema", "name": "P", "schema": {"type": "object"}}},
        "reasoning": {"effort": "high"},
        "billing_mode": "paygo",
    }


def test_chat_mapping_validates_and_rejects_unmappable_parts() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        responses_body_from_chat(
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 8}
        )
    with pytest.raises(ValueError, match="input_audio"):
        input_from_chat_messages([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}])


# -- response --------------------------------------------------------------------------------------

RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1700000000,
    "model": "openai/o3",
    "status": "completed",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "S."}],
            "content": [{"type": "reasoning_text", "text": "Think."}],
        },
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"query": "q"}},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": "Hi", "annotations": [{"type": "url_citation", "url": "u"}]}
            ],
        },
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": {"a": 1}},
    ],
    "usage": {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_tokens_details": {"cached_tokens": 4},
        "output_tokens_details": {"reasoning_tokens": 3},
    },
    "x_nanogpt_pricing": {"cost": 0.002, "currency": "USD"},
    "error": None,
    "incomplete_details": None,
}


def test_response_object_and_turn() -> None:
    response = ResponseObject.model_validate(RESPONSE)
    assert response.output_text == "Hi"  # computed when the server omits output_text
    assert response.output[1].model_extra == {"action": {"query": "q"}}  # unknown item kept
    turn = turn_from_response(response)
    assert (turn.content, turn.reasoning, turn.finish_reason) == ("Hi", "Think.", "tool_calls")
    assert [(c.id, c.name, c.arguments) for c in turn.tool_calls] == [("call_1", "f", '{"a": 1}')]
    assert turn.usage is not None
    assert (turn.usage.input_tokens, turn.usage.cache_read_tokens, turn.usage.reasoning_tokens) == (10, 4, 3)
    assert turn.cost == 0.002
    assert turn.annotations == [{"type": "url_citation", "url": "u"}]


def test_pricing_inside_usage_and_incomplete_status() -> None:
    raw = {
        **RESPONSE,
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "output": RESPONSE["output"][2:3],
        "x_nanogpt_pricing": None,
        "usage": {"input_tokens": 1, "output_tokens": 2, "x_nanogpt_pricing": {"amount": 0.5}},
        "output_text": "server text",
    }
    response = ResponseObject.model_validate(raw)
    assert response.pricing is not None and response.pricing.charged == 0.5
    turn = turn_from_response(response)
    assert (turn.content, turn.finish_reason) == ("server text", "length")
    assert response.done


# -- stream accumulator ----------------------------------------------------------------------------


def events(*raw: dict[str, Any]) -> list[ResponseStreamEvent]:
    return [ResponseStreamEvent.model_validate(e) for e in raw]


def scripted() -> list[ResponseStreamEvent]:
    final = {**RESPONSE, "output": RESPONSE["output"][2:]}
    return events(
        {
            "type": "response.created",
            "response": {"id": "resp_1", "model": "openai/o3", "status": "in_progress", "output": []},
        },
        {"type": "response.in_progress", "response": {"id": "resp_1", "status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": "rs_1"},
        },
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "delta": "Sum."},
        {"type": "response.reasoning.delta", "item_id": "rs_1", "delta": "Thi"},
        {"type": "response.reasoning.delta", "item_id": "rs_1", "delta": "nk."},
        {"type": "response.output_item.added", "output_index": 1, "item": {"type": "message", "id": "msg_1"}},
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "part": {"type": "output_text", "text": ""},
        },
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "H"},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "i"},
        {"type": "response.output_text.done", "item_id": "msg_1", "text": "Hi"},
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "f",
                "arguments": "",
            },
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 2,
            "delta": '{"a":',
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 2,
            "delta": " 1}",
        },
        {"type": "response.function_call_arguments.done", "item_id": "fc_1", "arguments": '{"a": 1}'},
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "f",
                "arguments": '{"a": 1}',
            },
        },
        {"type": "response.completed", "response": final},
    )


def test_accumulator_over_a_scripted_sequence() -> None:
    acc = ResponsesAccumulator("req_1")
    deltas = [acc.add(e) for e in scripted()]
    assert "".join(d.content for d in deltas) == "Hi"
    # the summary shows only while no raw reasoning has arrived
    assert [d.reasoning for d in deltas if d.reasoning] == ["Sum.", "Thi", "nk."]
    fragments = [f for d in deltas for f in d.tool_calls]
    assert (fragments[0].id, fragments[0].name) == ("call_1", "f")
    assert "".join(f.arguments for f in fragments) == '{"a": 1}'  # the .done event does not repeat them
    assert deltas[-1].finish_reason == "tool_calls"
    assert deltas[-1].usage is not None and deltas[-1].usage.total_tokens == 15
    assert deltas[-1].pricing is not None and deltas[-1].pricing.charged == 0.002
    turn = acc.result()
    assert (turn.id, turn.model, turn.content, turn.reasoning) == ("resp_1", "openai/o3", "Hi", "Think.")
    assert [(c.id, c.name, c.arguments) for c in turn.tool_calls] == [("call_1", "f", '{"a": 1}')]
    assert turn.request_id == "req_1"


def test_accumulator_fills_from_terminal_response_when_nothing_streamed() -> None:
    acc = ResponsesAccumulator()
    acc.add(events({"type": "response.completed", "response": RESPONSE})[0])
    turn = acc.result()
    assert (turn.content, turn.reasoning, turn.tool_calls[0].name) == ("Hi", "Think.", "f")


def test_summary_is_the_fallback_reasoning() -> None:
    acc = ResponsesAccumulator()
    for event in events(
        {"type": "response.reasoning_summary_text.delta", "delta": "Short."},
        {"type": "response.completed", "response": {"id": "r", "status": "completed", "output": []}},
    ):
        acc.add(event)
    assert acc.result().reasoning == "Short."


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (
            {
                "type": "response.failed",
                "response": {"status": "failed", "error": {"code": "server_error", "message": "boom"}},
            },
            "server_error",
        ),
        ({"type": "error", "code": "rate_limit_exceeded", "message": "slow down"}, "rate_limit_exceeded"),
    ],
)
def test_failed_and_error_events_raise(event: dict[str, Any], code: str) -> None:
    with pytest.raises(StreamError) as info:
        ResponsesAccumulator().add(ResponseStreamEvent.model_validate(event))
    assert info.value.code == code


# -- event stream over the shared SSE machinery ----------------------------------------------------


def sse(*frames: Any, done: bool = True) -> bytes:
    body = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames)
    return body + (b"data: [DONE]\n\n" if done else b"")


def event_stream(body: bytes) -> ResponseEventStream:
    response = httpx.Response(200, content=body, headers={"x-request-id": "req_9"})
    return ResponseEventStream(Stream(response, ResponseStreamEvent))


def test_event_stream_ends_at_terminal_event_with_or_without_done() -> None:
    frames = [
        {"type": "response.output_text.delta", "delta": "a"},
        {"type": "response.completed", "response": {"status": "completed"}},
    ]
    for done in (True, False):
        types = [e.type for e in event_stream(sse(*frames, done=done))]
        assert types == ["response.output_text.delta", "response.completed"]


def test_event_stream_without_terminal_event_raises() -> None:
    with pytest.raises(StreamError, match=r"without response\.completed") as info:
        list(event_stream(sse({"type": "response.output_text.delta", "delta": "a"})))
    assert info.value.request_id == "req_9"
    with pytest.raises(StreamError, match="before \\[DONE\\]"):
        list(event_stream(sse({"type": "response.output_text.delta", "delta": "a"}, done=False)))


def test_event_stream_raises_on_failed_and_mid_stream_error_frames() -> None:
    failed = {
        "type": "response.failed",
        "response": {"status": "failed", "error": {"code": "x", "message": "bad"}},
    }
    with pytest.raises(StreamError, match="bad"):
        list(event_stream(sse({"type": "response.created"}, failed)))
    chat_style = {"error": {"status": 503, "message": "Service unavailable", "code": "service_unavailable"}}
    with pytest.raises(StreamError) as info:
        list(event_stream(sse({"type": "response.created"}, chat_style)))
    assert info.value.status == 503


@pytest.mark.parametrize("key,value", [("stop", ["\n"]), ("logit_bias", {"1": 2}), ("n", 2)])
def test_chat_only_parameters_are_refused_not_dropped(key: str, value: object) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], key: value}
    with pytest.raises(ValueError, match=key):
        responses_body_from_chat(body)


def test_reasoning_exclude_is_kept_for_responses() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "reasoning": {"exclude": True}}
    assert responses_body_from_chat(body)["reasoning"] == {"exclude": True}


def test_responses_usage_falls_back_to_pricing_counts() -> None:
    """A Responses reply without usage reports the counts of x_nanogpt_pricing, flagged."""
    from nanogpt_integrations.core import ResponseObject, turn_from_response

    response = ResponseObject.model_validate(
        {
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "output": [
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]}
            ],
            "x_nanogpt_pricing": {"cost": 0.001, "inputTokens": 12, "outputTokens": 3},
        }
    )
    turn = turn_from_response(response)
    assert turn.usage is not None
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (12, 3)
    assert turn.usage_source == "x_nanogpt_pricing"
