"""Injectable faults: errors, resets, broken streams and stalls."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

Envelope = Literal["object", "string", "openapi", "top_level", "numeric_code"]
"""Error body shapes of ref §14 "Envelopes": object = 1, string = 3, openapi = 4, top_level = 5,
numeric_code = 6."""


class FaultKind(str, Enum):
    """What a fault does."""

    HTTP_STATUS = "http_status"
    RESET_BEFORE_HEADERS = "reset_before_headers"
    RESET_MID_STREAM = "reset_mid_stream"
    MALFORMED_FRAME = "malformed_frame"
    ERROR_FRAME = "error_frame"
    EOF_WITHOUT_DONE = "eof_without_done"
    STALL = "stall"
    STALL_MID_STREAM = "stall_mid_stream"
    TRICKLE = "trickle"


MID_RESPONSE_KINDS = frozenset(
    {
        FaultKind.RESET_MID_STREAM,
        FaultKind.MALFORMED_FRAME,
        FaultKind.ERROR_FRAME,
        FaultKind.EOF_WITHOUT_DONE,
        FaultKind.STALL_MID_STREAM,
        FaultKind.TRICKLE,
    }
)


@dataclass(frozen=True)
class Fault:
    """A fault to inject with `NanoGPTEmulator.inject`; build it with the class-method constructors.

    Mid-stream kinds count SSE frames (the role frame is frame 1). On a non-streaming response they act
    on the JSON body instead: resets/EOF cut it in half, `malformed_frame` sends `{not json`,
    `error_frame` becomes a 503 envelope, stalls pause halfway through the body.
    """

    kind: FaultKind
    status: int = 0
    code: str | None = None
    error_type: str | None = None
    message: str | None = None
    param: str | None = None
    retry_after: str | None = None
    envelope: Envelope = "object"
    include_status: bool = False
    after_chunks: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def http_status(
        cls,
        status: int,
        code: str | None = None,
        type: str | None = None,
        message: str | None = None,
        retry_after: str | float | None = None,
        envelope: Envelope | None = None,
        param: str | None = None,
    ) -> Fault:
        """Answer with an HTTP error; unset `code`/`type`/`message` get defaults for the status.

        The envelope defaults to the OpenAI-compatible object, except a bare 402 (no code, type or
        envelope given): that is the documented balance error, see :meth:`insufficient_balance`.
        """
        if status == 402 and envelope is None and code is None and type is None:
            return cls.insufficient_balance(message=message or "Insufficient balance")
        return cls(
            FaultKind.HTTP_STATUS,
            status=status,
            code=code,
            error_type=type,
            message=message,
            param=param,
            retry_after=None if retry_after is None else str(retry_after),
            envelope=envelope or "object",
        )

    @classmethod
    def insufficient_balance(
        cls, required_balance: float = 0.0035, message: str = "Insufficient balance"
    ) -> Fault:
        """402 as api-reference/miscellaneous/error-handling.mdx documents it for authenticated
        requests: ``{"error": "Insufficient balance", "requiredBalance": 0.0035, "status": 402}``."""
        return cls(
            FaultKind.HTTP_STATUS,
            status=402,
            message=message,
            envelope="string",
            extra={"requiredBalance": required_balance},
        )

    @classmethod
    def cache_consistency(cls) -> Fault:
        """503 `fallback_blocked_for_cache_consistency` (ref §2.9)."""
        return cls(
            FaultKind.HTTP_STATUS,
            status=503,
            code="fallback_blocked_for_cache_consistency",
            error_type="service_unavailable",
            message="Service unavailable; fallback disabled to keep prompt cache consistency.",
            include_status=True,
        )

    @classmethod
    def reset_before_headers(cls) -> Fault:
        """Close the connection with a TCP RST without answering."""
        return cls(FaultKind.RESET_BEFORE_HEADERS)

    @classmethod
    def reset_mid_stream(cls, after_chunks: int = 2) -> Fault:
        """Send `after_chunks` frames, then reset the connection."""
        return cls(FaultKind.RESET_MID_STREAM, after_chunks=after_chunks)

    @classmethod
    def malformed_frame(cls, after_chunks: int = 1) -> Fault:
        """After `after_chunks` frames send `data: {not json`, then carry on normally."""
        return cls(FaultKind.MALFORMED_FRAME, after_chunks=after_chunks)

    @classmethod
    def error_frame(
        cls,
        after_chunks: int = 2,
        status: int = 503,
        code: str = "service_unavailable",
        message: str = "Service temporarily unavailable. Please try again later.",
    ) -> Fault:
        """After `after_chunks` frames send the mid-stream error chunk of ref §2.8, then `[DONE]`."""
        return cls(
            FaultKind.ERROR_FRAME, after_chunks=after_chunks, status=status, code=code, message=message
        )

    @classmethod
    def eof_without_done(cls, after_chunks: int = 2) -> Fault:
        """Send `after_chunks` frames and end the body cleanly, without a finish frame or `[DONE]`."""
        return cls(FaultKind.EOF_WITHOUT_DONE, after_chunks=after_chunks)

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        """Wait `seconds` before sending the response headers."""
        return cls(FaultKind.STALL, seconds=seconds)

    @classmethod
    def stall_mid_stream(cls, after_chunks: int = 2, seconds: float = 1.0) -> Fault:
        """Send `after_chunks` frames, wait `seconds`, then send the rest."""
        return cls(FaultKind.STALL_MID_STREAM, after_chunks=after_chunks, seconds=seconds)

    @classmethod
    def trickle(cls, seconds: float = 0.05) -> Fault:
        """Wait `seconds` before every frame (a slow trickle)."""
        return cls(FaultKind.TRICKLE, seconds=seconds)
