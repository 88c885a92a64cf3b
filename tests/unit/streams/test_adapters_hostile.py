"""What a ChatNanoGPT / NanoGPTLLM user gets from hostile or unusual servers (raw sockets).

Issue 12 items 2, 7, 8, 10, 12 and issue 13 items 2 and 12, through both adapters, streamed and not.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock

from nanogpt_integrations.core import EventTooLargeError, StreamDeadlineError, StreamError
from nanogpt_integrations.langchain import get_nanogpt_callback
from tests.unit.streams.conftest import (
    DONE,
    HostileServer,
    chat_model,
    chunk,
    completion,
    frame,
    llama_llm,
    with_limits,
)

USER = [ChatMessage(role="user", content="hi")]


# -- what each adapter hands its user --------------------------------------------------------------


def lc_stream(server: HostileServer, **limits: Any) -> tuple[list[AIMessageChunk], Exception | None]:
    model = chat_model(server)
    if limits:
        with_limits(model, **limits)
    got: list[AIMessageChunk] = []
    try:
        for piece in model.stream("hi"):
            got.append(piece)
    except Exception as exc:
        return got, exc
    return got, None


def lc_astream(server: HostileServer, **limits: Any) -> tuple[list[AIMessageChunk], Exception | None]:
    model = chat_model(server)
    if limits:
        with_limits(model, **limits)

    async def go() -> tuple[list[AIMessageChunk], Exception | None]:
        got: list[AIMessageChunk] = []
        try:
            async for piece in model.astream("hi"):
                got.append(piece)
        except Exception as exc:
            return got, exc
        return got, None

    return asyncio.run(asyncio.wait_for(go(), 30))


def li_stream(server: HostileServer, **limits: Any) -> tuple[list[Any], Exception | None]:
    llm = llama_llm(server)
    if limits:
        with_limits(llm, **limits)
    got: list[Any] = []
    try:
        for response in llm.stream_chat(USER):
            got.append(response)
    except Exception as exc:
        return got, exc
    return got, None


def li_astream(server: HostileServer, **limits: Any) -> tuple[list[Any], Exception | None]:
    llm = llama_llm(server)
    if limits:
        with_limits(llm, **limits)

    async def go() -> tuple[list[Any], Exception | None]:
        got: list[Any] = []
        try:
            async for response in await llm.astream_chat(USER):
                got.append(response)
        except Exception as exc:
            return got, exc
        return got, None

    return asyncio.run(asyncio.wait_for(go(), 30))


def lc_text(chunks: list[AIMessageChunk]) -> list[str]:
    return [c.content for c in chunks if c.content]  # type: ignore[misc]


def li_text(responses: list[Any]) -> list[str]:
    return [r.delta for r in responses if r.delta]


LC = pytest.mark.parametrize("stream", [lc_stream, lc_astream], ids=["stream", "astream"])
LI = pytest.mark.parametrize("stream", [li_stream, li_astream], ids=["stream_chat", "astream_chat"])


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for piece in chunks[1:]:
        total = total + piece  # type: ignore[assignment]
    return total


# -- 12.2: two streamed tool calls at the same index with different ids -----------------------------

SHARED_INDEX = [
    frame(
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ],
            }
        )
    ),
    frame(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]})),
    frame(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]})),
    frame(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": ""},
                    }
                ]
            }
        )
    ),
    frame(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"tz":"UTC"}'}}]})),
    frame(chunk({}, finish="tool_calls")),
    DONE,
]
EXPECTED_CALLS = [("call_a", "get_weather", {"city": "Paris"}), ("call_b", "get_time", {"tz": "UTC"})]


@LC
def test_langchain_two_calls_sharing_an_index_stay_two(stream: Any, hostile: Any) -> None:
    chunks, error = stream(hostile(lambda conn: conn.sse(*SHARED_INDEX)))
    assert error is None
    message = merged(chunks)
    assert [(c["id"], c["name"], c["args"]) for c in message.tool_calls] == EXPECTED_CALLS
    assert message.invalid_tool_calls == []


def test_langchain_streaming_invoke_gets_both_calls(hostile: Any) -> None:
    model = chat_model(hostile(lambda conn: conn.sse(*SHARED_INDEX)), streaming=True)
    message = model.invoke("hi")
    assert [(c["id"], c["name"], c["args"]) for c in message.tool_calls] == EXPECTED_CALLS


@LI
def test_llama_index_two_calls_sharing_an_index_stay_two(stream: Any, hostile: Any) -> None:
    server = hostile(lambda conn: conn.sse(*SHARED_INDEX))
    responses, error = stream(server)
    assert error is None
    selections = llama_llm(server).get_tool_calls_from_response(responses[-1])
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections] == EXPECTED_CALLS


# -- 12.7 / 12.8 / 12.10: typed stream failures after what arrived was delivered ---------------------


def oversized(conn: Any) -> None:
    conn.sse(frame(chunk({"content": "a"})), 0.05, b"data: " + b"B" * 50_000 + b"\n\n", DONE)


def keep_alive_forever(conn: Any) -> None:
    conn.sse(frame(chunk({"content": "a"})))
    conn.keep_alive(every=0.05)


def error_in_the_same_read(conn: Any) -> None:
    error = {"error": {"status": 502, "message": "upstream died", "code": "all_fallbacks_failed"}}
    conn.sse(frame(chunk({"content": "a"})) + frame(chunk({"content": "b"})) + frame(error) + DONE)


FAILURES = pytest.mark.parametrize(
    ("handler", "limits", "expected", "texts"),
    [
        (oversized, {"max_event_bytes": 10_000}, EventTooLargeError, ["a"]),
        (keep_alive_forever, {"stream_deadline": 0.4}, StreamDeadlineError, ["a"]),
        (error_in_the_same_read, {}, StreamError, ["a", "b"]),
    ],
    ids=["event-cap", "deadline", "error-frame-same-read"],
)


@LC
@FAILURES
def test_langchain_stream_failures(
    stream: Any, handler: Any, limits: dict[str, Any], expected: type, texts: list[str], hostile: Any
) -> None:
    chunks, error = stream(hostile(handler), **limits)
    assert lc_text(chunks) == texts
    assert isinstance(error, expected)
    assert error.request_id == "req_hostile"


@LI
@FAILURES
def test_llama_index_stream_failures(
    stream: Any, handler: Any, limits: dict[str, Any], expected: type, texts: list[str], hostile: Any
) -> None:
    responses, error = stream(hostile(handler), **limits)
    assert li_text(responses) == texts
    assert isinstance(error, expected)
    assert error.request_id == "req_hostile"


def test_error_frame_status_reaches_the_langchain_user(hostile: Any) -> None:
    _, error = lc_stream(hostile(error_in_the_same_read))
    assert isinstance(error, StreamError)
    assert (error.status, error.code, error.message) == (502, "all_fallbacks_failed", "upstream died")


# -- 12.10 / 12.12: numbers that are not counts or amounts ------------------------------------------

HUGE_USAGE = {"prompt_tokens": 1e400, "completion_tokens": 5, "total_tokens": -3}


def huge_usage_stream(conn: Any) -> None:
    # json.dumps cannot write 1e400: write the frame by hand, as a hostile server would.
    usage = b'"usage": {"prompt_tokens": 1e400, "completion_tokens": 5, "total_tokens": -3}'
    last = json.dumps(chunk({}, finish="stop")).encode()[:-1] + b", " + usage + b"}"
    conn.sse(frame(chunk({"content": "hi"})), b"data: " + last + b"\n\n", DONE)


def test_langchain_usage_1e400_is_ignored_not_an_overflow(
    hostile: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "nanogpt_integrations")
    chunks, error = lc_stream(hostile(huge_usage_stream))
    assert error is None
    usage = merged(chunks).usage_metadata
    assert usage is not None
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (0, 5, 5)
    assert "usage.prompt_tokens=inf" in caplog.text and "usage.total_tokens=-3" in caplog.text


def test_llama_index_usage_1e400_is_ignored_not_an_overflow(hostile: Any) -> None:
    responses, error = li_stream(hostile(huge_usage_stream))
    assert error is None
    last = responses[-1].additional_kwargs
    assert (last["prompt_tokens"], last["completion_tokens"], last["total_tokens"]) == (0, 5, 5)


def negative_and_string_money(conn: Any) -> None:
    conn.json(
        completion(
            {"content": "ok"},
            usage={"prompt_tokens": -10, "completion_tokens": 4, "total_tokens": 4},
            x_nanogpt_pricing={"cost": "0.01", "amount": -5, "currency": "USD"},
        )
    )


def test_langchain_negative_counts_ignored_string_cost_counted(hostile: Any) -> None:
    model = chat_model(hostile(negative_and_string_money))
    with get_nanogpt_callback() as cb:
        message = model.invoke("hi")
    assert message.usage_metadata is not None and message.usage_metadata["input_tokens"] == 0
    assert message.response_metadata["cost"] == 0.01
    assert cb.total_cost == pytest.approx(0.01)
    assert cb.prompt_tokens == 0 and cb.completion_tokens == 4


def test_llama_index_negative_counts_ignored_string_cost_counted(hostile: Any) -> None:
    response = llama_llm(hostile(negative_and_string_money)).chat(USER)
    kwargs = response.additional_kwargs
    assert (kwargs["prompt_tokens"], kwargs["completion_tokens"], kwargs["cost"]) == (0, 4, 0.01)


def test_web_search_string_cost_and_non_string_fields(hostile: Any) -> None:
    from llama_index.core.schema import QueryBundle

    from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever as LCRetriever
    from nanogpt_integrations.llama_index import NanoGPTWebSearchRetriever as LIRetriever

    body = {
        "data": [
            {"type": "text", "title": {"x": 1}, "url": 12345, "content": "first", "date": 2024},
            {"type": "text", "title": "Good", "url": "https://example.com", "content": "second"},
        ],
        "metadata": {"cost": "0.01", "provider": "linkup"},
    }
    server = hostile(lambda conn: conn.json(body))
    with get_nanogpt_callback() as cb:
        docs = LCRetriever(api_key="k", base_url=server.base_url, max_retries=0).invoke("q")
    assert cb.web_search_cost == pytest.approx(0.01)
    assert not {"title", "url", "source", "date"} & set(docs[0].metadata)
    assert (docs[1].metadata["title"], docs[1].metadata["url"]) == ("Good", "https://example.com")
    nodes = LIRetriever(api_key="k", base_url=server.base_url, max_retries=0).retrieve(QueryBundle("q"))
    assert not {"title", "url", "source", "date"} & set(nodes[0].node.metadata)
    assert nodes[0].node.metadata["cost"] == 0.01


# -- 12.12: tool calls that cannot be run ----------------------------------------------------------

NAMELESS_JSON = completion(
    {
        "content": None,
        "tool_calls": [{"id": "call_x", "type": "function", "function": {"arguments": '{"q": 1}'}}],
    },
    finish="tool_calls",
)
DUPLICATE_JSON = completion(
    {
        "content": None,
        "tool_calls": [
            {"id": "call_d", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
            {"id": "call_d", "type": "function", "function": {"name": "g", "arguments": '{"b": 2}'}},
        ],
    },
    finish="tool_calls",
)
NAMELESS_STREAM = [
    frame(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "call_x", "type": "function", "function": {"arguments": '{"q"'}}
                ]
            }
        )
    ),
    frame(chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]})),
    frame(chunk({}, finish="tool_calls")),
    DONE,
]


def test_langchain_nameless_call_is_invalid(hostile: Any) -> None:
    message = chat_model(hostile(lambda conn: conn.json(NAMELESS_JSON))).invoke("hi")
    assert message.tool_calls == []
    (invalid,) = message.invalid_tool_calls
    assert (invalid["id"], invalid["name"], invalid["args"]) == ("call_x", None, '{"q": 1}')
    assert "no function name" in (invalid["error"] or "")


@LC
def test_langchain_streamed_nameless_call_is_not_a_call(stream: Any, hostile: Any) -> None:
    chunks, error = stream(hostile(lambda conn: conn.sse(*NAMELESS_STREAM)))
    assert error is None
    message = merged(chunks)
    assert message.tool_calls == [] and message.tool_call_chunks == []
    (invalid,) = message.response_metadata["invalid_tool_calls"]
    assert (invalid["id"], invalid["args"]) == ("call_x", '{"q": 1}')
    assert "no function name" in invalid["error"]


def test_langchain_duplicate_id_is_not_kept_silently(hostile: Any) -> None:
    message = chat_model(hostile(lambda conn: conn.json(DUPLICATE_JSON))).invoke("hi")
    assert [(c["id"], c["name"]) for c in message.tool_calls] == [("call_d", "f")]
    (invalid,) = message.invalid_tool_calls
    assert (invalid["name"], invalid["args"]) == ("g", '{"b": 2}')
    assert "duplicate tool call id" in (invalid["error"] or "")


def test_llama_index_nameless_and_duplicate_calls_are_invalid(hostile: Any) -> None:
    for body, valid, error in (
        (NAMELESS_JSON, [], "no function name"),
        (DUPLICATE_JSON, [("call_d", "f")], "duplicate tool call id"),
    ):
        server = hostile(lambda conn, body=body: conn.json(body))
        llm = llama_llm(server)
        response = llm.chat(USER)
        blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        assert [(b.tool_call_id, b.tool_name) for b in blocks] == valid
        selections = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        assert [(s.tool_id, s.tool_name) for s in selections] == valid
        (invalid,) = response.message.additional_kwargs["invalid_tool_calls"]
        assert error in invalid["error"]


@LI
def test_llama_index_streamed_nameless_call_is_not_a_call(stream: Any, hostile: Any) -> None:
    server = hostile(lambda conn: conn.sse(*NAMELESS_STREAM))
    responses, error = stream(server)
    assert error is None
    last = responses[-1]
    assert not [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert llama_llm(server).get_tool_calls_from_response(last, error_on_no_tool_call=False) == []
    (invalid,) = last.message.additional_kwargs["invalid_tool_calls"]
    assert (invalid["id"], invalid["arguments"]) == ("call_x", '{"q": 1}')


# -- 13.2: usage from x_nanogpt_pricing when the reply has no usage ---------------------------------

PRICING = {
    "cost": 0.00042,
    "inputTokens": 12,
    "outputTokens": 7,
    "cacheReadInputTokens": 4,
    "paymentSource": "USD",
}
NO_USAGE_STREAM = [
    frame(chunk({"role": "assistant", "content": "Hel"})),
    frame(chunk({"content": "lo"})),
    frame(chunk({}, finish="stop", x_nanogpt_pricing=PRICING)),
    DONE,
]


@LC
def test_langchain_stream_usage_falls_back_to_pricing(stream: Any, hostile: Any) -> None:
    chunks, error = stream(hostile(lambda conn: conn.sse(*NO_USAGE_STREAM)))
    assert error is None
    message = merged(chunks)
    assert message.content == "Hello"
    assert message.usage_metadata is not None
    assert (message.usage_metadata["input_tokens"], message.usage_metadata["output_tokens"]) == (12, 7)
    assert message.usage_metadata["input_token_details"]["cache_read"] == 4
    assert message.response_metadata["usage_source"] == "x_nanogpt_pricing"
    assert message.response_metadata["cost"] == 0.00042


def test_langchain_invoke_usage_falls_back_to_pricing(hostile: Any) -> None:
    body = completion({"content": "Hello"}, x_nanogpt_pricing=PRICING)
    message = chat_model(hostile(lambda conn: conn.json(body))).invoke("hi")
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] == 19
    assert message.response_metadata["usage_source"] == "x_nanogpt_pricing"


def test_a_real_usage_object_wins_and_is_not_flagged(hostile: Any) -> None:
    usage = {"prompt_tokens": 30, "completion_tokens": 2, "total_tokens": 32}
    body = completion({"content": "Hello"}, usage=usage, x_nanogpt_pricing=PRICING)
    message = chat_model(hostile(lambda conn: conn.json(body))).invoke("hi")
    assert message.usage_metadata is not None and message.usage_metadata["input_tokens"] == 30
    assert "usage_source" not in message.response_metadata


@LI
def test_llama_index_stream_usage_falls_back_to_pricing(stream: Any, hostile: Any) -> None:
    responses, error = stream(hostile(lambda conn: conn.sse(*NO_USAGE_STREAM)))
    assert error is None
    kwargs = responses[-1].additional_kwargs
    assert (kwargs["prompt_tokens"], kwargs["completion_tokens"], kwargs["cached_tokens"]) == (12, 7, 4)
    assert kwargs["usage_source"] == "x_nanogpt_pricing"


def test_llama_index_chat_usage_falls_back_to_pricing(hostile: Any) -> None:
    body = completion({"content": "Hello"}, x_nanogpt_pricing=PRICING)
    kwargs = llama_llm(hostile(lambda conn: conn.json(body))).chat(USER).additional_kwargs
    assert (kwargs["prompt_tokens"], kwargs["completion_tokens"], kwargs["usage_source"]) == (
        12,
        7,
        "x_nanogpt_pricing",
    )


# -- 13.12: content as a list of parts in stream deltas (Mistral thinking models) -------------------

PARTS_STREAM = [
    frame(chunk({"role": "assistant", "content": ""})),
    frame(chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "Let me"}]}]})),
    frame(chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": " think."}]}]})),
    frame(chunk({"content": [{"type": "text", "text": "Look "}]})),
    frame(chunk({"content": "both ways."})),
    frame(chunk({}, finish="stop")),
    DONE,
]


@LC
def test_langchain_content_parts_in_a_stream(stream: Any, hostile: Any) -> None:
    chunks, error = stream(hostile(lambda conn: conn.sse(*PARTS_STREAM)))
    assert error is None
    message = merged(chunks)
    assert message.content == "Look both ways."
    assert message.additional_kwargs["reasoning_content"] == "Let me think."


@LI
def test_llama_index_content_parts_in_a_stream(stream: Any, hostile: Any) -> None:
    responses, error = stream(hostile(lambda conn: conn.sse(*PARTS_STREAM)))
    assert error is None
    message = responses[-1].message
    assert message.content == "Look both ways."
    (thinking,) = [b for b in message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking.content == "Let me think."
