""":class:`StreamAccumulator` and :func:`turn_from_completion`: the one place deltas are merged."""

from __future__ import annotations

from typing import Any

from nanogpt_integrations.core import (
    ChatCompletion,
    ChatCompletionChunk,
    StreamAccumulator,
    ToolCallFragment,
    turn_from_completion,
)


def chunk(
    delta: dict[str, Any] | None = None, *, finish: str | None = None, **top: Any
) -> ChatCompletionChunk:
    choices = (
        []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    )
    return ChatCompletionChunk.model_validate({"id": "chatcmpl-9", "model": "m", "choices": choices, **top})


def tc(index: Any = None, id: str | None = None, name: str | None = None, args: str | None = None) -> dict:
    out: dict[str, Any] = {}
    if index is not None:
        out["index"] = index
    if id is not None:
        out["id"] = id
        out["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    if function:
        out["function"] = function
    return out


def run(*chunks: ChatCompletionChunk) -> tuple[StreamAccumulator, list[Any]]:
    acc = StreamAccumulator(request_id="req_acc")
    deltas = [acc.add(c) for c in chunks]
    return acc, deltas


def test_content_and_reasoning_merge() -> None:
    acc, deltas = run(
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning": "Think"}),
        chunk({"reasoning_content": "ing..."}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, finish="stop"),
    )
    turn = acc.result()
    assert turn.content == "Hello"
    assert turn.reasoning == "Thinking..."
    assert turn.finish_reason == "stop"
    assert turn.id == "chatcmpl-9"
    assert turn.model == "m"
    assert turn.request_id == "req_acc"
    assert [d.content for d in deltas] == ["", "", "", "Hel", "lo", ""]
    assert [d.reasoning for d in deltas] == ["", "Think", "ing...", "", "", ""]
    assert deltas[0].role == "assistant"
    assert deltas[-1].finish_reason == "stop"
    assert deltas[0].is_empty and not deltas[3].is_empty


def test_reasoning_details_and_annotations_accumulate() -> None:
    acc, _ = run(
        chunk({"reasoning_details": [{"type": "reasoning.text", "text": "a"}]}),
        chunk({"annotations": [{"type": "url_citation", "url_citation": {"url": "https://x"}}]}),
        chunk({"reasoning_details": [{"type": "reasoning.text", "text": "b"}]}),
    )
    turn = acc.result()
    assert [d["text"] for d in turn.reasoning_details] == ["a", "b"]
    assert turn.annotations[0]["url_citation"]["url"] == "https://x"


def test_tool_calls_by_index() -> None:
    acc, deltas = run(
        chunk({"tool_calls": [tc(0, "call_a", "get_weather", "")]}),
        chunk({"tool_calls": [tc(0, args='{"city": ')]}),
        chunk({"tool_calls": [tc(0, args='"Paris"}')]}),
        chunk({}, finish="tool_calls"),
    )
    turn = acc.result()
    assert [(c.id, c.name, c.arguments, c.index) for c in turn.tool_calls] == [
        ("call_a", "get_weather", '{"city": "Paris"}', 0)
    ]
    assert turn.finish_reason == "tool_calls"
    assert deltas[0].tool_calls == [ToolCallFragment(index=0, id="call_a", name="get_weather", arguments="")]
    assert deltas[1].tool_calls == [ToolCallFragment(index=0, arguments='{"city": ')]


def test_two_parallel_calls_interleaved() -> None:
    acc, _ = run(
        chunk({"tool_calls": [tc(0, "call_a", "f", '{"x"'), tc(1, "call_b", "g", '{"y"')]}),
        chunk({"tool_calls": [tc(1, args=": 2}")]}),
        chunk({"tool_calls": [tc(0, args=": 1}")]}),
    )
    calls = acc.result().tool_calls
    assert [(c.id, c.name, c.arguments, c.index) for c in calls] == [
        ("call_a", "f", '{"x": 1}', 0),
        ("call_b", "g", '{"y": 2}', 1),
    ]


def test_missing_index_follows_ids() -> None:
    acc, deltas = run(
        chunk({"tool_calls": [tc(None, "call_a", "f", "{")]}),
        chunk({"tool_calls": [tc(None, args='"a": 1}')]}),
        chunk({"tool_calls": [tc(None, "call_b", "g", "{")]}),
        chunk({"tool_calls": [tc(None, args="}")]}),
    )
    calls = acc.result().tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_a", "f", '{"a": 1}'),
        ("call_b", "g", "{}"),
    ]
    assert [f.index for d in deltas for f in d.tool_calls] == [0, 0, 1, 1]


