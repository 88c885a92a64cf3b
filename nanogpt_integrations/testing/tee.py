"""TEE attestation and signatures (ref §13), made with a fixed TEST key, plus a tampered mode.

Chat completions for TEE models (`TEE/`, GPU-TEE `phala/`) are recorded by completion id with the sha256 of the exact
request body and of the exact response body (for streams: every SSE byte, `[DONE]` included).
`GET /api/v1/tee/signature/{id}` then signs `"<request sha256>:<response sha256>"` (the text format
the docs' script implies, ref §13 [uncertain]) with EIP-191 personal_sign; the attestation reports
the key's address. Both `/api/v1/tee/...` and `/v1/tee/...` are served (the docs disagree, ref §13);
inject a 404 fault on one of them to test a client's fallback.

Tampered modes (`NanoGPTEmulator.tee_tampered`): `"key"` signs with another key, `"hashes"` signs
other digests with the right key (as if the gateway had rewritten a body), `"opaque"` signs a text
without digests, `"nonce"` echoes a different nonce. The crypto needs the `tee` extra.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from nanogpt_integrations.core.tee import address_of, sign_personal

from .catalogue import lookup
from .errors import ApiError, missing
from .recording import RecordedRequest
from .responses import Response, StreamResponse, json_response

TamperMode = Literal["key", "hashes", "opaque", "nonce"]

#: Deterministic TEST keys (never use for anything real): sha256 of fixed strings.
TEST_SIGNING_KEY = hashlib.sha256(b"nanogpt-integrations emulator TEE test signing key").digest()
OTHER_SIGNING_KEY = hashlib.sha256(b"nanogpt-integrations emulator TEE tampered key").digest()

Handler = Callable[[RecordedRequest, Any], "Response | StreamResponse"]


@dataclass
class TEERegistry:
    """Hashes of TEE chat exchanges by completion id, and the tampered mode (thread-safe)."""

    tampered: TamperMode | None = None
    _hashes: dict[str, tuple[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, completion_id: str, request_body: bytes, response_body: bytes) -> None:
        digests = (hashlib.sha256(request_body).hexdigest(), hashlib.sha256(response_body).hexdigest())
        with self._lock:
            self._hashes[completion_id] = digests

    def hashes(self, completion_id: str) -> tuple[str, str] | None:
        with self._lock:
            return self._hashes.get(completion_id)

    def clear(self) -> None:
        with self._lock:
            self._hashes.clear()
            self.tampered = None


def _completion_id(response: Response | StreamResponse) -> str | None:
    try:
        if isinstance(response, StreamResponse):
            first = response.frames[0]
            payload = json.loads(first[len(b"data: ") :])
        else:
            payload = json.loads(response.body)
    except (IndexError, ValueError):
        return None
    value = payload.get("id") if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def recording_tee(handler: Handler) -> Handler:
    """Wrap the chat handler: record request/response hashes of successful `TEE/` completions."""

    def handle(call: RecordedRequest, state: Any) -> Response | StreamResponse:
        response = handler(call, state)
        model = call.body.get("model") if isinstance(call.body, dict) else None
        if isinstance(model, str) and is_tee(model) and response.status == 200:
            completion_id = _completion_id(response)
            if completion_id is not None:
                body = b"".join(response.frames) if isinstance(response, StreamResponse) else response.body
                state.tee.record(completion_id, call.raw_body, body)
        return response

    return handle


def is_tee(model: str) -> bool:
    """A TEE model of the emulator's catalogue; ids outside it (the `accept_any_model` mode) by their
    documented prefixes `TEE/` (tee-verification.mdx) and GPU-TEE `phala/` (endpoint/chat-completion.mdx)."""
    spec = lookup(model.split(":")[0])
    return spec.tee if spec is not None else model.lower().startswith(("tee/", "phala/"))


def _tee_model(call: RecordedRequest) -> str:
    model = call.query.get("model")
    if not model:
        raise missing("model")
    if not is_tee(model):
        raise ApiError(400, f"{model} is not a TEE model", code="model_not_allowed", param="model")
    return model


def handle_attestation(call: RecordedRequest, state: Any) -> Response:
    """`GET /api/v1/tee/attestation?model=&nonce=` (shape per the docs' script, ref §13)."""
    model = _tee_model(call)
    nonce = call.query.get("nonce") or ""
    registry: TEERegistry = state.tee
    if registry.tampered == "nonce":
        nonce = hashlib.sha256(nonce.encode()).hexdigest()
    nvidia = {
        "nonce": nonce,
        "arch": "HOPPER",
        "evidence_list": [
            {"evidence": "ZW11bGF0b3ItZXZpZGVuY2U=", "certificate": "ZW11bGF0b3ItY2VydA==", "arch": "HOPPER"}
        ],
    }
    return json_response(
        {
            "model": model,
            "nonce": nonce,
            "signing_address": address_of(TEST_SIGNING_KEY),
            "signing_algo": "ecdsa",
            "nvidia_payload": json.dumps(nvidia),  # ref §13: a JSON string
            "intel_quote": "04000200" + hashlib.sha256(nonce.encode()).hexdigest(),  # fake hex TDX quote
        }
    )


def handle_signature(call: RecordedRequest, state: Any) -> Response:
    """`GET /api/v1/tee/signature/{id}?model=&signing_algo=ecdsa` (ref §13)."""
    _tee_model(call)
    algo = call.query.get("signing_algo", "ecdsa")
    if algo != "ecdsa":
        raise ApiError(400, f"Unsupported signing_algo: {algo}", param="signing_algo")
    completion_id = call.path.rsplit("/", 1)[-1]
    registry: TEERegistry = state.tee
    digests = registry.hashes(completion_id)
    if digests is None:
        raise ApiError(404, f"No signature for request {completion_id}", code="not_found")
    request_hash, response_hash = digests
    if registry.tampered == "hashes":
        response_hash = hashlib.sha256(b"tampered " + response_hash.encode()).hexdigest()
    text = f"{request_hash}:{response_hash}"
    if registry.tampered == "opaque":
        text = f"chat completion {completion_id} served in the enclave"
    key = OTHER_SIGNING_KEY if registry.tampered == "key" else TEST_SIGNING_KEY
    return json_response(
        {
            "text": text,
            "signature": sign_personal(text, key),
            "signing_address": address_of(TEST_SIGNING_KEY),
            "signing_algo": "ecdsa",
        }
    )
