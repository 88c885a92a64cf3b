"""TEE-verified chat replayed from cassettes (fixed nonces, so the attestation query matches).

Re-record: ``pytest tests/integration/core/test_tee_cassettes.py --record-mode=rewrite``.
"""

from __future__ import annotations

import pytest

from nanogpt_integrations.core import NanoGPTClient, RawExchange, StreamAccumulator

MODEL = "TEE/llama-3.3-70b-instruct"
NONCE = "c" * 64


@pytest.mark.vcr
def test_verified_chat_and_stream(recorded_endpoint: tuple[str, str]) -> None:
    base_url, key = recorded_endpoint
    with NanoGPTClient(api_key=key, base_url=base_url, max_retries=0) as client:
        body = {"model": MODEL, "messages": [{"role": "user", "content": "Hello TEE"}]}
        exchange = RawExchange()
        completion = client.chat(body, capture=exchange)
        result = client.tee_verify(exchange, model=MODEL, completion_id=completion.id or "", nonce=NONCE)
        assert result.status == "verified", result.reason
        assert result.evidence  # NVIDIA / Intel evidence passed through for external checks

        streamed = RawExchange()
        acc = StreamAccumulator()
        for chunk in client.stream_chat(body, capture=streamed):
            acc.add(chunk)
        result = client.tee_verify(streamed, model=MODEL, completion_id=acc.result().id or "", nonce=NONCE)
        assert result.status == "verified", result.reason
