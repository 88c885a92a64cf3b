"""Error envelopes (ref §14) and the exception endpoint code raises to produce them."""

from __future__ import annotations

import json
from typing import Any

from .faults import Envelope

# ref §14 "error.type values" / "error.code values": defaults per HTTP status.
_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", "invalid_parameter_value", "Invalid request"),
    401: ("authentication_error", "invalid_api_key", "Invalid API key"),
    402: ("insufficient_balance", "insufficient_balance", "Insufficient balance"),
    403: ("permission_denied_error", "api_key_origin_not_allowed", "Not permitted"),
    404: ("not_found_error", None, "Not found"),
    408: ("server_error", None, "Request timed out"),
    409: ("invalid_request_error", None, "Conflict"),
    413: ("invalid_request_error", None, "Payload too large"),
    429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded"),
    500: ("server_error", None, "Internal server error"),
    502: ("api_error", "all_fallbacks_failed", "Bad gateway"),
    503: (
        "service_unavailable",
        "service_unavailable",
        "Service temporarily unavailable. Please try again later.",
    ),
    504: ("server_error", None, "Upstream timed out"),
}


class ApiError(Exception):
    """An HTTP error answer; the server renders it with `error_body`."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        error_type: str | None = None,
        param: str | None = None,
        envelope: Envelope = "object",
        include_status: bool = False,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        default_type, default_code, default_message = _DEFAULTS.get(status, ("api_error", None, "Error"))
        self.status = status
        self.message = message if message is not None else default_message
        self.code = code if code is not None else default_code
        self.error_type = error_type if error_type is not None else default_type
        self.param = param
        self.envelope: Envelope = envelope
        self.include_status = include_status
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{status} {self.code}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON error body in this error's envelope."""
        return error_body(
            self.status,
            self.message,
            code=self.code,
            error_type=self.error_type,
            param=self.param,
            envelope=self.envelope,
            include_status=self.include_status,
            extra=self.extra,
        )


def error_body(
    status: int,
    message: str,
    *,
    code: str | None,
    error_type: str | None,
    param: str | None = None,
    envelope: Envelope = "object",
    include_status: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build an error body in one of the ref §14 envelopes; `extra` adds top-level fields (e.g. the
    `requiredBalance` of a 402, miscellaneous/error-handling.mdx); an empty `code` is left out."""
    if envelope == "string":
        # ref §14 envelope 3 (legacy/simple /api/*); the documented 402 puts requiredBalance between
        return {"error": message, **(extra or {}), "status": status}
    if envelope == "openapi":
        # ref §14 envelope 4 (OpenAPI `Error` schema)
        return {"error": status, "message": message}
    if envelope == "top_level":
        # ref §14 envelope 5 (models endpoint overload)
        return {"code": code or error_type or "error", "message": message}
    error: dict[str, Any] = {"message": message, "type": error_type}
    if envelope == "numeric_code":
        # ref §14 envelope 6 (numeric code)
        error["code"] = status
        return {"error": error, **(extra or {})}
    # ref §14 envelope 1 / ref §2.9 (OpenAI-compatible object)
    if code:
        error["code"] = code
    if param is not None:
        error["param"] = param
    if include_status:
        error["status"] = status
    return {"error": error, **(extra or {})}


def json_object_body(raw: bytes, envelope: Envelope = "object") -> dict[str, Any]:
    """Parse a request body that must be a JSON object (400 `invalid_json` otherwise, ref §14)."""
    try:
        value = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400, "Request body is not valid JSON", code="invalid_json", envelope=envelope
        ) from None
    if not isinstance(value, dict):
        raise ApiError(400, "Request body must be a JSON object", code="invalid_json", envelope=envelope)
    return value


def missing(param: str, envelope: Envelope = "object") -> ApiError:
    """400 `missing_required_parameter` naming `param` (ref §2.9)."""
    return ApiError(
        400,
        f"Missing required parameter: {param}",
        code="missing_required_parameter",
        param=param,
        envelope=envelope,
    )


def invalid(param: str, message: str, envelope: Envelope = "object") -> ApiError:
    """400 `invalid_parameter_value` naming `param` (ref §14)."""
    return ApiError(400, message, code="invalid_parameter_value", param=param, envelope=envelope)
