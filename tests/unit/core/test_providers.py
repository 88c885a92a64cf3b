"""Provider discovery and the provider preflight in the core, without the emulator
(api-reference/miscellaneous/provider-selection.mdx)."""

from __future__ import annotations

import asyncio
import json
import pickle
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    AsyncNanoGPTClient,
    BadRequestError,
    ModelProviders,
    NanoGPTClient,
    NanoGPTError,
    NanoGPTOptions,
    ProviderSelectionError,
    check_provider_selection,
)
from nanogpt_integrations.core.providers import ProvidersCache, discovery_id, providers_path

#: The example response of provider-selection.mdx, verbatim.
DOCS_EXAMPLE: dict[str, Any] = {
    "canonicalId": "moonshotai/kimi-k2.6",
    "displayName": "Kimi K2.6",
    "supportsProviderSelection": True,
    "defaultPrice": {"inputPer1kTokens": 0.0005, "outputPer1kTokens": 0.0026},
    "providers": [
        {"provider": "moonshot", "available": True},
        {
            "provider": "novita",
            "available": True,
            "distillationPolicy": {
                "status": "allowed",
                "label": "License permits distillation",
                "basis": "permissive-open-weights",
                "sourceUrl": "https://example.com/license-or-terms",
                "note": "Provider terms do not record an output-training restriction, and the "
                "model-level policy allows distillation.",
            },
        },
        {"provider": "cloudflare", "available": True},
        {"provider": "baseten", "available": True},
    ],
}
UNSUPPORTED = {"canonicalId": "openai/gpt-4o-mini", "supportsProviderSelection": False, "providers": []}
KIMI = ModelProviders.model_validate(DOCS_EXAMPLE)
GPT = ModelProviders.model_validate(UNSUPPORTED)


def test_the_documented_example_parses() -> None:
    assert KIMI.supports_provider_selection is True
    assert KIMI.provider_ids() == ["moonshot", "novita", "cloudflare", "baseten"]
    assert KIMI.default_price is not None and KIMI.default_price.output_per_1k == 0.0026
    novita = KIMI.get("NOVITA")  # X-Provider is case-insensitive
    assert novita is not None and novita.pricing is None  # the docs' example omits pricing
    assert novita.distillation_policy is not None and novita.distillation_policy.status == "allowed"
    assert KIMI.get("together") is None
    priced = ModelProviders.model_validate(
        {"providers": [{"provider": "p", "available": False, "pricing": {"inputPer1kTokens": 0.1}}]}
    )
    assert priced.provider_ids(available_only=True) == [] and priced.providers[0].pricing is not None


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("moonshotai/kimi-k2.6", "models/moonshotai%2Fkimi-k2.6/providers"),
        ("moonshotai/kimi-k2.6:online/linkup-deep:speed", "models/moonshotai%2Fkimi-k2.6/providers"),
        ("zai-org/glm-5:cerebras", "models/zai-org%2Fglm-5/providers"),
        ("moonshotai/kimi-k2.6:thinking:caching", "models/moonshotai%2Fkimi-k2.6%3Athinking/providers"),
        ("kimi-k2.6", "models/kimi-k2.6/providers"),
    ],
)
def test_discovery_path_encodes_the_slash_and_drops_request_suffixes(model: str, path: str) -> None:
    assert providers_path(model) == path
    assert providers_path(discovery_id(model)) == path


def test_empty_model_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty model id"):
        providers_path("  ")


def parts(model: str, **options: Any) -> tuple[str, dict[str, Any], dict[str, str]]:
    applied = NanoGPTOptions(**options).apply(model, {}, {})
    return applied.model, applied.body, applied.headers


