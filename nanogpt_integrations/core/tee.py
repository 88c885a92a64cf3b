"""TEE-verified chat (api-reference/tee-verification.mdx, endpoint/tee-*.mdx): attestation and
signature types and local verification, for ``TEE/`` models and the GPU-TEE ``phala/`` models
(api-reference/endpoint/chat-completion.mdx).

What is verified locally, and only that, each reported on its own:

* ``nonce_ok``: the attestation echoes our nonce;
* ``signature_valid``: the ECDSA signature (Ethereum ``personal_sign``, EIP-191) over the signed
  ``text`` recovers to the attested ``signing_address``;
* ``digests_match``: the signed text contains the sha256 of the exact request bytes and of the exact
  response bytes (for streams: the raw SSE bytes): ``True``, ``False``, or ``"unknown"`` when the
  text carries no sha256 digests or the bytes were not captured. The docs' own script only prints
  the digests; a gateway that re-serialises a body would make a genuine signature miss them.

``status``: ``verified`` (nonce, signature and digests all good), ``partial`` (the signature verifies
but the digests do not match or cannot be checked), ``failed`` (the signature does not verify, or the
attestation does not echo our nonce: a replayed attestation proves nothing), ``unavailable``
(attestation or signature could not be fetched or lack the fields). The NVIDIA GPU evidence and the
Intel TDX quote are passed through in :attr:`TEEVerification.evidence` for external verification
(NVIDIA's attestation service, a TDX quote verifier); they are never reported as verified here.

Uncertain points (reference §13, §17.4), handled defensively:

* The attestation/signature JSON: OpenAPI declares only ``{"attestation": "<string>"}`` and
  ``{"signature": "<string>"}``; the docs' script reads ``nonce``, ``signing_address``,
  ``nvidia_payload``, ``intel_quote`` and ``text``, ``signature``, ``signing_address``. We read the
  richer shape, also from inside a JSON-string ``attestation``/``signature`` field, and report
  ``unavailable`` (not ``failed``) when the needed fields are absent.
* The signed ``text`` format: the docs' script implies ``"<sha256(request)>:<sha256(response)>"``.
  We accept any text carrying both hex digests (colon-separated, whitespace-separated or a JSON
  object), in either order, and report which digests were found.

The crypto comes from the optional ``tee`` extra (pycryptodome for keccak-256, coincurve for
secp256k1 recovery), imported only when a signature is checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import PrivateAttr

from ._wire import WireModel
from .errors import NanoGPTError

__all__ = [
    "RawExchange",
    "TEEAttestation",
    "TEESignature",
    "TEEVerification",
    "TEEVerificationError",
    "address_of",
    "eip191_hash",
    "is_tee_model",
    "keccak256",
    "new_nonce",
    "parse_signed_hashes",
    "recover_address",
    "require_tee_model",
    "sign_personal",
    "verify_tee",
]

_INSTALL_HINT = (
    'TEE verification needs the optional crypto dependencies: pip install "nanogpt-integrations[tee]"'
)
_HEX64 = re.compile(r"(?<![0-9a-fA-F])(?:0x)?([0-9a-fA-F]{64})(?![0-9a-fA-F])")

Status = Literal["verified", "partial", "failed", "unavailable"]
DigestMatch = bool | Literal["unknown"]
#: Model-id prefixes of TEE models: ``TEE/`` (tee-verification.mdx) and GPU-TEE ``phala/``
#: (endpoint/chat-completion.mdx).
TEE_PREFIXES = ("tee/", "phala/")


class TEEVerificationError(NanoGPTError):
    """A TEE verification failed (raised only when asked to, e.g. ``tee_raise_on_failure=True``)."""

    def __init__(self, verification: TEEVerification) -> None:
        super().__init__(
            f"TEE verification {verification.status}: {verification.reason}",
            request_id=verification.request_id,
        )
        self.verification = verification


def is_tee_model(model: str) -> bool:
    """``TEE/...`` and GPU-TEE ``phala/...`` model ids (case-insensitive)."""
    return model.lower().startswith(TEE_PREFIXES)


def require_tee_model(model: str) -> None:
    """``ValueError`` before any request when ``model`` is not a TEE model."""
    if not is_tee_model(model):
        raise ValueError(
            "TEE verification needs a TEE/ model (e.g. 'TEE/llama-3.3-70b-instruct') or a GPU-TEE "
            f"phala/ model; got {model!r}"
        )


def new_nonce() -> str:
    """A fresh 32-byte nonce as 64 hex characters (also valid base64, which the docs mention)."""
    return secrets.token_hex(32)


@dataclass
class RawExchange:
    """The exact bytes of one request/response, filled by a client call made with ``capture=``.

    For streams the response bytes (the raw SSE body) grow as the stream is read; they are
    complete once the stream is exhausted.
    """

    request_body: bytes = b""
    _chunks: list[bytes] = field(default_factory=list, repr=False)

    @property
    def response_body(self) -> bytes:
        return b"".join(self._chunks)

    def set_response(self, body: bytes) -> None:
        self._chunks = [body] if body else []

    def append(self, chunk: bytes) -> None:
        self._chunks.append(chunk)


def _embedded(value: Any) -> dict[str, Any]:
    """A JSON object hidden in a string field (the OpenAPI-only shape), else {}."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return value if isinstance(value, dict) else {}


