"""Provider discovery and the provider preflight end to end: core clients and both adapters against
the emulator, which answers the way provider-selection.mdx describes."""

from __future__ import annotations

import asyncio

import pytest

from nanogpt_integrations.core import (
    AsyncNanoGPTClient,
    BadRequestError,
    NanoGPTClient,
    NanoGPTOptions,
    ProviderSelectionError,
)
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

KEY = "test-key"
KIMI = "moonshotai/kimi-k2.6"


def paths(emulator: NanoGPTEmulator) -> list[str]:
    return [r.path for r in emulator.requests]


def test_core_discovery_and_preflight(emulator: NanoGPTEmulator) -> None:
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        info = client.model_providers(f"{KIMI}:online")
        assert info.canonical_id == KIMI and info.supports_provider_selection
        assert info.provider_ids() == ["moonshot", "novita", "cloudflare", "baseten"]
        novita = info.get("novita")
        assert novita is not None and novita.pricing is not None and novita.pricing.input_per_1k == 0.0004
        assert client.check_provider(KIMI, NanoGPTOptions(provider="novita")) is info  # cached
        with pytest.raises(ProviderSelectionError, match="routing=':speed'"):
            client.check_provider("openai/gpt-4o-mini", NanoGPTOptions(routing="speed"))
        assert paths(emulator) == [
            "/api/models/moonshotai%2Fkimi-k2.6/providers",
            "/api/models/openai%2Fgpt-4o-mini/providers",
        ]
        with pytest.raises(BadRequestError, match="Invalid model ID") as caught:
            client.model_providers("acme/nope")
        assert caught.value.status == 400


def test_preflight_agrees_with_the_server(emulator: NanoGPTEmulator) -> None:
    """What the preflight refuses, the emulator rejects (or ignores); what it accepts is served."""
    cases = [
        ("openai/gpt-4o-mini", NanoGPTOptions(routing="speed"), 400),
        (KIMI, NanoGPTOptions(provider={"only": ["acme"]}), 400),
        (KIMI, NanoGPTOptions(provider="acme"), 400),
        (KIMI, NanoGPTOptions(provider="novita"), 200),
        (KIMI, NanoGPTOptions(routing="price"), 200),
    ]
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url, max_retries=0) as client:
        for model, options, status in cases:
            refused = False
            try:
                client.check_provider(model, options)
            except ProviderSelectionError:
                refused = True
            parts = options.apply(model, {"messages": [{"role": "user", "content": "Hi"}]}, {})
            try:
                client.chat({"model": parts.model, **parts.body}, headers=parts.headers)
                served = 200
            except BadRequestError as exc:
                served = exc.status or 0
            assert (refused, served) == (status != 200, status), (model, options)
    assert emulator.last_provider == "novita"  # :price picks the cheapest offered provider


def test_ignored_provider_is_refused_by_the_preflight_and_ignored_by_the_server(
    emulator: NanoGPTEmulator,
) -> None:
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        with pytest.raises(ProviderSelectionError, match="would ignore the choice"):
            client.check_provider("openai/gpt-4o-mini", NanoGPTOptions(provider="novita"))
        client.chat(
            {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
            headers={"X-Provider": "novita"},
        )
    assert emulator.last_provider == "openai"


def test_langchain_adapter_methods(emulator: NanoGPTEmulator) -> None:
    llm = ChatNanoGPT(model=KIMI, provider="novita", api_key=KEY, base_url=emulator.base_url)
    assert llm.providers().provider_ids()[:2] == ["moonshot", "novita"]
    assert llm.check_provider().canonical_id == KIMI
    assert asyncio.run(llm.aproviders()).canonical_id == KIMI
    assert asyncio.run(llm.acheck_provider()).supports_provider_selection
    wrong = ChatNanoGPT(model="openai/gpt-4o-mini", routing="price", api_key=KEY, base_url=emulator.base_url)
    with pytest.raises(ProviderSelectionError, match="supportsProviderSelection: false"):
        wrong.check_provider()
    with pytest.raises(ProviderSelectionError):
        asyncio.run(wrong.acheck_provider())
    assert all(p.endswith("/providers") for p in paths(emulator)), "no chat request was sent"


def test_llama_index_adapter_methods(emulator: NanoGPTEmulator) -> None:
    llm = NanoGPTLLM(model=KIMI, provider={"only": ["baseten"]}, api_key=KEY, api_base=emulator.base_url)
    assert llm.providers().get("baseten") is not None
    assert llm.check_provider().canonical_id == KIMI
    assert asyncio.run(llm.aproviders()).canonical_id == KIMI
    wrong = NanoGPTLLM(model=KIMI, provider={"only": ["acme"]}, api_key=KEY, api_base=emulator.base_url)
    with pytest.raises(ProviderSelectionError, match=r"provider\.only 'acme'"):
        wrong.check_provider()
    with pytest.raises(ProviderSelectionError):
        asyncio.run(wrong.acheck_provider())
    assert all(p.endswith("/providers") for p in paths(emulator)), "no chat request was sent"


def test_async_client_discovery(emulator: NanoGPTEmulator) -> None:
    async def main() -> bool:
        async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
            info = await client.model_providers("anthropic/claude-sonnet-4.5")
            return info.supports_provider_selection

    assert asyncio.run(main()) is False
