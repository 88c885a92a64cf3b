"""The Responses API replayed from cassettes (recorded from the emulator, or live with a key).

Replay: ``pytest tests/integration/core`` (no network). Re-record:
``pytest tests/integration/core/test_responses_cassettes.py --record-mode=rewrite``.
"""

from __future__ import annotations

import pytest

from nanogpt_integrations.core import AsyncNanoGPTClient, NanoGPTClient, ResponsesAccumulator

MODEL = "openai/gpt-4o-mini"


@pytest.mark.vcr
def test_create_thread_stream_and_delete(recorded_endpoint: tuple[str, str]) -> None:
    base_url, key = recorded_endpoint
    with NanoGPTClient(api_key=key, base_url=base_url, max_retries=0) as client:
        first = client.responses_create({"model": MODEL, "input": "Say hello", "max_output_tokens": 64})
        assert first.status == "completed" and first.output_text
        assert first.usage is not None and (first.usage.output_tokens or 0) > 0
        second = client.responses_create(
            {"model": MODEL, "input": "Once more", "previous_response_id": first.id, "max_output_tokens": 64}
        )
        assert second.previous_response_id == first.id
        acc = ResponsesAccumulator()
        with client.responses_stream(
            {"model": MODEL, "input": "Say hello", "max_output_tokens": 64}
        ) as stream:
            for event in stream:
                acc.add(event)
        turn = acc.result()
        assert turn.content and turn.finish_reason == "stop"
        assert turn.usage is not None and turn.usage.total_tokens > 0
        assert client.responses_get(first.id or "").id == first.id
        assert client.responses_delete(first.id or "").deleted is True


@pytest.mark.vcr
async def test_async_create(recorded_endpoint: tuple[str, str]) -> None:
    base_url, key = recorded_endpoint
    async with AsyncNanoGPTClient(api_key=key, base_url=base_url, max_retries=0) as client:
        response = await client.responses_create({"model": MODEL, "input": "Say hello async"})
        assert response.output_text