@pytest.mark.parametrize(
    ("info", "model", "options", "phrases"),
    [
        (GPT, "openai/gpt-4o-mini", {"routing": "speed"}, ["routing=':speed'", "would fail with 400"]),
        (GPT, "openai/gpt-4o-mini", {"routing": "tools"}, ["routing=':tools'"]),
        (GPT, "openai/gpt-4o-mini", {"provider": "novita"}, ["'novita'", "would ignore the choice"]),
        (GPT, "openai/gpt-4o-mini", {"provider": {"order": ["a"]}}, ["provider routing object", "ignore"]),
        (
            KIMI,
            "moonshotai/kimi-k2.6",
            {"provider": "acme"},
            ["'acme' is not a provider", "offered: moonshot"],
        ),
        (KIMI, "moonshotai/kimi-k2.6", {"provider": {"only": ["novita", "acme"]}}, ["provider.only 'acme'"]),
    ],
)
def test_preflight_refuses_what_nanogpt_would_reject_or_ignore(
    info: ModelProviders, model: str, options: dict[str, Any], phrases: list[str]
) -> None:
    model_id, body, headers = parts(model, **options)
    with pytest.raises(ProviderSelectionError) as caught:
        check_provider_selection(info, model_id, body, headers)
    for phrase in phrases:
        assert phrase in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, NanoGPTError)
    assert caught.value.model == (info.canonical_id or model)
    assert caught.value.offered == info.provider_ids()


@pytest.mark.parametrize(
    ("info", "model", "options"),
    [
        (GPT, "openai/gpt-4o-mini", {}),
        (GPT, "openai/gpt-4o-mini", {"caching": True}),  # cache-capable routing is not provider selection
        (GPT, "openai/gpt-4o-mini:online", {"billing_mode": "paygo"}),
        (KIMI, "moonshotai/kimi-k2.6", {"routing": "price"}),
        (KIMI, "moonshotai/kimi-k2.6", {"provider": "Novita"}),
        (KIMI, "moonshotai/kimi-k2.6", {"provider": {"only": ["novita"], "order": ["unknown-is-ignored"]}}),
        (KIMI, "moonshotai/kimi-k2.6:baseten", {}),
    ],
)
def test_preflight_accepts_what_nanogpt_honours(
    info: ModelProviders, model: str, options: dict[str, Any]
) -> None:
    check_provider_selection(info, *parts(model, **options))


def test_preflight_error_pickles_with_its_fields() -> None:
    with pytest.raises(ProviderSelectionError) as caught:
        check_provider_selection(KIMI, *parts("moonshotai/kimi-k2.6", provider="acme"))
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.model, copy.offered, str(copy)) == (
        caught.value.model,
        caught.value.offered,
        str(caught.value),
    )


def test_cache_keeps_answers_per_model_until_the_ttl() -> None:
    cache = ProvidersCache(ttl=60)
    cache.set("Moonshotai/Kimi-K2.6", KIMI)
    assert cache.get("moonshotai/kimi-k2.6") is KIMI and cache.get("openai/gpt-4o-mini") is None
    assert ProvidersCache(ttl=0).get("x") is None
    stale = ProvidersCache(ttl=0)
    stale.set("x", GPT)
    assert stale.get("x") is None


# -- the client methods, against a mock transport ----------------------------------------------------


