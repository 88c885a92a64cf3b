"""NanoGPTLLM with verify_tee=True against the emulator (pass, tampered, raise) and from cassettes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from nanogpt_integrations.core import TEEVerificationError
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

pytestmark = pytest.mark.timeout(60)

KEY = "test-key-for-the-emulator"
MODEL = "TEE/llama-3.3-70b-instruct"
HELLO = [ChatMessage(role=MessageRole.USER, content="Hello TEE")]
Factory = Callable[..., NanoGPTLLM]


@pytest.fixture
def make_llm(emulator: NanoGPTEmulator) -> Factory:
    def factory(**kwargs: Any) -> NanoGPTLLM:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("api_base", emulator.base_url)
        kwargs.setdefault("verify_tee", True)
        kwargs.setdefault("context_window", 32_000)
        kwargs.setdefault("is_function_calling_model", True)
        return NanoGPTLLM(**kwargs)

    return factory


def test_chat_is_verified(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    response = make_llm().chat(HELLO)
    result = response.additional_kwargs["tee_verification"]
    assert result["status"] == "verified", result["reason"]
    assert (result["nonce_ok"], result["signature_valid"], result["digests_match"]) == (True, True, True)
    assert result["model"] == MODEL and result["request_id"].startswith("chatcmpl-")
    assert "intel_quote" in result["evidence"]
    assert [r.path for r in emulator.requests] == [
        "/api/v1/chat/completions",
        "/api/v1/tee/attestation",
        f"/api/v1/tee/signature/{result['request_id']}",
    ]
    assert response.message.content == "Hello! You said: Hello TEE"


def test_attestation_uses_the_model_without_suffixes(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    response = make_llm(web_search=True).chat(HELLO)
    assert emulator.last_request("/chat/completions").body["model"] == f"{MODEL}:online"
    assert emulator.last_request("/tee/attestation").query["model"] == MODEL
    assert response.additional_kwargs["tee_verification"]["status"] == "verified"


def test_stream_is_verified_on_the_last_response_only(make_llm: Factory) -> None:
    streamed = list(make_llm().stream_chat(HELLO))
    assert len(streamed) > 2
    assert all("tee_verification" not in r.additional_kwargs for r in streamed[:-1])
    result = streamed[-1].additional_kwargs["tee_verification"]
    assert result["status"] == "verified", result["reason"]
    assert "".join(r.delta or "" for r in streamed) == "Hello! You said: Hello TEE"


def test_tampered_fails_with_reason_or_raises(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.tee_tampered = True
    result = make_llm().chat(HELLO).additional_kwargs["tee_verification"]
    assert result["status"] == "failed" and "signature recovers to" in result["reason"]
    with pytest.raises(TEEVerificationError, match="failed") as info:
        make_llm(tee_raise_on_failure=True).chat(HELLO)
    assert info.value.verification.signature_valid is False
    with pytest.raises(TEEVerificationError):
        list(make_llm(tee_raise_on_failure=True).stream_chat(HELLO))


def test_unavailable_does_not_raise(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(404), times=10, path="/tee/attestation")
    response = make_llm(tee_raise_on_failure=True).chat(HELLO)
    assert response.additional_kwargs["tee_verification"]["status"] == "unavailable"


def test_per_call_switch_and_plain_calls_skip_tee(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(verify_tee=False)
    assert "tee_verification" not in llm.chat(HELLO).additional_kwargs
    assert llm.chat(HELLO, verify_tee=True).additional_kwargs["tee_verification"]["status"] == "verified"
    assert "verify_tee" not in (emulator.requests[0].body or {})


def test_bad_configurations_fail_before_any_request(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    with pytest.raises(ValueError, match="TEE/ model"):
        make_llm(model="openai/gpt-4o-mini").chat(HELLO)
    with pytest.raises(ValueError, match="TEE/ model"):
        list(make_llm(model="openai/gpt-4o-mini").stream_chat(HELLO))
    with pytest.raises(ValueError, match="use_responses_api"):
        make_llm(use_responses_api=True).chat(HELLO)
    assert emulator.requests == []


async def test_async_chat_and_stream(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    response = await llm.achat(HELLO)
    assert response.additional_kwargs["tee_verification"]["status"] == "verified"
    chunks = [r async for r in await llm.astream_chat(HELLO)]
    assert chunks[-1].additional_kwargs["tee_verification"]["status"] == "verified"
    emulator.tee_tampered = "opaque"  # genuine signature, no digests to compare: partial, not raised
    result = (await make_llm(tee_raise_on_failure=True).achat(HELLO)).additional_kwargs["tee_verification"]
    assert (result["status"], result["signature_valid"], result["digests_match"]) == (
        "partial",
        True,
        "unknown",
    )
    emulator.tee_tampered = "key"
    with pytest.raises(TEEVerificationError, match="signature recovers to"):
        await make_llm(tee_raise_on_failure=True).achat(HELLO)
    with pytest.raises(ValueError, match="TEE/ model"):
        await make_llm(model="openai/gpt-4o-mini").achat(HELLO)


# -- cassette replay (fixed nonce: the attestation query must match the recording) ------------------


@pytest.mark.vcr
def test_cassette_verified_chat_and_stream(
    recorded_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nanogpt_integrations.core.tee.new_nonce", lambda: "b" * 64)
    base_url, key = recorded_endpoint
    llm = NanoGPTLLM(
        model=MODEL,
        api_key=key,
        api_base=base_url,
        verify_tee=True,
        context_window=32_000,
        is_function_calling_model=True,
    )
    result = llm.chat(HELLO).additional_kwargs["tee_verification"]
    assert result["status"] == "verified", result["reason"]
    streamed = list(llm.stream_chat(HELLO))
    result = streamed[-1].additional_kwargs["tee_verification"]
    assert result["status"] == "verified", result["reason"]
