""":class:`NanoGPTOptions`: each option becomes the exact model suffix, body field or header (api-reference/miscellaneous/ (prompt-caching, extended-thinking, model-suffixes, provider-selection))."""

from __future__ import annotations

import pytest

from nanogpt_integrations.core import (
    BILLING_MODES,
    REASONING_EFFORTS,
    NanoGPTOptions,
    PromptCaching,
    ProviderRouting,
    ReasoningOptions,
    RequestParts,
    WebSearchOptions,
)

MODEL = "moonshotai/kimi-k2.6"


def apply(options: NanoGPTOptions, body: dict | None = None, headers: dict | None = None) -> RequestParts:
    return options.apply(MODEL, body or {"messages": []}, headers or {})


def test_no_options_change_nothing() -> None:
    parts = apply(NanoGPTOptions())
    assert parts == RequestParts(model=MODEL, body={"messages": []}, headers={})


@pytest.mark.parametrize(
    ("web_search", "model"),
    [
        (True, f"{MODEL}:online"),
        ("standard", f"{MODEL}:online"),
        ("deep", f"{MODEL}:online/linkup-deep"),
        ("tavily-deep", f"{MODEL}:online/tavily-deep"),
        ("exa-neural", f"{MODEL}:online/exa-neural"),
        (False, MODEL),
    ],
)
def test_web_search_as_suffix(web_search: bool | str, model: str) -> None:
    parts = apply(NanoGPTOptions(web_search=web_search))
    assert parts.model == model
    assert "webSearch" not in parts.body


def test_web_search_as_body_object() -> None:
    options = NanoGPTOptions(
        web_search=WebSearchOptions(
            provider="kagi",
            depth="deep",
            search_context_size="high",
            user_location={"type": "approximate", "country": "US"},
            search_type="web",
            kagi_source="news",
        )
    )
    parts = apply(options)
    assert parts.model == MODEL
    assert parts.body["webSearch"] == {
        "enabled": True,
        "provider": "kagi",
        "depth": "deep",
        "search_context_size": "high",
        "user_location": {"type": "approximate", "country": "US"},
        "searchType": "web",
        "kagiSource": "news",
    }


def test_web_search_dict_with_provider_specific_knobs() -> None:
    parts = apply(NanoGPTOptions(web_search={"provider": "perplexity", "maxResults": 5}))
    assert parts.body["webSearch"] == {"enabled": True, "provider": "perplexity", "maxResults": 5}


def test_invalid_web_search_provider_lists_allowed() -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(web_search={"provider": "google"})
    message = str(info.value)
    assert "web_search" in message
    assert "linkup" in message and "valyu" in message


def test_invalid_web_search_variant_lists_allowed() -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(web_search="bing")
    assert "'linkup-deep'" in str(info.value)


@pytest.mark.parametrize(
    ("routing", "suffix"), [("speed", "speed"), ("fast", "speed"), ("cheap", "price"), ("tools", "tools")]
)
def test_routing_suffix(routing: str, suffix: str) -> None:
    assert apply(NanoGPTOptions(routing=routing)).model == f"{MODEL}:{suffix}"


def test_invalid_routing_lists_allowed() -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(routing="quickest")
    message = str(info.value)
    assert "'quickest'" in message
    assert "throughput" in message and "latency" in message


def test_provider_id_goes_to_x_provider_header() -> None:
    parts = apply(NanoGPTOptions(provider=" novita "))
    assert parts.headers == {"X-Provider": "novita"}
    assert "provider" not in parts.body
    assert parts.model == MODEL


def test_provider_routing_object_goes_to_body() -> None:
    routing = ProviderRouting(
        order=["novita", "together"],
        only=["novita"],
        ignore=["deepinfra"],
        sort="price",
        quantizations=["fp8", "bf16"],
        min_quantization="fp8",
        max_price={"prompt": 0.5, "completion": 2},
        allow_fallbacks=False,
        require_parameters=True,
    )
    parts = apply(NanoGPTOptions(provider=routing))
    assert parts.body["provider"] == {
        "order": ["novita", "together"],
        "only": ["novita"],
        "ignore": ["deepinfra"],
        "sort": "price",
        "quantizations": ["fp8", "bf16"],
        "min_quantization": "fp8",
        "max_price": {"prompt": 0.5, "completion": 2},
        "allow_fallbacks": False,
        "require_parameters": True,
    }
    assert "X-Provider" not in parts.headers