class Server:
    """Answers discovery with the docs' example (or ``reply``) and records what it got."""

    def __init__(self, status: int = 200, reply: Any = None, raw: bytes | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.reply, self.raw = status, reply if reply is not None else DOCS_EXAMPLE, raw

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.raw is not None:
            return httpx.Response(self.status, content=self.raw, headers={"x-request-id": "req_p"})
        return httpx.Response(self.status, json=self.reply, headers={"x-request-id": "req_p"})


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://nano-gpt.com/api/v1", "https://nano-gpt.com/api/models/moonshotai%2Fkimi-k2.6/providers"),
        (
            "https://nano-gpt.com/api/subscription/v1",
            "https://nano-gpt.com/api/models/moonshotai%2Fkimi-k2.6/providers",
        ),
        ("http://127.0.0.1:8765/api/v1", "http://127.0.0.1:8765/api/models/moonshotai%2Fkimi-k2.6/providers"),
    ],
)
def test_discovery_url_is_outside_api_v1_and_cached(base_url: str, url: str) -> None:
    server = Server()
    http = httpx.Client(transport=httpx.MockTransport(server))
    client = NanoGPTClient(api_key="k", base_url=base_url, http_client=http)
    first = client.model_providers("moonshotai/kimi-k2.6:online")
    again = client.model_providers("moonshotai/kimi-k2.6")
    assert again is first and first.provider_ids()[0] == "moonshot"
    assert [str(r.url) for r in server.requests] == [url]
    assert server.requests[0].url.raw_path.endswith(b"moonshotai%2Fkimi-k2.6/providers")
    assert server.requests[0].method == "GET" and server.requests[0].headers["authorization"] == "Bearer k"
    client.model_providers("moonshotai/kimi-k2.6", refresh=True)
    assert len(server.requests) == 2
    other = NanoGPTClient(api_key="k", base_url=base_url, http_client=http)
    other.model_providers("moonshotai/kimi-k2.6")
    assert len(server.requests) == 3, "the cache is per client"


def test_discovery_without_a_key_sends_no_authorization() -> None:
    server = Server()
    client = NanoGPTClient(api_key=None, http_client=httpx.Client(transport=httpx.MockTransport(server)))
    client.model_providers("moonshotai/kimi-k2.6")
    assert "authorization" not in server.requests[0].headers


def test_check_provider_sends_only_discovery_and_raises_before_chat() -> None:
    server = Server(reply=UNSUPPORTED)
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(server)))
    with pytest.raises(ProviderSelectionError, match="would ignore"):
        client.check_provider("openai/gpt-4o-mini", NanoGPTOptions(provider="novita"))
    with pytest.raises(ProviderSelectionError, match="routing"):
        client.check_provider(
            "openai/gpt-4o-mini", body={}, headers={}, options=NanoGPTOptions(routing="fast")
        )
    with pytest.raises(ProviderSelectionError, match="body provider 'x'"):
        client.check_provider("openai/gpt-4o-mini", body={"provider": "x"})
    assert [r.url.path for r in server.requests] == ["/api/models/openai/gpt-4o-mini/providers"]
    assert client.check_provider("openai/gpt-4o-mini").canonical_id == "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("status", "reply", "raw", "error", "text"),
    [
        (400, {"error": 400, "message": "Invalid model ID"}, None, BadRequestError, "Invalid model ID"),
        (200, None, b"<html>gateway</html>", NanoGPTError, "cannot read"),
        (200, {"providers": [{"available": True}]}, None, NanoGPTError, "cannot read"),
    ],
)
def test_misbehaving_discovery_gives_typed_errors(
    status: int, reply: Any, raw: bytes | None, error: type[Exception], text: str
) -> None:
    server = Server(status, reply, raw)
    client = NanoGPTClient(
        api_key="k", max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    with pytest.raises(error, match=text) as caught:
        client.model_providers("acme/nope")
    assert getattr(caught.value, "request_id", None) == "req_p"


def test_async_discovery_and_preflight() -> None:
    server = Server()

    async def main() -> list[str]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(server))
        async with AsyncNanoGPTClient(api_key="k", http_client=http) as client:
            info = await client.model_providers("moonshotai/kimi-k2.6")
            assert (
                await client.check_provider("moonshotai/kimi-k2.6", NanoGPTOptions(routing="price")) is info
            )
            with pytest.raises(ProviderSelectionError, match=r"provider\.only 'acme'"):
                await client.check_provider(
                    "moonshotai/kimi-k2.6", NanoGPTOptions(provider={"only": ["acme"]})
                )
            return info.provider_ids()

    assert asyncio.run(main()) == ["moonshot", "novita", "cloudflare", "baseten"]
    assert len(server.requests) == 1
    assert json.loads(server.requests[0].content or b"null") is None  # a GET without a body