class TEEAttestation(WireModel):
    """``GET /v1/tee/attestation`` (field set per the docs' script; see the module docstring)."""

    nonce: str | None = None
    signing_address: str | None = None
    signing_algo: str | None = None
    nvidia_payload: Any = None
    intel_quote: str | None = None
    attestation: Any = None
    _requested_nonce: str | None = PrivateAttr(default=None)

    @property
    def requested_nonce(self) -> str | None:
        """The nonce this client sent (to compare with the echoed :attr:`nonce`)."""
        return self._requested_nonce

    def resolved(self) -> TEEAttestation:
        """Fields read from a JSON-string ``attestation`` when the top level lacks them."""
        inner = _embedded(self.attestation)
        if not inner or self.signing_address:
            return self
        merged = TEEAttestation.model_validate({**inner, **self.model_dump(exclude_none=True)})
        merged._requested_nonce = self._requested_nonce
        return merged


class TEESignature(WireModel):
    """``GET /v1/tee/signature/{request_id}``: the signed ``text`` and its ECDSA ``signature``."""

    text: str | None = None
    signature: str | None = None
    signing_address: str | None = None
    signing_algo: str | None = None

    def resolved(self) -> TEESignature:
        """Fields read from a JSON-string ``signature`` when ``text`` is missing."""
        inner = _embedded(self.signature)
        if self.text is not None or not inner:
            return self
        return TEESignature.model_validate(inner)


@dataclass
class TEEVerification:
    """The outcome of :func:`verify_tee` (fields in the module docstring); ``evidence`` is for
    external verification only. Adapters put :meth:`to_dict` in their response metadata."""

    status: Status
    reason: str = ""
    model: str | None = None
    request_id: str | None = None
    signing_address: str | None = None
    recovered_address: str | None = None
    nonce_ok: bool | None = None
    signature_valid: bool | None = None
    digests_match: DigestMatch = "unknown"
    request_hash: str | None = None
    response_hash: str | None = None
    signed_text: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    def with_reason(self, reason: str) -> TEEVerification:
        """This result with ``reason`` replaced (returns self)."""
        self.reason = reason
        return self

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for framework metadata)."""
        return asdict(self)


# -- crypto (lazy imports: the ``tee`` extra) ------------------------------------------------------


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's, not NIST SHA3-256)."""
    try:
        from Crypto.Hash import keccak
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return keccak.new(digest_bits=256, data=data).digest()


def _coincurve() -> Any:
    try:
        import coincurve
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return coincurve