def test_string_index() -> None:
    acc, deltas = run(
        chunk({"tool_calls": [tc("0", "call_a", "f", "{")]}),
        chunk({"tool_calls": [tc("1", "call_b", "g", "[")]}),
        chunk({"tool_calls": [tc("0", args="}")]}),
        chunk({"tool_calls": [tc("1", args="]")]}),
    )
    calls = acc.result().tool_calls
    assert [(c.index, c.arguments) for c in calls] == [(0, "{}"), (1, "[]")]
    assert [f.index for d in deltas for f in d.tool_calls] == [0, 1, 0, 1]


def test_id_and_name_repeated_on_every_delta_are_not_duplicated() -> None:
    acc, deltas = run(
        chunk({"tool_calls": [tc(0, "call_a", "f", '{"q"')]}),
        chunk({"tool_calls": [tc(0, "call_a", "f", ': "x"')]}),
        chunk({"tool_calls": [tc(0, "call_a", "f", "}")]}),
    )
    calls = acc.result().tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [("call_a", "f", '{"q": "x"}')]
    fragments = [f for d in deltas for f in d.tool_calls]
    assert [f.id for f in fragments] == ["call_a", None, None]
    assert [f.name for f in fragments] == ["f", None, None]
    assert "".join(f.arguments for f in fragments) == '{"q": "x"}'


def test_id_repeated_without_index() -> None:
    acc, deltas = run(
        chunk({"tool_calls": [tc(None, "call_a", "f", "{")]}),
        chunk({"tool_calls": [tc(None, "call_a", None, "}")]}),
        chunk({"tool_calls": [tc(None, "call_b", "g", "[")]}),
        chunk({"tool_calls": [tc(None, "call_b", None, "]")]}),
    )
    calls = acc.result().tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [("call_a", "f", "{}"), ("call_b", "g", "[]")]
    assert [f.id for d in deltas for f in d.tool_calls] == ["call_a", None, "call_b", None]


def test_id_arriving_after_the_first_fragment() -> None:
    acc, deltas = run(
        chunk({"tool_calls": [tc(0, None, "f", "{")]}),
        chunk({"tool_calls": [tc(0, "call_late", None, "}")]}),
    )
    assert acc.result().tool_calls[0].id == "call_late"
    assert [f.id for d in deltas for f in d.tool_calls] == [None, "call_late"]


def test_missing_ids_get_stable_generated_ids() -> None:
    acc, _ = run(chunk({"tool_calls": [tc(0, None, "f", "{}"), tc(1, None, "g", "{}")]}))
    ids = [c.id for c in acc.result().tool_calls]
    assert all(ids) and len(set(ids)) == 2