def test_provider_routing_from_dict_drops_unset() -> None:
    parts = apply(NanoGPTOptions(provider={"order": ["a"], "allow_fallbacks": False}))
    assert parts.body["provider"] == {"order": ["a"], "allow_fallbacks": False}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"sort": "fastest"}, ["sort", "speed", "throughput"]),
        ({"quantizations": ["fp7"]}, ["quantizations", "fp8"]),
        ({"max_price": {"input": 1}}, ["max_price", "prompt", "completion"]),
        ({"orderr": ["a"]}, ["orderr"]),
    ],
)
def test_invalid_provider_routing(bad: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(provider=bad)
    message = str(info.value)
    assert "provider" in message
    for word in words:
        assert word in message


def test_empty_provider_id_rejected() -> None:
    with pytest.raises(ValueError, match="provider"):
        NanoGPTOptions(provider="  ")


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"routing": "speed", "provider": "novita"}, "provider"),
        ({"routing": "price", "provider": {"order": ["a"]}}, "provider"),
        ({"routing": "tools", "caching": True}, "caching"),
        ({"caching": True, "provider": "novita"}, "provider"),
    ],
)
def test_conflicts_rejected_at_construction(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(**kwargs)
    assert "conflict" in str(info.value)
    assert word in str(info.value)


@pytest.mark.parametrize("mode", ["paygo", "pay-as-you-go", "pay_as_you_go", "paid", "payg"])
def test_billing_mode_header(mode: str) -> None:
    parts = apply(NanoGPTOptions(billing_mode=mode))
    assert parts.headers == {"X-Billing-Mode": mode}
    assert "billing_mode" not in parts.body


def test_billing_modes_match_reference() -> None:
    assert set(BILLING_MODES) == {"paygo", "pay-as-you-go", "pay_as_you_go", "paid", "payg"}


def test_invalid_billing_mode_lists_allowed() -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(billing_mode="subscription")
    message = str(info.value)
    assert "billing_mode" in message and "'subscription'" in message
    assert "'paygo'" in message and "'payg'" in message


def test_caching_and_sticky_provider_body_fields() -> None:
    parts = apply(NanoGPTOptions(caching=True, sticky_provider=False))
    assert parts.body == {"messages": [], "caching": True, "stickyprovider": False}
    assert parts.model == MODEL


def test_caching_false_is_sent_explicitly() -> None:
    assert apply(NanoGPTOptions(caching=False)).body["caching"] is False


def test_sticky_provider_without_caching_rejected() -> None:
    with pytest.raises(ValueError, match="sticky_provider"):
        NanoGPTOptions(sticky_provider=True)


@pytest.mark.parametrize("routing", ["caching", "cache", "cached"])
def test_sticky_provider_with_caching_routing_alias_is_allowed(routing: str) -> None:
    # `:caching`, `:cache` and `:cached` are the same routing (api-reference/miscellaneous/model-suffixes.mdx), and `stickyprovider`
    # applies to cache-capable routing whichever spelling selected it (api-reference/endpoint/chat-completion.mdx, api-reference/miscellaneous/prompt-caching.mdx).
    parts = apply(NanoGPTOptions(routing=routing, sticky_provider=True))
    assert parts.model == f"{MODEL}:caching"
    assert parts.body["stickyprovider"] is True


def test_prompt_caching_true_is_enabled_5m() -> None:
    assert apply(NanoGPTOptions(prompt_caching=True)).body["prompt_caching"] == {"enabled": True, "ttl": "5m"}


def test_prompt_caching_object_all_fields() -> None:
    options = NanoGPTOptions(
        prompt_caching=PromptCaching(
            ttl="1h", cut_after_message_index=1, sticky_provider=True, explicit_cache_control=False
        )
    )
    assert apply(options).body["prompt_caching"] == {
        "enabled": True,
        "ttl": "1h",
        "cut_after_message_index": 1,
        "stickyProvider": True,
        "explicit_cache_control": False,
    }


def test_prompt_caching_dict() -> None:
    parts = apply(NanoGPTOptions(prompt_caching={"ttl": "1h", "sticky_provider": False}))
    assert parts.body["prompt_caching"] == {"enabled": True, "ttl": "1h", "stickyProvider": False}


def test_prompt_caching_false_sends_nothing() -> None:
    assert "prompt_caching" not in apply(NanoGPTOptions(prompt_caching=False)).body


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"ttl": "2h"}, ["ttl", "5m", "1h"]),
        ({"cut_after_message_index": -1}, ["cut_after_message_index"]),
        ({"stickyprovider": True}, ["stickyprovider"]),
    ],
)
def test_invalid_prompt_caching(bad: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(prompt_caching=bad)
    for word in ["prompt_caching", *words]:
        assert word in str(info.value)


@pytest.mark.parametrize("bad", ["yes", "1h", 5])
def test_prompt_caching_of_the_wrong_type_is_rejected(bad: object) -> None:
    # An invalid value must be rejected, not silently dropped from the request.
    with pytest.raises(ValueError, match="prompt_caching"):
        NanoGPTOptions(prompt_caching=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [42, ["novita"]])
def test_provider_of_the_wrong_type_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="provider"):
        NanoGPTOptions(provider=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh"])
def test_reasoning_effort(effort: str) -> None:
    assert apply(NanoGPTOptions(reasoning_effort=effort)).body["reasoning_effort"] == effort
    assert effort in REASONING_EFFORTS


def test_invalid_reasoning_effort_lists_allowed() -> None:
    with pytest.raises(ValueError) as info:
        NanoGPTOptions(reasoning_effort="extreme")
    message = str(info.value)
    assert "reasoning_effort" in message and "'extreme'" in message
    assert "'minimal'" in message and "'xhigh'" in message


def test_reasoning_object() -> None:
    parts = apply(NanoGPTOptions(reasoning={"exclude": True, "effort": "low"}))
    assert parts.body["reasoning"] == {"exclude": True, "effort": "low"}
    parts = apply(NanoGPTOptions(reasoning=ReasoningOptions(delta_field="reasoning_content")))
    assert parts.body["reasoning"] == {"delta_field": "reasoning_content"}


def test_invalid_reasoning_object() -> None:
    with pytest.raises(ValueError, match="reasoning"):
        NanoGPTOptions(reasoning={"effort": "huge"})


def test_extra_headers_are_merged() -> None:
    parts = apply(NanoGPTOptions(extra_headers={"memory": "true"}), headers={"X-Trace": "1"})
    assert parts.headers == {"X-Trace": "1", "memory": "true"}


def test_everything_at_once() -> None:
    options = NanoGPTOptions(
        web_search="deep",
        routing="fast",
        billing_mode="paygo",
        reasoning_effort="high",
        prompt_caching=True,
        extra_headers={"memory": "true"},
    )
    parts = options.apply(MODEL, {"messages": [{"role": "user", "content": "hi"}], "temperature": 0}, {})
    assert parts.model == f"{MODEL}:online/linkup-deep:speed"
    assert parts.body == {
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0,
        "prompt_caching": {"enabled": True, "ttl": "5m"},
        "reasoning_effort": "high",
    }
    assert parts.headers == {"memory": "true", "X-Billing-Mode": "paygo"}


def test_apply_does_not_mutate_inputs() -> None:
    body = {"messages": []}
    headers = {"a": "b"}
    NanoGPTOptions(caching=True, billing_mode="paygo", extra_headers={"c": "d"}).apply(MODEL, body, headers)
    assert body == {"messages": []}
    assert headers == {"a": "b"}


# -- merged (per-call options) --------------------------------------------------------------------


def test_merged_per_call_options_win() -> None:
    base = NanoGPTOptions(routing="speed", billing_mode="paygo", reasoning_effort="low")
    call = base.merged(routing="price", reasoning_effort="high")
    assert apply(call).model == f"{MODEL}:price"
    assert apply(call).body["reasoning_effort"] == "high"
    assert apply(call).headers == {"X-Billing-Mode": "paygo"}
    assert apply(base).model == f"{MODEL}:speed", "the original is untouched"


def test_merged_ignores_none() -> None:
    base = NanoGPTOptions(routing="speed")
    assert base.merged(routing=None, provider=None) == base


def test_merged_is_validated() -> None:
    base = NanoGPTOptions(routing="speed")
    with pytest.raises(ValueError, match="provider"):
        base.merged(provider="novita")
    with pytest.raises(ValueError, match="billing_mode"):
        base.merged(billing_mode="free")


def test_merged_coerces_dicts() -> None:
    call = NanoGPTOptions().merged(provider={"only": ["novita"]}, prompt_caching={"ttl": "1h"})
    assert isinstance(call.provider, ProviderRouting)
    assert isinstance(call.prompt_caching, PromptCaching)
    assert apply(call).body["provider"] == {"only": ["novita"]}


def test_field_names() -> None:
    assert set(NanoGPTOptions.field_names()) == {
        "web_search",
        "routing",
        "provider",
        "billing_mode",
        "caching",
        "sticky_provider",
        "prompt_caching",
        "reasoning_effort",
        "reasoning",
    }
