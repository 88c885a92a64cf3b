"""Wire types: ``Usage.normalized`` across conventions, ``Pricing.charged``, tolerance of unknown fields."""

from __future__ import annotations

import json

import pytest

from nanogpt_integrations.core import (
    ChatCompletion,
    Completion,
    EmbeddingResponse,
    Pricing,
    TokenUsage,
    Usage,
)


def test_openai_style_cached_tokens() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 20,
            "total_tokens": 1020,
            "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 12},
            "cache_creation_input_tokens": 800,
        }
    )
    assert usage.normalized() == TokenUsage(
        input_tokens=1000,
        output_tokens=20,
        total_tokens=1020,
        cache_read_tokens=100,
        cache_creation_tokens=800,
        reasoning_tokens=12,
    )


def test_reference_example_usage() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 123,
            "completion_tokens": 20,
            "total_tokens": 143,
            "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 12, "audio_tokens": 0},
            "reasoning_tokens": 12,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 100,
        }
    ).normalized()
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (123, 20, 143)
    assert (usage.cache_read_tokens, usage.cache_creation_tokens, usage.reasoning_tokens) == (100, 0, 12)


def test_anthropic_style_prompt_excludes_cache() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "cache_read_input_tokens": 6068,
            "cache_creation_input_tokens": 200,
        }
    ).normalized()
    assert usage.input_tokens == 10 + 6068 + 200
    assert usage.cache_read_tokens == 6068
    assert usage.cache_creation_tokens == 200
    assert usage.total_tokens == 10 + 6068 + 200 + 5
    assert usage.input_tokens >= usage.cache_read_tokens + usage.cache_creation_tokens


def test_floats_and_strings_are_coerced() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": "12",
            "completion_tokens": 3.0,
            "total_tokens": "15.0",
            "prompt_tokens_details": {"cached_tokens": "4"},
            "completion_tokens_details": {"reasoning_tokens": 2.0},
        }
    ).normalized()
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (12, 3, 15)
    assert (usage.cache_read_tokens, usage.reasoning_tokens) == (4, 2)
    assert all(isinstance(v, int) for v in usage.model_dump().values())


def test_garbage_numbers_become_zero_not_errors() -> None:
    usage = Usage.model_validate({"prompt_tokens": "n/a", "completion_tokens": None, "total_tokens": True})
    assert usage.normalized() == TokenUsage()


def test_responses_style_input_output_tokens() -> None:
    usage = Usage.model_validate(
        {
            "input_tokens": 50,
            "output_tokens": 7,
            "total_tokens": 57,
            "input_tokens_details": {"cached_tokens": 30},
            "output_tokens_details": {"reasoning_tokens": 3},
        }
    ).normalized()
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.reasoning_tokens) == (
        50,
        7,
        30,
        3,
    )


def test_total_computed_when_missing() -> None:
    assert Usage(prompt_tokens=4, completion_tokens=6).normalized().total_tokens == 10


def test_usage_tolerates_unknown_fields() -> None:
    usage = Usage.model_validate({"prompt_tokens": 1, "citation_tokens": 3, "num_search_queries": 1})
    assert usage.model_dump()["citation_tokens"] == 3


# -- pricing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "charged"),
    [
        ({"cost": 0.000169, "amount": 0.000169, "currency": "USD"}, 0.000169),
        ({"amount": 0.0035, "currency": "USD"}, 0.0035),
        ({"costUsd": 0.25}, 0.25),
        ({"usdCost": 0.5}, 0.5),
        ({"amount": 0, "currency": "USD"}, 0.0),
        ({"cost": 0, "amount": 0.2}, 0.0),
        ({"currency": "USD"}, None),
        ({}, None),
    ],
)
def test_pricing_charged(raw: dict, charged: float | None) -> None:
    assert Pricing.model_validate(raw).charged == charged


def test_pricing_fields_and_summary() -> None:
    pricing = Pricing.model_validate(
        {
            "amount": 0.01,
            "currency": "USD",
            "paymentSource": "nano",
            "inputTokens": 9,
            "outputTokens": 20,
            "cacheCost": 0.001,
            "cacheCreationInputTokens": 5,
            "cacheReadInputTokens": 6,
            "cacheTTL": "5m",
            "requestId": "req_x",
            "billedToTeam": False,
        }
    )
    assert (pricing.input_tokens, pricing.output_tokens, pricing.payment_source) == (9, 20, "nano")
    assert (pricing.cache_creation_input_tokens, pricing.cache_read_input_tokens) == (5, 6)
    assert pricing.summary() == {
        "cost": 0.01,
        "currency": "USD",
        "payment_source": "nano",
        "cache_cost": 0.001,
        "request_id": "req_x",
    }


def test_pricing_summary_defaults_currency_to_usd_only_when_charged() -> None:
    assert Pricing.model_validate({"amount": 0.2}).summary() == {"cost": 0.2, "currency": "USD"}
    assert Pricing().summary() == {}


# -- tolerant parsing ---------------------------------------------------------------------------


def test_chat_completion_tolerates_unknown_fields_everywhere() -> None:
    raw = {
        "id": "x",
        "choices": [
            {
                "index": 0,
                "message": {"content": "hi", "images": [{"url": "u"}]},
                "finish_reason": "stop",
                "z": 1,
            }
        ],
        "advisor": {"status": "not_used"},
        "usage": {"prompt_tokens": 1},
        "x_nanogpt_pricing": {"amount": 0.1, "brandNew": True},
    }
    completion = ChatCompletion.model_validate_json(json.dumps(raw))
    assert completion.choices[0].message.content == "hi"
    assert completion.x_nanogpt_pricing is not None and completion.x_nanogpt_pricing.charged == 0.1
    assert completion.model_dump()["advisor"] == {"status": "not_used"}


def test_completion_and_embedding_shapes() -> None:
    completion = Completion.model_validate(
        {
            "id": "cmpl-1",
            "object": "text_completion",
            "choices": [{"text": "Once", "index": 0, "logprobs": None, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3},
        }
    )
    assert completion.choices[0].text == "Once"
    assert completion.usage is not None and completion.usage.normalized().total_tokens == 3
    embedding = EmbeddingResponse.model_validate(
        {
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
            "model": "e",
        }
    )
    assert embedding.data[0].embedding == [0.1, 0.2]
