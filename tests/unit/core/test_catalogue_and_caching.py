"""Model catalogue parsing (api-reference/endpoint/models.mdx), explicit-cache support and the
cache-marker policy (api-reference/miscellaneous/prompt-caching.mdx)."""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

import pytest

from nanogpt_integrations.core import (
    MAX_CACHE_BREAKPOINTS,
    ModelCatalogue,
    ModelInfo,
    apply_cache_policy,
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
        # The docs name only OpenAI and Gemini as implicit; other families get their markers
        # ("some Qwen routes" need explicit writes, and markers are harmless elsewhere).
        ("deepseek/deepseek-v3.2", None),
        ("qwen/qwen3-coder", None),
        ("moonshotai/kimi-k2", None),
        ("zai-org/glm-4.6", None),
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


# -- apply_cache_policy ----------------------------------------------------------------------------

CC = {"type": "ephemeral"}


def marked_payload(markers: int, model: str = "anthropic/claude-haiku-4.5") -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for i in range(markers):
        messages.append(
            {"role": "user", "content": [{"type": "text", "text": f"block {i}", "cache_control": CC}]}
        )
    messages.append({"role": "user", "content": "question"})
    return {"model": model, "messages": messages, "prompt_caching": {"enabled": True, "ttl": "5m"}}


def _all_markers_payload() -> dict[str, Any]:
    return {
        "model": "openai/gpt-4o",
        "messages": [
            {"role": "system", "content": "s", "cache_control": CC},
            {"role": "user", "content": [{"type": "text", "text": "a", "cache_control": CC}]},
        ],
        "tools": [
            {"type": "function", "function": {"name": "f"}, "cache_control": CC},
            {"type": "function", "function": {"name": "g", "cache_control": CC}},
        ],
    }


def test_count_and_strip_cover_messages_parts_and_tools_without_editing_the_input() -> None:
    payload = _all_markers_payload()
    before = copy.deepcopy(payload)
    assert count_cache_markers(payload) == 4
    stripped = strip_cache_markers(payload)
    assert count_cache_markers(stripped) == 0
    assert "cache_control" not in str(stripped)
    assert payload == before  # the caller's dicts (tools, parts) are untouched


def test_more_than_four_markers_keep_the_newest_four_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert MAX_CACHE_BREAKPOINTS == 4
    model = f"anthropic/claude-{uuid.uuid4().hex[:8]}"
    payload = marked_payload(6, model)
    before = copy.deepcopy(payload)
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        out = apply_cache_policy(payload)
        apply_cache_policy(marked_payload(5, model))
    assert payload == before
    kept = ["cache_control" in m["content"][0] for m in out["messages"][:6]]
    assert kept == [False, False, True, True, True, True]
    warnings = [r for r in caplog.records if model in r.getMessage()]
    assert len(warnings) == 1 and "prunes the oldest" in warnings[0].getMessage()


def test_tools_count_as_the_oldest_breakpoints() -> None:
    payload = _all_markers_payload()
    payload["model"] = "anthropic/claude-haiku-4.5"
    payload["messages"].append({"role": "user", "content": "q", "cache_control": CC})
    out = apply_cache_policy(payload)
    assert "cache_control" not in out["tools"][0]
    assert out["tools"][1]["function"]["cache_control"] == CC
    assert count_cache_markers(out) == 4


def test_four_markers_on_claude_are_kept_and_nothing_is_copied() -> None:
    payload = marked_payload(4)
    out = apply_cache_policy(payload)
    assert out is payload
    assert count_cache_markers(payload) == 4
    assert payload["prompt_caching"] == {"enabled": True, "ttl": "5m"}


def test_gpt_markers_are_stripped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    model = f"openai/gpt-{uuid.uuid4().hex[:8]}"  # the warning is once per model per process
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        first = apply_cache_policy(marked_payload(2, model))
        second = apply_cache_policy(marked_payload(3, model + ":online"))
    assert count_cache_markers(first) == 0 and "prompt_caching" not in first
    assert count_cache_markers(second) == 0 and "prompt_caching" not in second
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and model in r.getMessage()]
    assert len(warnings) == 1
    assert "fallback_blocked_for_cache_consistency" in warnings[0].getMessage()


def test_gpt_helper_alone_is_stripped() -> None:
    payload = {
        "model": f"google/gemini-{uuid.uuid4().hex[:6]}",
        "messages": [],
        "prompt_caching": {"enabled": True},
    }
    assert "prompt_caching" not in apply_cache_policy(payload)
    assert "prompt_caching" in payload


def test_force_keeps_markers_on_gpt(caplog: pytest.LogCaptureFixture) -> None:
    model = f"openai/gpt-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        payload = apply_cache_policy(marked_payload(2, model), force=True)
    assert count_cache_markers(payload) == 2
    assert "prompt_caching" in payload
    assert not [r for r in caplog.records if model in r.getMessage()]


def test_force_still_prunes_past_four() -> None:
    assert count_cache_markers(apply_cache_policy(marked_payload(5, "openai/gpt-4o"), force=True)) == 4


@pytest.mark.parametrize("model", ["somebody/unknown-model", "qwen/qwen3-coder", "deepseek/deepseek-v3.2"])
def test_models_not_documented_as_implicit_keep_markers(model: str) -> None:
    assert count_cache_markers(apply_cache_policy(marked_payload(1, model))) == 1


def test_no_markers_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    model = f"openai/gpt-{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        apply_cache_policy({"model": model, "messages": [{"role": "user", "content": "q"}]})
    assert not caplog.records
