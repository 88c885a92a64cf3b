"""Model catalogue parsing (reference §11), explicit-cache support and ``check_cache_markers`` (§3)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from nanogpt_integrations.core import (
    MAX_CACHE_BREAKPOINTS,
    ModelCatalogue,
    ModelInfo,
    check_cache_markers,
    count_cache_markers,
    strip_cache_markers,
    supports_explicit_cache_control,
)

DETAILED = {
    "object": "list",
    "data": [
        {
            "id": "openai/gpt-5.2",
            "object": "model",
            "created": 1704067200,
            "owned_by": "openai",
            "name": "GPT-5.2",
            "context_length": 128000,
            "max_output_tokens": 16384,
            "capabilities": {
                "vision": True,
                "reasoning": False,
                "tool_calling": True,
                "parallel_tool_calls": True,
                "structured_output": True,
                "pdf_upload": True,
                "video_input": True,
            },
            "architecture": {"input_modalities": ["text", "image", "video"]},
            "pricing": {"prompt": 2.5, "completion": 10.0, "currency": "USD", "unit": "per_million_tokens"},
            "cost_estimate": "$",
            "category": "flagship",
        },
        {
            "id": "anthropic/claude-haiku-4.5",
            "context_length": None,
            "max_output_tokens": None,
            "capabilities": None,
            "pricing": {
                "prompt": 1,
                "completion": 5,
                "cacheReadInputPer1kTokens": 0.0001,
                "cacheWriteInputPer1kTokens": 0.00125,
                "note": "Cache prices are per 1K tokens.",
            },
            "cost_estimate": {"cheap": False},
            "reasoning_efforts": ["low", "high"],
            "subscription": {"included": True},
        },
        {"id": "zai-org/glm-5:thinking", "context_length": "200000", "cost_estimate": 3, "pricing": "n/a"},
        {"id": "no-context/model"},
        {"object": "model"},
        "garbage",
    ],
}


@pytest.fixture
def catalogue() -> ModelCatalogue:
    return ModelCatalogue.from_payload(DETAILED)


def test_rows_without_id_are_skipped(catalogue: ModelCatalogue) -> None:
    assert [m.id for m in catalogue.models] == [
        "openai/gpt-5.2",
        "anthropic/claude-haiku-4.5",
        "zai-org/glm-5:thinking",
        "no-context/model",
    ]
    assert len(catalogue) == 4


def test_documented_fields(catalogue: ModelCatalogue) -> None:
    gpt = catalogue.get("openai/gpt-5.2")
    assert gpt is not None
    assert (gpt.context_length, gpt.max_output_tokens, gpt.name, gpt.owned_by) == (
        128000,
        16384,
        "GPT-5.2",
        "openai",
    )
    assert gpt.capabilities.tool_calling and gpt.capabilities.vision and not gpt.capabilities.reasoning
    assert gpt.pricing is not None and (gpt.pricing.prompt, gpt.pricing.completion) == (2.5, 10.0)
    assert gpt.input_modalities == ["text", "image", "video"]


def test_null_and_odd_fields_are_tolerated(catalogue: ModelCatalogue) -> None:
    claude = catalogue.get("anthropic/claude-haiku-4.5")
    assert claude is not None
    assert claude.context_length is None and claude.max_output_tokens is None
    assert claude.capabilities.tool_calling is False
    assert claude.pricing is not None
    assert (claude.pricing.cache_read_per_1k, claude.pricing.cache_write_per_1k) == (0.0001, 0.00125)
    assert claude.reasoning_efforts == ["low", "high"]
    assert claude.input_modalities == ["text"]
    glm = catalogue.get("zai-org/glm-5:thinking")
    assert glm is not None and glm.context_length == 200000 and glm.pricing is None
    bare = catalogue.get("no-context/model")
    assert bare is not None and bare.context_length is None


def test_list_payload_is_accepted() -> None:
    assert [m.id for m in ModelCatalogue.from_payload([{"id": "a"}, {"id": "b"}]).models] == ["a", "b"]
    assert len(ModelCatalogue.from_payload({})) == 0


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("openai/gpt-5.2", "openai/gpt-5.2"),
        ("OpenAI/GPT-5.2", "openai/gpt-5.2"),
        ("openai/gpt-5.2:online/linkup-deep", "openai/gpt-5.2"),
        ("openai/gpt-5.2:speed:reasoning-exclude", "openai/gpt-5.2"),
        ("anthropic/claude-haiku-4.5:memory-30:online", "anthropic/claude-haiku-4.5"),
        ("zai-org/glm-5:thinking", "zai-org/glm-5:thinking"),
        ("zai-org/glm-5:thinking:fast", "zai-org/glm-5:thinking"),
        ("no-context/model:caching", "no-context/model"),
    ],
)
def test_suffix_insensitive_lookup(catalogue: ModelCatalogue, query: str, found: str) -> None:
    info = catalogue.get(query)
    assert info is not None and info.id == found


def test_unknown_model_is_none(catalogue: ModelCatalogue) -> None:
    assert catalogue.get("openai/gpt-9") is None


def test_freshness() -> None:
    assert ModelCatalogue([]).is_fresh()
    assert not ModelCatalogue([], fetched_at=0.0).is_fresh(ttl=1.0)


# -- supports_explicit_cache_control --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("anthropic/claude-haiku-4.5", True),
        ("claude-sonnet-4-thinking:8192", True),
        ("anthropic/claude-opus-4.6:online:caching", True),
        ("TEE/claude-x", True),
        ("openai/gpt-4o-mini", False),
        ("gpt-5.1", False),
        ("google/gemini-2.5-flash", False),
        ("gemini-2.5-pro:online", False),
        ("deepseek/deepseek-v3.2", False),
        ("somebody/unknown-model", None),
    ],
)
def test_supports_explicit_cache_control(model: str, expected: bool | None) -> None:
    assert supports_explicit_cache_control(model) is expected


def test_catalogue_cache_write_price_is_evidence_for_explicit_caching() -> None:
    info = ModelInfo.model_validate({"id": "x/y", "pricing": {"cacheWriteInputPer1kTokens": 0.001}})
    assert supports_explicit_cache_control("somebody/unknown-model", info) is True
    no_price = ModelInfo.model_validate({"id": "x/y", "pricing": {"prompt": 1}})
    assert supports_explicit_cache_control("somebody/unknown-model", no_price) is None


# -- check_cache_markers --------------------------------------------------------------------------


def marked_payload(markers: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for i in range(markers):
        messages.append(
            {
                "role": "user",
                "content": [{"type": "text", "text": f"block {i}", "cache_control": {"type": "ephemeral"}}],
            }
        )
    messages.append({"role": "user", "content": "question"})
    return {"messages": messages, "prompt_caching": {"enabled": True, "ttl": "5m"}}


def test_count_and_strip_cover_messages_parts_and_tools() -> None:
    payload = {
        "messages": [
            {"role": "system", "content": "s", "cache_control": {"type": "ephemeral"}},
            {
                "role": "user",
                "content": [{"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}}],
            },
        ],
        "tools": [
            {"type": "function", "function": {"name": "f"}, "cache_control": {"type": "ephemeral"}},
            {"type": "function", "function": {"name": "g", "cache_control": {"type": "ephemeral"}}},
        ],
    }
    assert count_cache_markers(payload) == 4
    assert strip_cache_markers(payload) == 4
    assert count_cache_markers(payload) == 0
    assert "cache_control" not in str(payload)


def test_five_markers_is_an_error() -> None:
    assert MAX_CACHE_BREAKPOINTS == 4
    with pytest.raises(ValueError) as info:
        check_cache_markers(marked_payload(5), "anthropic/claude-haiku-4.5")
    assert "5" in str(info.value) and "4" in str(info.value)


def test_four_markers_on_claude_are_kept() -> None:
    payload = marked_payload(4)
    out = check_cache_markers(payload, "anthropic/claude-haiku-4.5")
    assert out is payload
    assert count_cache_markers(payload) == 4
    assert payload["prompt_caching"] == {"enabled": True, "ttl": "5m"}


def test_gpt_markers_are_stripped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    model = f"openai/gpt-{uuid.uuid4().hex[:8]}"  # the warning is once per model per process
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        first = check_cache_markers(marked_payload(2), model)
        second = check_cache_markers(marked_payload(3), model + ":online")
    assert count_cache_markers(first) == 0 and "prompt_caching" not in first
    assert count_cache_markers(second) == 0 and "prompt_caching" not in second
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and model in r.getMessage()]
    assert len(warnings) == 1
    assert "fallback_blocked_for_cache_consistency" in warnings[0].getMessage()


def test_gpt_helper_alone_is_stripped() -> None:
    payload = {"messages": [{"role": "user", "content": "q"}], "prompt_caching": {"enabled": True}}
    check_cache_markers(payload, f"google/gemini-{uuid.uuid4().hex[:6]}")
    assert "prompt_caching" not in payload


def test_force_keeps_markers_on_gpt(caplog: pytest.LogCaptureFixture) -> None:
    model = f"openai/gpt-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        payload = check_cache_markers(marked_payload(2), model, force=True)
    assert count_cache_markers(payload) == 2
    assert "prompt_caching" in payload
    assert not [r for r in caplog.records if model in r.getMessage()]


def test_force_does_not_lift_the_breakpoint_limit() -> None:
    with pytest.raises(ValueError):
        check_cache_markers(marked_payload(5), "openai/gpt-4o", force=True)


def test_unknown_model_keeps_markers() -> None:
    payload = check_cache_markers(marked_payload(1), "somebody/unknown-model")
    assert count_cache_markers(payload) == 1


def test_no_markers_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    model = f"openai/gpt-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        check_cache_markers({"messages": [{"role": "user", "content": "q"}]}, model)
    assert not caplog.records
