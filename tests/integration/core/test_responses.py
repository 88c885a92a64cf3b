"""The Responses API through both core clients against the emulator: wire payloads and results."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    AsyncNanoGPTClient,
    NanoGPTClient,
    NotFoundError,
    ResponsesAccumulator,
    ResponseTimeoutError,
    StreamError,
    turn_from_response,
)
from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

KEY = "test-key-for-the-emulator"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def client(emulator: NanoGPTEmulator) -> NanoGPTClient:
    return NanoGPTClient(api_key=KEY, base_url=emulator.base_url, max_retries=0)


def test_create_sends_the_typed_body_and_reads_the_response(
    client: NanoGPTClient, emulator: NanoGPTEmulator
) -> None:
    response = client.responses_create(
        {
            "model": "openai/o3",
            "instructions": "Be brief.",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Hello there"}],
                }
            ],
            "reasoning": {"effort": "low", "summary": "auto"},
            "max_output_tokens": 64,
            "metadata": {"run": "1"},
        }
    )
    sent = emulator.last_request("/responses")
    assert (sent.method, sent.path) == ("POST", "/api/v1/responses")
    assert sent.body == {
        "model": "openai/o3",
        "instructions": "Be brief.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello there"}]}
        ],
        "reasoning": {"effort": "low", "summary": "auto"},
        "max_output_tokens": 64,
        "metadata": {"run": "1"},
    }
    assert response.id is not None and response.id.startswith("resp_")
    assert (response.status, response.output_text) == ("completed", "Hello! You said: Hello there")
    assert response.request_id is not None
    reasoning = response.output[0]
    assert (
        reasoning.type == "reasoning" and reasoning.summary and reasoning.summary[0]["type"] == "summary_text"
    )
    turn = turn_from_response(response)
    assert turn.reasoning.startswith("Let me think about this: Hello there")
    assert turn.usage is not None and turn.usage.reasoning_tokens > 0
    assert turn.usage.total_tokens == turn.usage.input_tokens + turn.usage.output_tokens
    assert turn.cost is not None and turn.cost > 0


def test_tools_and_json_schema_format(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    called = client.responses_create(
        {
            "model": "openai/gpt-4o-mini",
            "input": "What is the weather in Paris?",
            "tools": [WEATHER],
            "tool_choice": "auto",
        }
    )
    assert emulator.last_request("/responses").body["tools"] == [WEATHER]
    call = called.output[0]
    assert (call.type, call.name, call.status) == ("function_call", "get_weather", "completed")
    assert json.loads(call.arguments or "")["city"] == "Paris"
    assert turn_from_response(called).finish_reason == "tool_calls"

    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    structured = client.responses_create(
        {
            "model": "openai/gpt-4o-mini",
            "input": "Ada is 36",
            "text": {"format": {"type": "json_schema", "name": "Person", "schema": schema, "strict": True}},
        }
    )
    value = json.loads(structured.output_text)
    assert set(value) == {"name", "age"} and isinstance(value["age"], int)


def test_previous_response_id_threads_the_conversation(
    client: NanoGPTClient, emulator: NanoGPTEmulator
) -> None:
    first = client.responses_create(
        {"model": "openai/gpt-4o-mini", "input": "Use the tool for Paris", "tools": [WEATHER]}
    )
    call = first.output[0]
    assert call.call_id is not None
    second = client.responses_create(
        {
            "model": "openai/gpt-4o-mini",
            "previous_response_id": first.id,
            "input": [{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
        }
    )
    assert emulator.last_request("/responses").body["previous_response_id"] == first.id
    assert second.output_text == "The result is sunny."
    assert second.previous_response_id == first.id
    # The new response sees the earlier input and output: more input tokens than the same input alone.
    alone = client.responses_create({"model": "openai/gpt-4o-mini", "input": "sunny"})
    assert second.usage is not None and alone.usage is not None
    assert (second.usage.input_tokens or 0) > (alone.usage.input_tokens or 0) + 5


def test_store_false_is_not_retrievable_and_bad_combinations_never_leave(
    client: NanoGPTClient, emulator: NanoGPTEmulator
) -> None:
    unstored = client.responses_create({"model": "openai/gpt-4o-mini", "input": "x", "store": False})
    with pytest.raises(NotFoundError) as info:
        client.responses_get(unstored.id or "")
    assert info.value.code == "response_not_found"
    emulator.clear()
    bad: list[dict[str, Any]] = [
        {"model": "openai/gpt-4o-mini", "input": "x", "previous_response_id": unstored.id, "store": False},
        {"model": "openai/gpt-4o-mini", "input": "x", "max_output_tokens": 15},
        {"model": "openai/gpt-4o-mini", "input": "x", "background": True, "retention_days": 0},
    ]
    for request in bad:
        with pytest.raises(ValueError):
            client.responses_create(request)
    with pytest.raises(ValueError, match="background"):
        client.responses_stream({"model": "openai/gpt-4o-mini", "input": "x", "background": True})
    assert emulator.requests == []


def test_unknown_previous_response_is_a_server_404(client: NanoGPTClient) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        client.responses_create({"model": "openai/gpt-4o-mini", "input": "x", "previous_response_id": "resp_missing"})


def test_background_polls_until_completed(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    emulator.responses_background_polls = 3
    queued = client.responses_create(
        {"model": "openai/gpt-4o-mini", "input": "Later please", "background": True}
    )
    assert (queued.status, queued.output) == ("queued", [])
    done = client.responses_wait(queued.id or "", poll_interval=0.001, timeout=30)
    assert (done.status, done.output_text) == ("completed", "Hello! You said: Later please")
    polls = [r for r in emulator.requests if r.method == "GET"]
    assert [r.path for r in polls] == [f"/api/v1/responses/{queued.id}"] * 3


def test_background_wait_is_bounded(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    emulator.responses_background_polls = 10_000
    queued = client.responses_create({"model": "openai/gpt-4o-mini", "input": "never", "background": True})
    with pytest.raises(ResponseTimeoutError) as info:
        client.responses_wait(queued.id or "", poll_interval=0.001, timeout=0.05)
    assert info.value.last is not None and info.value.last.status == "in_progress"
    with pytest.raises(ValueError, match="must be > 0"):
        client.responses_wait(queued.id or "", timeout=0)


def test_delete(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    created = client.responses_create({"model": "openai/gpt-4o-mini", "input": "x"})
    assert client.responses_get(created.id or "").output_text == "Hello! You said: x"
    deleted = client.responses_delete(created.id or "")
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "response.deleted", True)
    assert emulator.last_request().method == "DELETE"
    with pytest.raises(NotFoundError):
        client.responses_get(created.id or "")
    with pytest.raises(NotFoundError):
        client.responses_delete(created.id or "")


def test_stream_events_in_order_with_usage_in_terminal_event(
    client: NanoGPTClient, emulator: NanoGPTEmulator
) -> None:
    emulator.script(ChatReply(content="Hi there", reasoning="Hmm.", chunk_size=3))
    with client.responses_stream({"model": "openai/o3", "input": "Hello"}) as stream:
        acc = ResponsesAccumulator(stream.request_id)
        received = []
        for event in stream:
            received.append(event)
            acc.add(event)
    assert emulator.last_request("/responses").body["stream"] is True
    types = [e.type for e in received]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types.count("response.reasoning.delta") == 2
    assert types.count("response.output_text.delta") == 3
    assert types[-1] == "response.completed"
    assert [e.sequence_number for e in received] == list(range(len(received)))
    assert received[-1].response is not None and received[-1].response.usage is not None
    turn = acc.result()
    assert (turn.content, turn.reasoning, turn.finish_reason) == ("Hi there", "Hmm.", "stop")
    assert turn.usage is not None and turn.usage.output_tokens > 0
    assert turn.cost is not None


def test_stream_event_order_for_a_text_reply(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="abcdef", chunk_size=3))
    types = [e.type for e in client.responses_stream({"model": "openai/gpt-4o-mini", "input": "x"})]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]


def test_streamed_function_call(client: NanoGPTClient) -> None:
    acc = ResponsesAccumulator()
    for event in client.responses_stream({"model": "openai/gpt-4o-mini", "input": "weather in Oslo?", "tools": [WEATHER]}):
        acc.add(event)
    turn = acc.result()
    assert [(c.name, json.loads(c.arguments)["city"]) for c in turn.tool_calls] == [("get_weather", "Oslo")]
    assert turn.tool_calls[0].id.startswith("call_")
    assert turn.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    "fault",
    [Fault.error_frame(after_chunks=3), Fault.eof_without_done(after_chunks=3), Fault.reset_mid_stream(3)],
)
def test_broken_streams_raise_stream_error(
    client: NanoGPTClient, emulator: NanoGPTEmulator, fault: Fault
) -> None:
    emulator.inject(fault, path="/responses")
    with pytest.raises(StreamError):
        list(client.responses_stream({"model": "openai/gpt-4o-mini", "input": "Hello"}))


def test_incomplete_status_maps_to_length(client: NanoGPTClient) -> None:
    response = client.responses_create({"model": "openai/gpt-4o-mini", "input": "word " * 40, "max_output_tokens": 16})
    assert response.status == "incomplete"
    assert response.incomplete_details == {"reason": "max_output_tokens"}
    assert turn_from_response(response).finish_reason == "length"


def test_endpoint_info_on_both_paths(emulator: NanoGPTEmulator) -> None:
    for url in (f"{emulator.url}/v1/responses", f"{emulator.base_url}/responses"):
        info = httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}).json()
        assert info["endpoint"] == "/api/v1/responses"


async def test_async_create_stream_background_and_delete(emulator: NanoGPTEmulator) -> None:
    async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        created = await client.responses_create({"model": "openai/gpt-4o-mini", "input": "async hi"})
        assert created.output_text == "Hello! You said: async hi"
        acc = ResponsesAccumulator()
        async with await client.responses_stream({"model": "openai/gpt-4o-mini", "input": "async stream"}) as stream:
            async for event in stream:
                acc.add(event)
        assert acc.result().content == "Hello! You said: async stream"
        queued = await client.responses_create({"model": "openai/gpt-4o-mini", "input": "bg", "background": True})
        done = await client.responses_wait(queued.id or "", poll_interval=0.001)
        assert done.status == "completed"
        assert (await client.responses_get(created.id or "")).id == created.id
        assert (await client.responses_delete(created.id or "")).deleted is True
        with pytest.raises(NotFoundError):
            await client.responses_get(created.id or "")
        emulator.responses_background_polls = 10_000
        slow = await client.responses_create({"model": "openai/gpt-4o-mini", "input": "bg", "background": True})
        with pytest.raises(ResponseTimeoutError):
            await client.responses_wait(slow.id or "", poll_interval=0.001, timeout=0.05)
        emulator.inject(Fault.eof_without_done(after_chunks=2), path="/responses")
        with pytest.raises(StreamError):
            async for _ in await client.responses_stream({"model": "openai/gpt-4o-mini", "input": "x"}):
                pass
