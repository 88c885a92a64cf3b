"""Core rules on odd wire values: counts, costs, content parts, tool-call resolution, search fields.

No server: the wire models, the accumulator and the search records take the bytes as a hostile or
unusual upstream sends them (issue 12 items 2, 10, 12; issue 13 items 2, 12).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from nanogpt_integrations.core import (
    ChatCompletion,
    ChatCompletionChunk,
    Pricing,
    StreamAccumulator,
    ToolCallFragment,
    Usage,
    WebSearchResponse,
    turn_from_completion,
)
from nanogpt_integrations.core.search_records import build_search_request, search_records


def chunk(
    delta: dict[str, Any] | None = None, *, finish: str | None = None, **top: Any
) -> ChatCompletionChunk:
    choices = (
        []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    )
    return ChatCompletionChunk.model_validate({"id": "c", "model": "m", "choices": choices, **top})


def calls(*tool_calls: dict[str, Any]) -> ChatCompletionChunk:
    return chunk({"tool_calls": list(tool_calls)})


def tc(index: int | None, id: str | None = None, name: str | None = None, args: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"function": {"arguments": args}}
    if index is not None:
        out["index"] = index
    if id is not None:
        out["id"] = id
    if name is not None:
        out["function"]["name"] = name
    return out


# -- counts and amounts ------------------------------------------------------------------------------


def test_usage_1e400_is_ignored_not_an_overflow_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "nanogpt_integrations")
    usage = Usage.model_validate_json(
        '{"prompt_tokens": 1e400, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 1e400}}'
    )
    assert usage.prompt_tokens is None and usage.completion_tokens == 7
    counts = usage.normalized()
    assert (counts.input_tokens, counts.output_tokens, counts.cache_read_tokens) == (0, 7, 0)
    assert "usage.prompt_tokens=inf" in caplog.text and "cached_tokens=inf" in caplog.text


@pytest.mark.parametrize("bad", [-1, -0.5, "-3", float("nan"), "n/a", True, [1]])
def test_counts_that_are_not_counts_are_ignored(bad: Any) -> None:
    assert Usage.model_validate({"prompt_tokens": bad}).prompt_tokens is None
    assert Pricing.model_validate({"inputTokens": bad}).input_tokens is None


@pytest.mark.parametrize(("sent", "read"), [(12, 12), (12.0, 12), ("12", 12), (" 12 ", 12), (0, 0)])
def test_counts_read_leniently(sent: Any, read: int) -> None:
    assert Usage.model_validate({"completion_tokens": sent}).completion_tokens == read


def test_a_usage_object_without_any_valid_count_is_no_usage() -> None:
    completion = ChatCompletion.model_validate(
        {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": -1, "completion_tokens": "?"}}
    )
    turn = turn_from_completion(completion)
    assert turn.usage is None and turn.raw_usage == {}


@pytest.mark.parametrize(
    ("sent", "charged"), [("0.01", 0.01), (0.02, 0.02), (0, 0.0), ("-0.01", None), (-1, None)]
)
def test_costs_strings_coerced_negatives_ignored(sent: Any, charged: float | None) -> None:
    assert Pricing.model_validate({"cost": sent}).charged == charged


def test_an_infinite_cost_is_ignored() -> None:
    pricing = Pricing.model_validate_json('{"cost": 1e400, "amount": 0.003}')
    assert pricing.cost is None and pricing.charged == 0.003


def test_a_garbage_cost_does_not_kill_the_frame() -> None:
    parsed = chunk({"content": "x"}, x_nanogpt_pricing={"cost": {"usd": 1}, "inputTokens": 2.5})
    assert parsed.x_nanogpt_pricing is not None
    assert parsed.x_nanogpt_pricing.charged is None and parsed.x_nanogpt_pricing.input_tokens == 2


@pytest.mark.parametrize(
    ("sent", "read"), [("0.01", 0.01), (0.004, 0.004), (-0.01, None), ("free", None), (None, None)]
)
def test_web_search_cost(sent: Any, read: float | None) -> None:
    assert WebSearchResponse.model_validate({"data": [], "metadata": {"cost": sent}}).cost == read


# -- usage from x_nanogpt_pricing (13.2) -----------------------------------------------------------


def test_pricing_usage_uses_the_documented_field_names() -> None:
    pricing = Pricing.model_validate(
        {"inputTokens": 100, "outputTokens": 20, "cacheReadInputTokens": 30, "cacheCreationInputTokens": 10}
    )
    usage = pricing.usage()
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (100, 20, 120)
    assert (usage.cache_read_tokens, usage.cache_creation_tokens) == (30, 10)
    assert Pricing.model_validate({"cost": 0.1}).usage() is None


def test_pricing_input_below_the_cache_counts_gets_them_added() -> None:
    usage = Pricing.model_validate({"inputTokens": 5, "outputTokens": 1, "cacheReadInputTokens": 40}).usage()
    assert usage is not None and usage.input_tokens == 45  # same rule as a usage object


def test_stream_without_usage_falls_back_and_says_so() -> None:
    acc = StreamAccumulator()
    acc.add(chunk({"content": "hi"}))
    delta = acc.add(chunk({}, finish="stop", x_nanogpt_pricing={"inputTokens": 9, "outputTokens": 3}))
    turn = acc.result()
    assert turn.usage is not None and (turn.usage.input_tokens, turn.usage.output_tokens) == (9, 3)
    assert turn.usage_source == "x_nanogpt_pricing" and turn.raw_usage is None
    assert delta.usage == turn.usage


@pytest.mark.parametrize("usage_first", [True, False])
def test_a_usage_object_wins_whichever_frame_comes_first(usage_first: bool) -> None:
    usage_frame = chunk(None, usage={"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55})
    pricing_frame = chunk({}, finish="stop", x_nanogpt_pricing={"inputTokens": 9, "outputTokens": 3})
    acc = StreamAccumulator()
    for frame in (usage_frame, pricing_frame) if usage_first else (pricing_frame, usage_frame):
        acc.add(frame)
    turn = acc.result()
    assert turn.usage is not None and turn.usage.input_tokens == 50
    assert turn.usage_source is None


def test_an_all_zero_usage_falls_back_like_the_server_does() -> None:
    completion = ChatCompletion.model_validate(
        {
            "choices": [{"message": {"content": "x"}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "x_nanogpt_pricing": {"inputTokens": 8, "outputTokens": 2},
        }
    )
    turn = turn_from_completion(completion)
    assert turn.usage is not None and turn.usage.total_tokens == 10
    assert turn.usage_source == "x_nanogpt_pricing"
    assert turn.raw_usage == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


# -- content parts (13.12) -----------------------------------------------------------------------


def test_stream_and_non_stream_read_content_parts_the_same_way() -> None:
    parts = [
        {
            "type": "thinking",
            "thinking": [{"type": "text", "text": "Hmm. "}, {"type": "text", "text": "Yes."}],
        },
        {"type": "text", "text": "Answer"},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
    ]
    streamed = StreamAccumulator()
    delta = streamed.add(chunk({"content": parts}))
    assert (delta.content, delta.reasoning) == ("Answer", "Hmm. Yes.")
    from_stream = streamed.result()
    whole = turn_from_completion(
        ChatCompletion.model_validate({"choices": [{"message": {"content": parts}}]})
    )
    assert (
        (from_stream.content, from_stream.reasoning)
        == (whole.content, whole.reasoning)
        == ("Answer", "Hmm. Yes.")
    )
    assert from_stream.content_parts == [parts[2]]  # the part neither text nor thinking is kept


def test_a_thinking_part_given_as_a_string() -> None:
    acc = StreamAccumulator()
    acc.add(chunk({"content": [{"type": "thinking", "thinking": "plain"}]}))
    assert acc.result().reasoning == "plain"


def test_an_explicit_reasoning_field_wins_over_thinking_parts() -> None:
    message = {
        "content": [{"type": "thinking", "thinking": "parts"}, {"type": "text", "text": "t"}],
        "reasoning": "field",
    }
    turn = turn_from_completion(ChatCompletion.model_validate({"choices": [{"message": message}]}))
    assert (turn.content, turn.reasoning) == ("t", "field")


# -- tool-call resolution (12.2) and invalid calls (12.12) -----------------------------------------


def test_a_new_id_at_a_used_index_starts_a_new_call() -> None:
    acc = StreamAccumulator()
    deltas = [
        acc.add(calls(tc(0, "call_a", "get_weather"))),
        acc.add(calls(tc(0, args='{"city":"Paris"}'))),
        acc.add(calls(tc(0, "call_b", "get_time"))),
        acc.add(calls(tc(0, args='{"tz":"UTC"}'))),
        acc.add(calls(tc(1, "call_c", "third", "{}"))),
    ]
    turn = acc.result()
    assert [(c.id, c.name, c.arguments) for c in turn.tool_calls] == [
        ("call_a", "get_weather", '{"city":"Paris"}'),
        ("call_b", "get_time", '{"tz":"UTC"}'),
        ("call_c", "third", "{}"),
    ]
    assert all(c.error is None for c in turn.tool_calls)
    # Distinct resolved indices, so frameworks that merge fragments by index keep three calls.
    assert [f.index for d in deltas for f in d.tool_calls] == [0, 0, 1, 1, 2]


def test_an_id_arriving_after_id_less_fragments_at_the_same_index_is_the_same_call() -> None:
    acc = StreamAccumulator()
    acc.add(calls(tc(0, None, "f", '{"a"')))
    acc.add(calls(tc(0, "call_late", None, ": 1}")))
    (call,) = acc.result().tool_calls
    assert (call.id, call.name, call.arguments) == ("call_late", "f", '{"a": 1}')


def test_a_nameless_call_is_held_until_its_name_arrives() -> None:
    acc = StreamAccumulator()
    first = acc.add(calls(tc(0, "call_n", None, '{"x"')))
    second = acc.add(calls(tc(0, None, "late_name", ": 1}")))
    assert first.tool_calls == []
    assert second.tool_calls == [
        ToolCallFragment(index=0, id="call_n", name="late_name", arguments='{"x": 1}')
    ]
    (call,) = acc.result().tool_calls
    assert call.error is None


def test_a_call_that_never_gets_a_name_is_invalid() -> None:
    acc = StreamAccumulator()
    delta = acc.add(calls(tc(0, "call_n", None, "{}")))
    assert delta.tool_calls == [] and delta.is_empty
    assert acc.snapshot().tool_calls[0].error is None  # mid-stream: the name may still come
    (call,) = acc.result().tool_calls
    assert call.error is not None and "no function name" in call.error


def test_non_stream_nameless_and_duplicate_calls_are_flagged() -> None:
    message = {
        "tool_calls": [
            {"id": "a", "function": {"name": "f", "arguments": "{}"}},
            {"id": "a", "function": {"name": "g", "arguments": "{}"}},
            {"id": "b", "function": {"arguments": "{}"}},
            {"id": "c", "function": {"name": "h", "arguments": "{}"}},
        ]
    }
    turn = turn_from_completion(ChatCompletion.model_validate({"choices": [{"message": message}]}))
    errors = [c.error for c in turn.tool_calls]
    assert errors[0] is None and errors[3] is None
    assert errors[1] is not None and "duplicate tool call id 'a'" in errors[1]
    assert errors[2] is not None and "no function name" in errors[2]


# -- web-search fields that are not strings (12.12) -------------------------------------------------


def test_non_string_url_and_title_never_reach_metadata() -> None:
    response = WebSearchResponse.model_validate(
        {
            "data": [
                {
                    "type": 7,
                    "title": 404,
                    "name": ["x"],
                    "url": {"href": "https://x"},
                    "content": {"a": 1},
                    "date": 2024,
                },
                {"title": "ok", "url": "https://ok", "snippet": "text", "favicon": 3, "imageUrl": False},
            ],
            "metadata": {"cost": "0.005"},
        }
    )
    records = search_records(response, build_search_request("q"))
    first, second = (r.metadata for r in records)
    assert not {"title", "url", "source", "date"} & set(first)
    assert first["type"] == "text" and records[0].text == ""
    assert (second["title"], second["url"], records[1].text) == ("ok", "https://ok", "text")
    assert "favicon" not in second and "image_url" not in second
    assert first["cost"] == 0.005
    typed = response.results()
    assert typed[0].url is None and typed[0].display_title is None and typed[1].url == "https://ok"


def test_non_string_source_fields_of_a_sourced_answer_are_dropped() -> None:
    response = WebSearchResponse.model_validate(
        {"data": {"answer": "A", "sources": [{"name": 1, "url": 2, "snippet": "s"}]}, "metadata": {}}
    )
    answer = response.sourced_answer()
    assert answer is not None
    assert (answer.sources[0].name, answer.sources[0].url, answer.sources[0].text) == (None, None, "s")