def test_usage_and_pricing_from_whichever_chunk() -> None:
    usage = {"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105}
    acc, deltas = run(
        chunk({"content": "a"}),
        chunk({}, finish="stop", x_nanogpt_pricing={"amount": 0.001, "currency": "USD"}),
        chunk(None, usage=usage),
    )
    turn = acc.result()
    assert turn.usage is not None
    assert (turn.usage.input_tokens, turn.usage.output_tokens, turn.usage.total_tokens) == (100, 5, 105)
    assert turn.raw_usage == usage
    assert turn.cost == 0.001
    assert deltas[1].pricing is not None and deltas[1].usage is None
    assert deltas[2].usage is not None and deltas[2].usage.total_tokens == 105


def test_usage_and_pricing_on_the_finish_frame() -> None:
    acc, _ = run(
        chunk({"content": "a"}),
        chunk(
            {},
            finish="stop",
            usage={"prompt_tokens": 3, "completion_tokens": 1, "reasoning_tokens": 4},
            x_nanogpt_pricing={"cost": 0.5},
        ),
    )
    turn = acc.result()
    assert turn.usage is not None and turn.usage.reasoning_tokens == 4
    assert turn.cost == 0.5


def test_later_usage_wins() -> None:
    acc, _ = run(
        chunk(None, usage={"prompt_tokens": 1, "completion_tokens": 1}),
        chunk(None, usage={"prompt_tokens": 10, "completion_tokens": 20}),
    )
    assert acc.result().usage.total_tokens == 30  # type: ignore[union-attr]


def test_other_choice_indices_ignored() -> None:
    extra = ChatCompletionChunk.model_validate(
        {"choices": [{"index": 1, "delta": {"content": "other"}}, {"index": 0, "delta": {"content": "mine"}}]}
    )
    acc, _ = run(extra)
    assert acc.result().content == "mine"


# -- turn_from_completion -------------------------------------------------------------------------


def test_turn_from_completion() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1769278225,
            "model": "openai/gpt-5.1",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "The answer is 4.",
                        "reasoning": "2+2",
                        "reasoning_details": [{"k": 1}],
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "f", "arguments": '{"a":1}'},
                            },
                            {"type": "function", "function": {"name": "g", "arguments": {"b": 2}}},
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {
                "prompt_tokens": 123,
                "completion_tokens": 20,
                "total_tokens": 143,
                "prompt_tokens_details": {"cached_tokens": 100},
                "completion_tokens_details": {"reasoning_tokens": 12},
            },
            "service_tier": "flex",
            "x_nanogpt_pricing": {
                "amount": 0.000169,
                "currency": "USD",
                "cost": 0.000169,
                "paymentSource": "USD",
            },
        }
    )
    completion._request_id = "req_turn"
    turn = turn_from_completion(completion)
    assert turn.content == "The answer is 4."
    assert turn.reasoning == "2+2"
    assert turn.reasoning_details == [{"k": 1}]
    assert turn.finish_reason == "tool_calls"
    assert [(c.name, c.arguments, c.index) for c in turn.tool_calls] == [
        ("f", '{"a":1}', 0),
        ("g", '{"b": 2}', 1),
    ]
    assert turn.tool_calls[0].id == "call_1"
    assert turn.tool_calls[1].id and turn.tool_calls[1].id != "call_1"
    assert turn.usage is not None
    assert (turn.usage.input_tokens, turn.usage.cache_read_tokens, turn.usage.reasoning_tokens) == (
        123,
        100,
        12,
    )
    assert turn.cost == 0.000169
    assert turn.pricing is not None and turn.pricing.payment_source == "USD"
    assert turn.service_tier == "flex"
    assert turn.request_id == "req_turn"
    assert (turn.id, turn.model, turn.created) == ("chatcmpl-abc123", "openai/gpt-5.1", 1769278225)


def test_turn_from_completion_content_parts_and_legacy_reasoning() -> None:
    completion = ChatCompletion.model_validate(
        {
            "choices": [
                {
                    "message": {
                        "content": [
                            {"type": "text", "text": "a"},
                            {"type": "image_url"},
                            {"type": "text", "text": "b"},
                        ],
                        "reasoning_content": "legacy",
                    }
                }
            ]
        }
    )
    turn = turn_from_completion(completion)
    assert turn.content == "ab"
    assert turn.content_parts is not None and len(turn.content_parts) == 3
    assert turn.reasoning == "legacy"
    assert turn.usage is None and turn.cost is None


