"""TEE verification: EIP-191 recovery against a known vector, signed-text parsing, verify_tee outcomes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pytest

from nanogpt_integrations.core import (
    TEEAttestation,
    TEESignature,
    TEEVerificationError,
    is_tee_model,
    verify_tee,
)
from nanogpt_integrations.core.tee import (
    address_of,
    eip191_hash,
    keccak256,
    new_nonce,
    parse_signed_hashes,
    recover_address,
    require_tee_model,
    sign_personal,
)

# The web3.js documentation vector (``web3.eth.accounts.sign("Some data", KEY)``), reproduced
# here with coincurve + pycryptodome: the same hash, the same RFC 6979 signature, the same address.
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
MESSAGE_HASH = "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
SIGNATURE = (
    "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
    "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c"
)
OTHER_KEY = hashlib.sha256(b"another key").digest()

REQUEST = b'{"model":"TEE/x","messages":[{"role":"user","content":"hi"}]}'
RESPONSE = b'{"id":"chatcmpl-1","choices":[]}'
REQ_HASH = hashlib.sha256(REQUEST).hexdigest()
RESP_HASH = hashlib.sha256(RESPONSE).hexdigest()


def test_keccak_is_ethereum_keccak_not_sha3() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_known_eip191_vector() -> None:
    assert eip191_hash("Some data").hex() == MESSAGE_HASH
    assert address_of(KEY) == ADDRESS.lower()
    assert sign_personal("Some data", KEY) == SIGNATURE
    assert recover_address("Some data", SIGNATURE) == ADDRESS.lower()


def test_recovery_accepts_v_0_1_and_rejects_malformed_signatures() -> None:
    raw = bytes.fromhex(SIGNATURE[2:])
    compact = raw[:64] + bytes([raw[64] - 27])
    assert recover_address("Some data", compact.hex()) == ADDRESS.lower()
    assert recover_address("Other data", SIGNATURE) != ADDRESS.lower()
    with pytest.raises(ValueError, match="65 bytes"):
        recover_address("x", "0x1234")
    with pytest.raises(ValueError, match="recovery id"):
        recover_address("x", "0x" + (raw[:64] + bytes([5])).hex())
    with pytest.raises(ValueError, match="not hex"):
        recover_address("x", "0xzz")


@pytest.mark.parametrize(
    "text",
    [
        f"{REQ_HASH}:{RESP_HASH}",
        f"0x{REQ_HASH.upper()} 0x{RESP_HASH}",
        json.dumps({"request_hash": REQ_HASH, "response_hash": RESP_HASH}),
        f"TEE/x:{REQ_HASH}:{RESP_HASH}:1700000000",
    ],
)
def test_signed_text_formats(text: str) -> None:
    assert parse_signed_hashes(text) == [REQ_HASH, RESP_HASH]


def test_signed_text_ignores_longer_hex_runs() -> None:
    assert parse_signed_hashes("ab" * 40) == []


def test_model_checks() -> None:
    assert is_tee_model("TEE/llama-3.3-70b-instruct") and is_tee_model("tee/x")
    assert is_tee_model("phala/deepseek-v3") and is_tee_model("Phala/x")  # GPU-TEE (chat-completion.mdx)
    assert not is_tee_model("openai/gpt-4o-mini") and not is_tee_model("phalanx/model")
    with pytest.raises(ValueError, match="TEE/ model"):
        require_tee_model("openai/gpt-4o-mini")
    nonce = new_nonce()
    assert len(nonce) == 64 and nonce != new_nonce()


def attestation(nonce: str = "n1", address: str = ADDRESS) -> TEEAttestation:
    att = TEEAttestation.model_validate(
        {"nonce": nonce, "signing_address": address, "nvidia_payload": "{}", "intel_quote": "0400"}
    )
    att._requested_nonce = "n1"
    return att


def signature(text: str = f"{REQ_HASH}:{RESP_HASH}", key: bytes = KEY) -> TEESignature:
    return TEESignature(text=text, signature=sign_personal(text, key), signing_address=ADDRESS)


def test_verified() -> None:
    result = verify_tee(
        attestation=attestation(), signature=signature(), request_body=REQUEST, response_body=RESPONSE
    )
    assert result.status == "verified", result.reason
    assert (result.nonce_ok, result.signature_valid, result.digests_match) == (True, True, True)
    assert result.recovered_address == ADDRESS.lower()
    assert result.evidence["intel_quote"] == "0400"  # passed through, never claimed verified
    assert "not verified locally" in result.evidence["note"]
    assert result.to_dict()["status"] == "verified"


@pytest.mark.parametrize(
    ("att", "sig", "reason"),
    [
        (attestation(nonce="other"), signature(), "does not echo the nonce"),
        (attestation(), signature(key=OTHER_KEY), "not the attested"),
        (attestation(), TEESignature(text="t", signature="0x12"), "malformed signature"),
    ],
)
def test_failed_only_when_signature_or_nonce_fail(
    att: TEEAttestation, sig: TEESignature, reason: str
) -> None:
    result = verify_tee(attestation=att, signature=sig, request_body=REQUEST, response_body=RESPONSE)
    assert result.status == "failed"
    assert reason in result.reason
    with pytest.raises(TEEVerificationError, match="failed") as info:
        raise TEEVerificationError(result)
    assert info.value.verification is result


@pytest.mark.parametrize(
    ("sig", "request_body", "response_body", "digests", "reason"),
    [
        (signature(text=f"{REQ_HASH}:{'0' * 64}"), REQUEST, RESPONSE, False, "exact response bytes"),
        (signature(), REQUEST + b" ", RESPONSE, False, "exact request bytes"),
        (signature(text="no digests"), REQUEST, RESPONSE, "unknown", "carries no sha256 digests"),
        (signature(), b"", RESPONSE, "unknown", "were not captured"),
        (signature(), REQUEST, b"", "unknown", "were not captured"),
    ],
)
def test_valid_signature_with_unmatched_digests_is_partial(
    sig: TEESignature, request_body: bytes, response_body: bytes, digests: bool | str, reason: str
) -> None:
    """api-reference/tee-verification.mdx only prints the digests: a genuine signature over bytes
    we cannot match is reported apart from a forged one."""
    result = verify_tee(
        attestation=attestation(), signature=sig, request_body=request_body, response_body=response_body
    )
    assert (result.status, result.signature_valid, result.digests_match) == ("partial", True, digests)
    assert result.reason.startswith("the signature verifies with the attested key, but ")
    assert reason in result.reason
    assert not result.verified and result.to_dict()["digests_match"] == digests


def test_unavailable_when_pieces_are_missing() -> None:
    for kwargs in (
        {"attestation": None, "signature": signature()},
        {"attestation": TEEAttestation(attestation="opaque"), "signature": signature()},
        {"attestation": attestation(), "signature": TEESignature(signature="opaque")},
    ):
        result = verify_tee(request_body=REQUEST, response_body=RESPONSE, **kwargs)
        assert result.status == "unavailable", kwargs
        assert (result.signature_valid, result.digests_match) == (None, "unknown")


def test_openapi_string_shapes_are_read_when_they_embed_json() -> None:
    text = f"{REQ_HASH}:{RESP_HASH}"
    att = TEEAttestation(attestation=json.dumps({"nonce": "n1", "signing_address": ADDRESS}))
    att._requested_nonce = "n1"
    sig = TEESignature(signature=json.dumps({"text": text, "signature": sign_personal(text, KEY)}))
    result = verify_tee(attestation=att, signature=sig, request_body=REQUEST, response_body=RESPONSE)
    assert result.status == "verified", result.reason


def test_core_import_does_not_load_the_crypto_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        import nanogpt_integrations.core
        print(sorted(m for m in ("coincurve", "Crypto") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "coincurve", None)  # makes ``import coincurve`` fail
    with pytest.raises(ImportError, match=r'pip install "nanogpt-integrations\[tee\]"'):
        address_of(KEY)
