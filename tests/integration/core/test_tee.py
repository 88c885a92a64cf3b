"""TEE-verified chat through both core clients against the emulator: pass, tampered and fallback paths."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from nanogpt_integrations.core import (
    AsyncNanoGPTClient,
    NanoGPTClient,
    NotFoundError,
    RawExchange,
    StreamAccumulator,
)
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

KEY = "test-key-for-the-emulator"
MODEL = "TEE/llama-3.3-70b-instruct"
NONCE = "a" * 64


def payload(text: str = "Hello TEE") -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


@pytest.fixture
def client(emulator: NanoGPTEmulator) -> NanoGPTClient:
    return NanoGPTClient(api_key=KEY, base_url=emulator.base_url, max_retries=0)


def test_chat_capture_holds_the_exact_bytes(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    exchange = RawExchange()
    client.chat(payload(), capture=exchange)
    assert exchange.request_body == emulator.last_request("/chat/completions").raw_body
    assert exchange.response_body.startswith(b'{"id": "chatcmpl-')


def test_verified_chat(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    exchange = RawExchange()
    completion = client.chat(payload(), capture=exchange)
    result = client.tee_verify(exchange, model=MODEL, completion_id=completion.id or "", nonce=NONCE)
    assert result.status == "verified", result.reason
    assert (result.nonce_ok, result.signature_valid, result.digests_match) == (True, True, True)
    assert result.request_hash == hashlib.sha256(exchange.request_body).hexdigest()
    attestation = emulator.last_request("/tee/attestation")
    assert (attestation.path, attestation.query) == (
        "/api/v1/tee/attestation",
        {"model": MODEL, "nonce": NONCE},
    )
    signature = emulator.last_request(f"/tee/signature/{completion.id}")
    assert signature.query == {"model": MODEL, "signing_algo": "ecdsa"}
    assert signature.headers["authorization"] == f"Bearer {KEY}"
    assert "nvidia_payload" in result.evidence and "intel_quote" in result.evidence


def test_verified_stream_over_the_raw_sse_bytes(client: NanoGPTClient) -> None:
    exchange = RawExchange()
    acc = StreamAccumulator()
    with client.stream_chat(payload(), capture=exchange) as stream:
        for chunk in stream:
            acc.add(chunk)
    assert exchange.response_body.startswith(b"data: ") and exchange.response_body.endswith(
        b"data: [DONE]\n\n"
    )
    turn = acc.result()
    result = client.tee_verify(exchange, model=MODEL, completion_id=turn.id or "")
    assert result.status == "verified", result.reason
    assert result.nonce_ok is True  # a random nonce was generated and echoed


@pytest.mark.parametrize(
    ("mode", "status", "signature", "digests", "reason"),
    [
        ("key", "failed", False, True, "signature recovers to"),
        ("nonce", "failed", True, True, "does not echo the nonce"),
        # A genuine signature over other bytes (a body the gateway rewrote): not a failure.
        ("hashes", "partial", True, False, "exact response bytes"),
        ("opaque", "partial", True, "unknown", "carries no sha256 digests"),
    ],
)
def test_tampered_emulator_reports_signature_and_digests_apart(
    client: NanoGPTClient,
    emulator: NanoGPTEmulator,
    mode: str,
    status: str,
    signature: bool,
    digests: bool | str,
    reason: str,
) -> None:
    emulator.tee_tampered = mode  # type: ignore[assignment]
    exchange = RawExchange()
    completion = client.chat(payload(), capture=exchange)
    result = client.tee_verify(exchange, model=MODEL, completion_id=completion.id or "")
    assert (result.status, result.signature_valid, result.digests_match) == (status, signature, digests)
    assert reason in result.reason
    assert result.to_dict()["digests_match"] == digests and not result.verified


def test_changed_response_bytes_are_partial_not_failed(client: NanoGPTClient) -> None:
    exchange = RawExchange()
    completion = client.chat(payload(), capture=exchange)
    exchange.set_response(exchange.response_body.replace(b"Hello", b"Howdy"))
    result = client.tee_verify(exchange, model=MODEL, completion_id=completion.id or "")
    assert (result.status, result.signature_valid, result.digests_match) == ("partial", True, False)
    assert "re-serialised" in result.reason


def test_gpu_tee_phala_model_is_verified(client: NanoGPTClient) -> None:
    exchange = RawExchange()
    model = "phala/llama-3.3-70b-instruct"
    completion = client.chat({**payload(), "model": model}, capture=exchange)
    result = client.tee_verify(exchange, model=model, completion_id=completion.id or "")
    assert result.status == "verified", result.reason


def test_falls_back_to_v1_tee_on_404_and_remembers_it(
    client: NanoGPTClient, emulator: NanoGPTEmulator
) -> None:
    # This emulator serves only /v1/tee/... (the /api/v1/tee/... routes answer 404).
    emulator.inject(Fault.http_status(404, message="Unknown route"), times=10, path="/api/v1/tee/attestation")
    emulator.inject(Fault.http_status(404, message="Unknown route"), times=10, path="/api/v1/tee/signature")
    exchange = RawExchange()
    completion = client.chat(payload(), capture=exchange)
    before = len(emulator.requests)
    result = client.tee_verify(exchange, model=MODEL, completion_id=completion.id or "", nonce=NONCE)
    assert result.status == "verified", result.reason
    paths = [r.path for r in emulator.requests[before:]]
    # attestation: /api/v1 (404) then /v1; the signature goes straight to the prefix that answered
    assert paths == ["/api/v1/tee/attestation", "/v1/tee/attestation", f"/v1/tee/signature/{completion.id}"]


def test_404_on_both_tee_paths_raises(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(404), times=10, path="/v1/tee/attestation")  # matches both paths
    with pytest.raises(NotFoundError):
        client.tee_attestation(MODEL, nonce=NONCE)
    assert [r.path for r in emulator.requests] == ["/api/v1/tee/attestation", "/v1/tee/attestation"]


def test_unreachable_attestation_is_unavailable(client: NanoGPTClient, emulator: NanoGPTEmulator) -> None:
    exchange = RawExchange()
    completion = client.chat(payload(), capture=exchange)
    emulator.inject(Fault.http_status(404), times=10, path="/tee/attestation")
    result = client.tee_verify(exchange, model=MODEL, completion_id=completion.id or "")
    assert result.status == "unavailable"
    assert "could not be fetched" in result.reason


def test_unknown_request_id_is_unavailable(client: NanoGPTClient) -> None:
    exchange = RawExchange()
    client.chat(payload(), capture=exchange)
    result = client.tee_verify(exchange, model=MODEL, completion_id="chatcmpl-unknown")
    assert result.status == "unavailable"


def test_non_tee_model_is_rejected_before_any_request(
    client: NanoGPTClient, emulator: NanoGPTEmulator
) -> None:
    with pytest.raises(ValueError, match="TEE/ model"):
        client.tee_attestation("openai/gpt-4o-mini")
    with pytest.raises(ValueError, match="TEE/ model"):
        client.tee_signature("chatcmpl-1", "openai/gpt-4o-mini")
    with pytest.raises(ValueError, match="TEE/ model"):
        client.tee_verify(RawExchange(), model="openai/gpt-4o-mini", completion_id="x")
    assert emulator.requests == []


async def test_async_chat_and_stream_verified_and_tampered(emulator: NanoGPTEmulator) -> None:
    async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        exchange = RawExchange()
        completion = await client.chat(payload(), capture=exchange)
        result = await client.tee_verify(
            exchange, model=MODEL, completion_id=completion.id or "", nonce=NONCE
        )
        assert result.status == "verified", result.reason

        streamed = RawExchange()
        acc = StreamAccumulator()
        async for chunk in await client.stream_chat(payload("stream me"), capture=streamed):
            acc.add(chunk)
        result = await client.tee_verify(streamed, model=MODEL, completion_id=acc.result().id or "")
        assert result.status == "verified", result.reason

        emulator.tee_tampered = True
        result = await client.tee_verify(streamed, model=MODEL, completion_id=acc.result().id or "")
        assert result.status == "failed" and result.signature_valid is False

        emulator.inject(Fault.http_status(404), times=1, path="/api/v1/tee/attestation")
        attestation = await client.tee_attestation(MODEL, nonce=NONCE)
        assert attestation.nonce == NONCE and attestation.requested_nonce == NONCE
        assert emulator.last_request().path == "/v1/tee/attestation"
