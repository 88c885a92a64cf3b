"""Model-ID suffixes (api-reference/miscellaneous/model-suffixes.mdx, api-reference/miscellaneous/prompt-caching.mdx): web search, routing, reasoning-exclude and the conflict rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanogpt_integrations.core import (
    ROUTING_ALIASES,
    WEB_SEARCH_VARIANTS,
    base_model,
    build_model_id,
    parse_model_id,
    web_search_suffix,
)

#: Every ``:online/<variant>`` listed in api-reference/miscellaneous/model-suffixes.mdx, written out here so the test can fail.
REFERENCE_VARIANTS = [
    "linkup", "linkup-deep",
    "tavily", "tavily-deep",
    "brave", "brave-deep",
    "sofya",
    "exa-fast", "exa-auto", "exa-neural", "exa-deep", "exa-instant", "exa-deep-reasoning",
    "kagi", "kagi-web", "kagi-news", "kagi-search",
    "perplexity", "perplexity-deep",
    "valyu", "valyu-deep", "valyu-web", "valyu-web-deep",
]  # fmt: skip

#: api-reference/miscellaneous/model-suffixes.mdx routing suffixes and their aliases.
REFERENCE_ROUTING = {
    "speed": "speed",
    "fast": "speed",
    "throughput": "throughput",
    "latency": "latency",
    "price": "price",
    "cheap": "price",
    "floor": "price",
    "tools": "tools",
    "caching": "caching",
    "cache": "caching",
    "cached": "caching",
}
ROUTING_WORDS = set(REFERENCE_ROUTING)


# -- web search -----------------------------------------------------------------------------------


def test_variant_table_matches_reference() -> None:
    assert set(WEB_SEARCH_VARIANTS) == set(REFERENCE_VARIANTS)


@pytest.mark.parametrize("variant", REFERENCE_VARIANTS)
def test_every_online_variant(variant: str) -> None:
    assert web_search_suffix(variant) == f":online/{variant}"
    assert web_search_suffix(f":online/{variant}") == f":online/{variant}"
    assert web_search_suffix(variant.upper()) == f":online/{variant}"
    assert build_model_id("openai/gpt-4o-mini", web_search=variant) == f"openai/gpt-4o-mini:online/{variant}"


@pytest.mark.parametrize(
    ("value", "suffix"),
    [
        (True, ":online"),
        ("standard", ":online"),
        ("online", ":online"),
        (":online", ":online"),
        ("deep", ":online/linkup-deep"),
        (False, None),
    ],
)
def test_web_search_standard_and_deep(value: bool | str, suffix: str | None) -> None:
    assert web_search_suffix(value) == suffix


@pytest.mark.parametrize("value", ["google", "linkup-shallow", ":online/bing", "exa"])
def test_unknown_web_search_is_rejected_with_the_allowed_list(value: str) -> None:
    with pytest.raises(ValueError) as info:
        web_search_suffix(value)
    message = str(info.value)
    assert repr(value) in message
    assert "'linkup-deep'" in message and "'deep'" in message and "'exa-neural'" in message


def test_build_web_search_true_and_false() -> None:
    assert build_model_id("m", web_search=True) == "m:online"
    assert build_model_id("m", web_search=False) == "m"
    assert build_model_id("m", web_search=None) == "m"


def test_web_search_argument_replaces_suffix_in_model_string() -> None:
    assert build_model_id("m:online", web_search="tavily") == "m:online/tavily"
    assert build_model_id("m:online/kagi", web_search="deep") == "m:online/linkup-deep"
    assert build_model_id("m:online/kagi") == "m:online/kagi"


def test_invalid_variant_in_model_string_is_rejected() -> None:
    with pytest.raises(ValueError):
        build_model_id("m:online/bing")


# -- routing --------------------------------------------------------------------------------------


def test_routing_alias_table_matches_reference() -> None:
    assert dict(ROUTING_ALIASES) == REFERENCE_ROUTING


@pytest.mark.parametrize(("alias", "canonical"), sorted(REFERENCE_ROUTING.items()))
def test_routing_aliases(alias: str, canonical: str) -> None:
    assert build_model_id("zai-org/glm-5", routing=alias) == f"zai-org/glm-5:{canonical}"
    assert build_model_id("zai-org/glm-5", routing=f":{alias.upper()}") == f"zai-org/glm-5:{canonical}"
    assert build_model_id(f"zai-org/glm-5:{alias}") == f"zai-org/glm-5:{canonical}"


def test_unknown_routing_rejected_with_allowed_list() -> None:
    with pytest.raises(ValueError) as info:
        build_model_id("m", routing="fastest")
    message = str(info.value)
    assert "'fastest'" in message
    for word in ("speed", "throughput", "latency", "price", "tools", "caching"):
        assert word in message


def test_same_preference_twice_collapses_to_one_suffix() -> None:
    assert build_model_id("m:fast", routing="speed") == "m:speed"
    assert build_model_id("m", routing=["cheap", "floor"]) == "m:price"


def test_reasoning_exclude_once() -> None:
    assert build_model_id("m", reasoning_exclude=True) == "m:reasoning-exclude"
    assert build_model_id("m:reasoning-exclude", reasoning_exclude=True) == "m:reasoning-exclude"


def test_suffixes_compose_and_identity_suffixes_are_kept() -> None:
    assert (
        build_model_id(
            "anthropic/claude-opus-4.6:memory-30", web_search="linkup-deep", reasoning_exclude=True
        )
        == "anthropic/claude-opus-4.6:memory-30:online/linkup-deep:reasoning-exclude"
    )
    assert build_model_id("zai-org/glm-5:thinking", routing="fast") == "zai-org/glm-5:thinking:speed"
    assert build_model_id("moonshotai/kimi-k2.6:thinking", routing="caching") == (
        "moonshotai/kimi-k2.6:thinking:caching"
    )


@pytest.mark.parametrize("model", ["", "   "])
def test_empty_model_rejected(model: str) -> None:
    with pytest.raises(ValueError, match="model"):
        build_model_id(model)


# -- conflicts (api-reference/miscellaneous/model-suffixes.mdx rules, api-reference/miscellaneous/prompt-caching.mdx caching conflicts) -----------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"model": "zai-org/glm-5:fast", "routing": "price"}, ["routing conflict", "price", "speed"]),
        ({"model": "m", "routing": ["speed", "latency"]}, ["routing conflict", "latency", "speed"]),
        ({"model": "m:tools:fast"}, ["routing conflict", "speed", "tools"]),
        ({"model": "m", "routing": "cheap", "explicit_provider": True}, ["routing conflict", "provider"]),
        ({"model": "m:tools", "explicit_provider": True}, ["provider", "tools"]),
        ({"model": "m", "routing": "tools", "caching": True}, ["tools", "caching"]),
        ({"model": "m", "caching": True, "explicit_provider": True}, ["caching", "provider"]),
        ({"model": "m:caching", "explicit_provider": True}, ["caching", "provider"]),
        ({"model": "m:cached", "routing": "tools"}, ["caching", "tools"]),
    ],
)
def test_conflicts_raise_value_error_naming_the_conflict(kwargs: dict[str, object], words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        build_model_id(**kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize("routing", ["speed", "fast", "throughput", "latency", "price", "cheap", "floor"])
def test_caching_true_conflicts_with_other_routing_suffixes(routing: str) -> None:
    # api-reference/miscellaneous/prompt-caching.mdx: cache-capable routing (`caching: true` == `:caching`) does not combine with
    # "other routing suffixes"; api-reference/miscellaneous/model-suffixes.mdx: `:caching*` cannot combine with another routing suffix.
    with pytest.raises(ValueError, match="caching"):
        build_model_id("moonshotai/kimi-k2.6", routing=routing, caching=True)


def test_caching_true_with_caching_suffix_is_fine() -> None:
    assert build_model_id("m", routing="cache", caching=True) == "m:caching"
    assert build_model_id("m", caching=True) == "m"


def test_web_search_and_reasoning_exclude_compose_with_routing() -> None:
    assert build_model_id("m", web_search="exa-fast", routing="latency", reasoning_exclude=True) == (
        "m:online/exa-fast:latency:reasoning-exclude"
    )


# -- parse_model_id / base_model ------------------------------------------------------------------


def test_parse_model_id() -> None:
    parsed = parse_model_id("zai-org/glm-5:thinking:ONLINE/Tavily:Fast:reasoning-exclude:memory-7")
    assert parsed.base == "zai-org/glm-5"
    assert parsed.web_search == "tavily"
    assert parsed.routing == ("speed",)
    assert parsed.reasoning_exclude is True
    assert parsed.other == ("thinking", "memory-7")


def test_base_model_drops_routing_web_memory_but_keeps_thinking() -> None:
    assert base_model("openai/gpt-5.2:online/linkup-deep:speed") == "openai/gpt-5.2"
    assert base_model("anthropic/claude-opus-4.6:memory-30:reasoning-exclude") == "anthropic/claude-opus-4.6"
    assert base_model("zai-org/glm-5:thinking:fast") == "zai-org/glm-5:thinking"


# -- property: the builder never produces a string the rules forbid -------------------------------

BASES = ["openai/gpt-4o-mini", "zai-org/glm-5:thinking", "anthropic/claude-opus-4.6:memory-30", "TEE/glm-5.3"]
_alias = st.sampled_from(sorted(REFERENCE_ROUTING))
_spelled = st.tuples(_alias, st.booleans(), st.booleans()).map(
    lambda t: (":" if t[1] else "") + (t[0].upper() if t[2] else t[0])
)
_web = st.none() | st.booleans() | st.sampled_from(["standard", "deep", *REFERENCE_VARIANTS])


def _routing_tokens(model_id: str) -> list[str]:
    return [REFERENCE_ROUTING[t.lower()] for t in model_id.split(":")[1:] if t.lower() in ROUTING_WORDS]


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(BASES),
    in_model=st.lists(_alias, max_size=2),
    routing=st.none() | _spelled | st.lists(_spelled, max_size=2),
    web=_web,
    reasoning_exclude=st.booleans(),
    explicit_provider=st.booleans(),
    caching=st.booleans(),
)
def test_property_builder_never_produces_a_forbidden_model_id(
    base: str,
    in_model: list[str],
    routing: str | list[str] | None,
    web: bool | str | None,
    reasoning_exclude: bool,
    explicit_provider: bool,
    caching: bool,
) -> None:
    model = ":".join([base, *in_model])
    requested = [] if routing is None else [routing] if isinstance(routing, str) else routing
    wanted = {REFERENCE_ROUTING[a] for a in in_model} | {
        REFERENCE_ROUTING[r.lstrip(":").lower()] for r in requested
    }
    forbidden = (
        len(wanted) > 1
        or (bool(wanted) and explicit_provider)
        or (caching and explicit_provider)
        or (caching and bool(wanted - {"caching"}))
    )
    try:
        result = build_model_id(
            model,
            web_search=web,
            routing=routing,
            reasoning_exclude=reasoning_exclude,
            explicit_provider=explicit_provider,
            caching=caching,
        )
    except ValueError as exc:
        assert forbidden, f"rejected an allowed combination: {exc}"
        assert "conflict" in str(exc)
        return
    assert not forbidden, f"accepted a forbidden combination as {result!r}"
    assert result == base or result.startswith(base + ":")
    tokens = _routing_tokens(result)
    assert len(tokens) <= 1, f"two routing suffixes in {result!r}"
    if explicit_provider:
        assert tokens == []
    if caching:
        assert tokens in ([], ["caching"])
    assert set(tokens) == wanted
    parts = result.split(":")
    assert sum(p.lower().startswith("online") for p in parts) == (1 if web not in (None, False) else 0)
    assert parts.count("reasoning-exclude") == (1 if reasoning_exclude else 0)
    assert build_model_id(result, explicit_provider=explicit_provider, caching=caching) == result, (
        "idempotent"
    )
