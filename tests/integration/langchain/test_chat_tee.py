"""ChatNanoGPT with ``verify_tee=True`` against the emulator (pass, tampered, raise, unavailable;
sync, async and streaming) and replayed from cassettes (fixed nonce)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk

from nanogpt_integrations.core import TEEVerificationError
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

pytestmark = pytest.mark.timeout(60)

KEY = "test-key-for-the-emulator"
MODEL = "TEE/llama-3.3-70b-instruct"
REPLY = "Hello! You said: Hello TEE"


def chat(emulator: NanoGPTEmulator, **kwargs: Any) -> ChatNanoGPT:
    kwargs.setdefault("verify_tee", True)
    return ChatNanoGPT(**{"model": MODEL, "api_key": KEY, "base_url": emulator.base_url, **kwargs})


def collect(chunks: Any) -> AIMessageChunk:
    full: AIMessageChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


def verified(message: AIMessage) -> dict[str, Any]:
    result: dict[str, Any] = message.response_metadata["tee_verification"]
    assert result["status"] == "verified", result["reason"]
    assert (result["nonce_ok"], result["signature_valid"], result["digests_match"]) == (True, True, True)
    assert result["request_id"] == message.response_metadata["id"]
    assert result["recovered_address"] == result["signing_address"]
    return result


def test_invoke_is_verified(emulator: NanoGPTEmulator) -> None:
    message = chat(emulator).invoke("Hello TEE")
    result = verified(message)
    assert result["model"] == MODEL and result["request_id"].startswith("chatcmpl-")
    assert "intel_quote" in result["evidence"] and "not verified locally" in result["evidence"]["note"]
    assert [r.path for r in emulator.requests] == [
        "/api/v1/chat/completions",
        "/api/v1/tee/attestation",
        f"/api/v1/tee/signature/{result['request_id']}",
    ]
    assert emulator.last_request("/tee/attestation").query["nonce"]  # a fresh nonce was sent
    assert emulator.last_request("/tee/signature/" + result["request_id"]).query == {
        "model": MODEL,
        "signing_algo": "ecdsa",
    }
    body = emulator.requests[0].body
    assert isinstance(body, dict) and "verify_tee" not in body and "tee_raise_on_failure" not in body
    assert message.content == REPLY
    assert message.usage_metadata is not None and message.response_metadata["cost"] > 0


def test_attestation_uses_the_model_without_suffixes(emulator: NanoGPTEmulator) -> None:
    message = chat(emulator, web_search=True).invoke("Hello TEE")
    assert emulator.last_request("/chat/completions").body["model"] == f"{MODEL}:online"
    assert emulator.last_request("/tee/attestation").query["model"] == MODEL
    verified(message)


def test_stream_is_verified_on_the_last_chunk_only(emulator: NanoGPTEmulator) -> None:
    tokens: list[str] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    chunks = list(chat(emulator).stream("Hello TEE", config={"callbacks": [Tokens()]}))
    assert len(chunks) > 2 and "".join(tokens) == REPLY
    assert all("tee_verification" not in c.response_metadata for c in chunks[:-1])
    assert chunks[-1].chunk_position == "last"
    full = collect(chunks)
    verified(full)
    assert full.content == REPLY and full.usage_metadata is not None
    assert emulator.last_request("/chat/completions").body["stream"] is True


def test_streaming_flag_invoke_is_verified(emulator: NanoGPTEmulator) -> None:
    message = chat(emulator, streaming=True).invoke("Hello TEE")
    verified(message)
    assert emulator.requests[0].body["stream"] is True  # type: ignore[index]


def test_tools_still_work_when_verified(emulator: NanoGPTEmulator) -> None:
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    message = chat(emulator).bind_tools([add]).invoke("Use the tool to add 2 and 3")
    assert message.tool_calls[0]["args"] == {"a": 2, "b": 3}
    verified(message)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("key", "signature recovers to"),
        ("nonce", "does not echo the nonce sent"),
    ],
)
def test_tampered_fails_with_a_reason(emulator: NanoGPTEmulator, mode: str, reason: str) -> None:
    emulator.tee_tampered = mode  # type: ignore[assignment]
    message = chat(emulator).invoke("Hello TEE")
    result = message.response_metadata["tee_verification"]
    assert result["status"] == "failed" and reason in result["reason"]
    assert message.content == REPLY  # the reply is still returned, marked as failed
    full = collect(chat(emulator).stream("Hello TEE"))
    assert full.response_metadata["tee_verification"]["status"] == "failed"


def test_tampered_raises_when_asked(emulator: NanoGPTEmulator) -> None:
    emulator.tee_tampered = True
    with pytest.raises(TEEVerificationError, match="failed") as info:
        chat(emulator, tee_raise_on_failure=True).invoke("Hello TEE")
    assert info.value.verification.signature_valid is False
    assert info.value.request_id is not None and info.value.request_id.startswith("chatcmpl-")
    seen: list[AIMessageChunk] = []
    with pytest.raises(TEEVerificationError):
        for chunk in chat(emulator).stream("Hello TEE", tee_raise_on_failure=True):
            seen.append(chunk)
    assert "".join(str(c.content) for c in seen) == REPLY  # the text streamed; the verdict raised


def test_unavailable_does_not_raise(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(404), times=10, path="/tee/attestation")
    message = chat(emulator, tee_raise_on_failure=True).invoke("Hello TEE")
    result = message.response_metadata["tee_verification"]
    assert result["status"] == "unavailable" and "could not be fetched" in result["reason"]


def test_per_call_and_bind_switch_and_plain_calls_skip_tee(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator, verify_tee=False)
    assert "tee_verification" not in model.invoke("Hello TEE").response_metadata
    verified(model.invoke("Hello TEE", verify_tee=True))
    verified(model.bind(verify_tee=True).invoke("Hello TEE"))
    assert "tee_verification" not in chat(emulator).invoke("Hello TEE", verify_tee=False).response_metadata
    assert sum(r.path.endswith("/tee/attestation") for r in emulator.requests) == 2


async def test_bad_configurations_fail_before_any_request(emulator: NanoGPTEmulator) -> None:
    with pytest.raises(ValueError, match="TEE/ model"):
        chat(emulator, model="openai/gpt-4o-mini")
    plain = chat(emulator, model="openai/gpt-4o-mini", verify_tee=False)
    with pytest.raises(ValueError, match="TEE/ model"):
        plain.invoke("Hello TEE", verify_tee=True)
    with pytest.raises(ValueError, match="TEE/ model"):
        list(plain.stream("Hello TEE", verify_tee=True))
    with pytest.raises(ValueError, match="TEE/ model"):
        await plain.ainvoke("Hello TEE", verify_tee=True)
    with pytest.raises(ValueError, match="TEE/ model"):
        [c async for c in plain.astream("Hello TEE", verify_tee=True)]
    with pytest.raises(ValueError, match="TEE/ model"):  # a per-call model that is not TEE
        chat(emulator).invoke("Hello TEE", model="openai/gpt-4o-mini")
    with pytest.raises(ValueError, match="use_responses_api"):
        chat(emulator, use_responses_api=True)
    with pytest.raises(ValueError, match="use_responses_api"):
        chat(emulator).invoke("Hello TEE", use_responses_api=True)
    assert emulator.requests == []


async def test_async_invoke_and_stream(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)
    verified(await model.ainvoke("Hello TEE"))
    chunks = [c async for c in model.astream("Hello TEE")]
    assert all("tee_verification" not in c.response_metadata for c in chunks[:-1])
    full = collect(chunks)
    verified(full)
    assert full.content == REPLY


async def test_async_tampered(emulator: NanoGPTEmulator) -> None:
    emulator.tee_tampered = "hashes"  # genuine signature, other digests: partial, never raised
    message = await chat(emulator, tee_raise_on_failure=True).ainvoke("Hello TEE")
    result = message.response_metadata["tee_verification"]
    assert (result["status"], result["signature_valid"], result["digests_match"]) == ("partial", True, False)
    assert "exact response bytes" in result["reason"]
    emulator.tee_tampered = "key"
    with pytest.raises(TEEVerificationError, match="signature recovers to"):
        await chat(emulator, tee_raise_on_failure=True).ainvoke("Hello TEE")
    with pytest.raises(TEEVerificationError):
        [c async for c in chat(emulator, tee_raise_on_failure=True).astream("Hello TEE")]


async def test_async_batch_verifies_each_reply(emulator: NanoGPTEmulator) -> None:
    messages = await chat(emulator).abatch(["Hello TEE", "Hello again"])
    assert [verified(m)["status"] for m in messages] == ["verified", "verified"]
    assert [m.content for m in messages] == [REPLY, "Hello! You said: Hello again"]


# -- cassette replay (fixed nonce: the attestation query must match the recording) ------------------


@pytest.fixture
def recorded(
    recorded_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> ChatNanoGPT:
    nonce = ("d" if "async" in request.node.name else "c") * 64  # as recorded in the cassettes
    monkeypatch.setattr("nanogpt_integrations.core.tee.new_nonce", lambda: nonce)
    base_url, key = recorded_endpoint
    return ChatNanoGPT(model=MODEL, api_key=key, base_url=base_url, verify_tee=True)


@pytest.mark.vcr
def test_cassette_verified_invoke_and_stream(recorded: ChatNanoGPT) -> None:
    message = recorded.invoke("Hello TEE")
    assert verified(message)["model"] == MODEL
    full = collect(recorded.stream("Hello TEE"))
    verified(full)
    assert full.content == message.content


@pytest.mark.vcr
async def test_cassette_verified_async(recorded: ChatNanoGPT) -> None:
    verified(await recorded.ainvoke("Hello TEE"))
    verified(collect([c async for c in recorded.astream("Hello TEE")]))