def test_stream_and_non_stream_give_the_same_turn() -> None:
    acc, _ = run(
        chunk({"role": "assistant", "content": "4"}),
        chunk({"tool_calls": [tc(0, "call_1", "f", '{"a":1}')]}),
        chunk({}, finish="tool_calls", usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}),
    )
    streamed = acc.result()
    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-9",
            "model": "m",
            "choices": [
                {
                    "message": {
                        "content": "4",
                        "tool_calls": [{"id": "call_1", "function": {"name": "f", "arguments": '{"a":1}'}}],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
    )
    direct = turn_from_completion(completion)
    assert (streamed.content, streamed.finish_reason, streamed.usage) == (
        direct.content,
        direct.finish_reason,
        direct.usage,
    )
    assert [(c.id, c.name, c.arguments) for c in streamed.tool_calls] == [
        (c.id, c.name, c.arguments) for c in direct.tool_calls
    ]


# -- snapshot / add_completion --------------------------------------------------------------------


def test_snapshot_is_side_effect_free_and_tracks_progress() -> None:
    chunks = [
        chunk({"content": "Hel", "reasoning": "r1"}),
        chunk({"tool_calls": [tc(0, None, "f", "{")]}),
        chunk({"content": "lo", "tool_calls": [tc(0, args="}")]}),
        chunk({}, finish="tool_calls"),
    ]
    plain = StreamAccumulator()
    watched = StreamAccumulator()
    seen: list[tuple[str, str, list[tuple[str, str]]]] = []
    for c in chunks:
        plain.add(c)
        watched.add(c)
        snap = watched.snapshot()
        seen.append((snap.content, snap.reasoning, [(t.id, t.arguments) for t in snap.tool_calls]))
    assert seen == [
        ("Hel", "r1", []),
        ("Hel", "r1", [("", "{")]),
        ("Hello", "r1", [("", "{}")]),
        ("Hello", "r1", [("", "{}")]),
    ]
    final, reference = watched.result(), plain.result()
    assert (final.content, final.reasoning, final.finish_reason) == ("Hello", "r1", "tool_calls")
    assert [(t.id, t.name, t.arguments) for t in final.tool_calls] == [
        (t.id, t.name, t.arguments) for t in reference.tool_calls
    ]
    assert final.tool_calls[0].id, "result() gives a call without an id a fallback id"


def test_snapshot_before_a_late_id_does_not_freeze_the_fallback() -> None:
    acc = StreamAccumulator()
    acc.add(chunk({"tool_calls": [tc(0, None, "f", "{")]}))
    assert acc.snapshot().tool_calls[0].id == ""
    acc.add(chunk({"tool_calls": [tc(0, "call_late", None, "}")]}))
    assert [(t.id, t.arguments) for t in acc.result().tool_calls] == [("call_late", "{}")]


def test_add_completion_merges_text_usage_and_pricing() -> None:
    from nanogpt_integrations.core import Completion

    acc = StreamAccumulator(request_id="req_c")
    parts = [
        {"id": "cmpl-1", "model": "m", "choices": [{"index": 0, "text": "Once "}]},
        {"id": "cmpl-1", "choices": [{"index": 0, "text": "upon"}, {"index": 1, "text": "other"}]},
        {
            "id": "cmpl-1",
            "choices": [{"index": 0, "text": "", "finish_reason": "length"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
            "x_nanogpt_pricing": {"amount": 0.01},
        },
    ]
    deltas = [acc.add_completion(Completion.model_validate(p)) for p in parts]
    turn = acc.result()
    assert (turn.content, turn.finish_reason, turn.id, turn.model) == ("Once upon", "length", "cmpl-1", "m")
    assert turn.usage is not None and turn.usage.total_tokens == 5
    assert turn.cost == 0.01
    assert turn.request_id == "req_c"
    assert [d.content for d in deltas] == ["Once ", "upon", ""]
    assert deltas[-1].finish_reason == "length" and deltas[-1].usage is not None


def test_reasoning_details_fragments_are_merged_by_index_and_type() -> None:
    from nanogpt_integrations.core.types import ChatCompletionChunk

    acc = StreamAccumulator()
    for details in (
        [{"type": "reasoning.text", "index": 0, "text": "Hel"}],
        [{"type": "reasoning.text", "index": 0, "text": "lo", "signature": "sig"}],
        [{"type": "reasoning.encrypted", "index": 1, "data": "ab"}],
        [{"opaque": True}],
    ):
        acc.add(ChatCompletionChunk.model_validate({"choices": [{"index": 0, "delta": {"reasoning_details": details}}]}))
    assert acc.result().reasoning_details == [
        {"type": "reasoning.text", "index": 0, "text": "Hello", "signature": "sig"},
        {"type": "reasoning.encrypted", "index": 1, "data": "ab"},
        {"opaque": True},
    ]