def eip191_hash(message: str | bytes) -> bytes:
    """``keccak256("\\x19Ethereum Signed Message:\\n" + len(message) + message)`` (personal_sign)."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)


def _address(public_key_uncompressed: bytes) -> str:
    return "0x" + keccak256(public_key_uncompressed[1:])[-20:].hex()


def address_of(private_key: bytes) -> str:
    """The Ethereum address of a secp256k1 private key (lower-case hex)."""
    key = _coincurve().PrivateKey(private_key)
    return _address(key.public_key.format(compressed=False))


def sign_personal(message: str | bytes, private_key: bytes) -> str:
    """EIP-191 personal_sign: ``0x`` + r (32) + s (32) + v (27/28), hex."""
    signature: bytes = (
        _coincurve().PrivateKey(private_key).sign_recoverable(eip191_hash(message), hasher=None)
    )
    return "0x" + (signature[:64] + bytes([signature[64] + 27])).hex()


def recover_address(message: str | bytes, signature: str) -> str:
    """The address that produced an EIP-191 ``signature`` over ``message``; ``ValueError`` if malformed."""
    try:
        raw = bytes.fromhex(signature[2:] if signature.lower().startswith("0x") else signature)
    except ValueError:
        raise ValueError("signature is not hex") from None
    if len(raw) != 65:
        raise ValueError(f"an ECDSA signature is 65 bytes (r, s, v); got {len(raw)}")
    v = raw[64]
    recovery = v - 27 if v >= 27 else v
    if recovery not in (0, 1):
        raise ValueError(f"signature recovery id v={v} is not 27/28 (or 0/1)")
    public = _coincurve().PublicKey.from_signature_and_message(
        raw[:64] + bytes([recovery]), eip191_hash(message), hasher=None
    )
    return _address(public.format(compressed=False))


# -- verification (pure) --------------------------------------------------------------------------


def parse_signed_hashes(text: str) -> list[str]:
    """The sha256 hex digests in a signed ``text``, lower-case, in order of appearance.

    Accepts ``"<req>:<resp>"`` (the docs' script), whitespace-separated digests and JSON objects
    whose values are digests (the format is not documented: tee-verification.mdx).
    """
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        text = " ".join(str(v) for v in parsed.values())
    return [match.group(1).lower() for match in _HEX64.finditer(text)]


def _evidence(attestation: TEEAttestation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if attestation.nvidia_payload is not None:
        out["nvidia_payload"] = attestation.nvidia_payload
    if attestation.intel_quote is not None:
        out["intel_quote"] = attestation.intel_quote
    if out:
        out["note"] = "not verified locally: check with NVIDIA's attestation service and a TDX quote verifier"
    return out


def verify_tee(
    *,
    attestation: TEEAttestation | None,
    signature: TEESignature | None,
    request_body: bytes,
    response_body: bytes,
    nonce: str | None = None,
    model: str | None = None,
    request_id: str | None = None,
) -> TEEVerification:
    """Check nonce, signer and body digests locally (pure; statuses in the module docstring).

    ``nonce`` defaults to the one recorded on ``attestation``.
    """
    result = TEEVerification(
        status="unavailable",
        model=model,
        request_id=request_id,
        request_hash=hashlib.sha256(request_body).hexdigest() if request_body else None,
        response_hash=hashlib.sha256(response_body).hexdigest() if response_body else None,
    )
    if attestation is None or signature is None:
        result.reason = "attestation or signature could not be fetched"
        return result
    att, sig = attestation.resolved(), signature.resolved()
    result.evidence = _evidence(att)
    result.signing_address = att.signing_address or sig.signing_address
    if not att.signing_address:
        result.reason = "the attestation carries no signing_address"
        return result
    if not sig.text or not sig.signature:
        result.reason = "the signature response carries no signed text or signature"
        return result
    result.signed_text = sig.text
    expected_nonce = nonce if nonce is not None else att.requested_nonce
    failures: list[str] = []

    if expected_nonce is not None:
        result.nonce_ok = att.nonce is not None and att.nonce.lower() == expected_nonce.lower()
        if not result.nonce_ok:
            failures.append(f"attestation nonce {att.nonce!r} does not echo the nonce sent")

    try:
        result.recovered_address = recover_address(sig.text, sig.signature)
    except ValueError as exc:
        result.signature_valid = False
        failures.append(f"malformed signature: {exc}")
    else:
        result.signature_valid = result.recovered_address.lower() == att.signing_address.lower()
        if not result.signature_valid:
            failures.append(
                f"signature recovers to {result.recovered_address}, not the attested {att.signing_address}"
            )

    digest_note = _match_digests(result, sig.text, captured=bool(request_body and response_body))
    if failures:
        result.status, result.reason = "failed", "; ".join(failures)
    elif result.digests_match is True:
        result.status = "verified"
        result.reason = (
            "nonce, signer and request/response hashes match (GPU/CPU evidence not checked locally)"
        )
    else:
        result.status = "partial"
        result.reason = f"the signature verifies with the attested key, but {digest_note}"
    return result


def _match_digests(result: TEEVerification, text: str, *, captured: bool) -> str:
    """Set ``result.digests_match``; return why it is not ``True`` ("" when it is)."""
    digests = parse_signed_hashes(text)
    if not captured:
        result.digests_match = "unknown"
        return "the exact request/response bytes were not captured, so the digests cannot be checked"
    if not digests:
        result.digests_match = "unknown"
        return "the signed text carries no sha256 digests to compare with the exact bytes"
    missing = [
        name
        for name, digest in (("request", result.request_hash), ("response", result.response_hash))
        if digest not in digests
    ]
    result.digests_match = not missing
    if not missing:
        return ""
    return (
        f"the signed text does not contain the sha256 of the exact {' and '.join(missing)} bytes "
        "(the gateway may have re-serialised the body)"
    )
