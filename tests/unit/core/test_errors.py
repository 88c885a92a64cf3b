"""Error envelopes (api-reference/miscellaneous/error-handling.mdx) → typed errors with status, code, type, param, message, request id."""

from __future__ import annotations

import json
import pickle
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CacheConsistencyError,
    ConflictError,
    InternalServerError,
    MissingAPIKeyError,
    NanoGPTError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServiceUnavailableError,
    StreamError,
    error_from_response,
    parse_error_body,
)


def err(status: int, body: Any, **headers: str) -> APIStatusError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_from_response(status, raw, httpx.Headers(headers))


# -- envelopes ------------------------------------------------------------------------------------


def test_envelope_openai_object() -> None:
    e = err(
        400,
        {
            "error": {
                "message": "model is required",
                "type": "invalid_request_error",
                "code": "missing_required_parameter",
                "param": "model",
            }
        },
    )
    assert type(e) is BadRequestError
    assert (e.status, e.code, e.type, e.param, e.message) == (
        400,
        "missing_required_parameter",
        "invalid_request_error",
        "model",
        "model is required",
    )


def test_envelope_anthropic_compatible() -> None:
    e = err(401, {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}})
    assert type(e) is AuthenticationError
    assert e.type == "authentication_error"
    assert e.message == "bad key"


def test_envelope_string_error_with_status_and_required_balance() -> None:
    e = err(402, {"error": "Insufficient balance", "requiredBalance": 0.0035, "status": 402})
    assert type(e) is PaymentRequiredError
    assert e.message == "Insufficient balance"
    assert e.status == 402


def test_envelope_numeric_error_openapi_schema() -> None:
    e = err(404, {"error": 404, "message": "Model not found"})
    assert type(e) is NotFoundError
    assert e.message == "Model not found"
    assert e.status == 404


def test_envelope_top_level_code_and_message() -> None:
    e = err(429, {"code": "rate_limited", "message": "Rate limit exceeded"})
    assert type(e) is RateLimitError
    assert e.code == "rate_limited"
    assert e.message == "Rate limit exceeded"


def test_envelope_numeric_code_inside_error_object() -> None:
    e = err(402, {"error": {"message": "Insufficient balance", "type": "insufficient_balance", "code": 402}})
    assert type(e) is PaymentRequiredError
    assert e.code == "402"
    assert e.type == "insufficient_balance"
    assert e.message == "Insufficient balance"


def test_envelope_x402_payment() -> None:
    e = err(
        402,
        {
            "error": {
                "message": "Payment required",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            },
            "payment": {"amount": "0.01"},
            "x402Version": 1,
            "accepts": [],
        },
    )
    assert type(e) is PaymentRequiredError
    assert e.code == "insufficient_quota"


def test_envelope_daily_limit_429_with_retry_after() -> None:
    e = err(
        429,
        {
            "error": {
                "message": "Daily request limit exceeded (1000/1000). Resets at midnight UTC.",
                "code": "daily_rpd_limit_exceeded",
                "type": "rate_limit_error",
            }
        },
        **{"Retry-After": "120", "X-Request-ID": "req_rl"},
    )
    assert isinstance(e, RateLimitError)
    assert e.code == "daily_rpd_limit_exceeded"
    assert e.retry_after == 120.0
    assert e.request_id == "req_rl"


def test_rate_limit_without_retry_after_has_none() -> None:
    e = err(429, {"error": {"message": "slow down"}})
    assert isinstance(e, RateLimitError)
    assert e.retry_after is None


def test_cache_consistency_object_envelope() -> None:
    e = err(
        503,
        {
            "error": {
                "message": "service unavailable; fallback disabled to keep prompt cache",
                "status": 503,
                "type": "service_unavailable",
                "code": "fallback_blocked_for_cache_consistency",
            }
        },
    )
    assert type(e) is CacheConsistencyError
    assert isinstance(e, ServiceUnavailableError)
    assert e.code == "fallback_blocked_for_cache_consistency"
    assert e.type == "service_unavailable"


def test_cache_consistency_as_string_error() -> None:
    e = err(503, {"error": "fallback_blocked_for_cache_consistency", "status": 503})
    assert type(e) is CacheConsistencyError
    assert e.code == "fallback_blocked_for_cache_consistency"


def test_plain_503_is_not_cache_consistency() -> None:
    e = err(503, {"error": {"message": "down", "code": "service_unavailable"}})
    assert type(e) is ServiceUnavailableError


def test_non_json_body_becomes_the_message() -> None:
    e = err(404, b"<html>Not Found</html>")
    assert type(e) is NotFoundError
    assert e.message == "<html>Not Found</html>"


def test_empty_body_has_a_default_message() -> None:
    e = err(500, b"")
    assert type(e) is InternalServerError
    assert e.message == "NanoGPT returned HTTP 500"
    assert e.code is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, RequestTooLargeError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, ServiceUnavailableError),
        (504, InternalServerError),
    ],
)
def test_status_to_class(status: int, cls: type[APIStatusError]) -> None:
    e = err(
        status, {"error": {"message": f"m{status}", "code": f"c{status}"}}, **{"X-Request-ID": f"r{status}"}
    )
    assert type(e) is cls
    assert isinstance(e, APIStatusError)
    assert isinstance(e, NanoGPTError)
    assert (e.status, e.code, e.message, e.request_id) == (status, f"c{status}", f"m{status}", f"r{status}")


def test_unlisted_status_is_generic_status_error() -> None:
    e = err(418, {"error": "teapot"})
    assert type(e) is APIStatusError
    assert e.status == 418


def test_str_names_status_code_and_request_id() -> None:
    e = err(
        401, {"error": {"message": "Invalid API key", "code": "invalid_api_key"}}, **{"x-request-id": "req_7"}
    )
    text = str(e)
    assert text.startswith("Invalid API key")
    assert "status=401" in text
    assert "code=invalid_api_key" in text
    assert "request_id=req_7" in text


# -- parse_error_body -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error": {"message": "m", "type": "t", "code": "c", "param": "p", "status": 400}},
            {"message": "m", "type": "t", "code": "c", "param": "p", "status": 400},
        ),
        (
            {"error": "Insufficient balance", "status": 402},
            {"message": "Insufficient balance", "status": 402},
        ),
        ({"error": 401, "message": "nope"}, {"message": "nope", "status": 401}),
        ({"code": "rate_limited", "message": "Rate limit exceeded"}, {"code": "rate_limited"}),
        ({"error": {"message": "x", "code": 402}}, {"code": "402"}),
        ('{"error": {"message": "from text"}}', {"message": "from text"}),
        (b'{"error": "bytes"}', {"message": "bytes"}),
        ("plain text failure", {"message": "plain text failure"}),
        (None, {"message": None}),
        ([1, 2], {"message": "[1, 2]"}),
    ],
)
def test_parse_error_body(body: Any, expected: dict[str, Any]) -> None:
    parsed = parse_error_body(body)
    assert set(parsed) == {"message", "code", "type", "param", "status"}
    for key, value in expected.items():
        assert parsed[key] == value, key


# -- hierarchy and pickling -----------------------------------------------------------------------


def test_hierarchy() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(StreamError, NanoGPTError)
    assert issubclass(MissingAPIKeyError, NanoGPTError)
    assert issubclass(MissingAPIKeyError, ValueError)
    assert issubclass(CacheConsistencyError, ServiceUnavailableError)
    assert issubclass(ServiceUnavailableError, InternalServerError)
    for cls in (APIConnectionError, APIStatusError, StreamError):
        assert issubclass(cls, NanoGPTError)


def test_errors_pickle_with_their_attributes() -> None:
    e = err(
        429,
        {"error": {"message": "slow", "code": "rate_limit_exceeded", "type": "rate_limit_error"}},
        **{"Retry-After": "3", "X-Request-ID": "req_p"},
    )
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is RateLimitError
    assert (back.status, back.code, back.type, back.request_id, back.retry_after, back.message) == (
        429,
        "rate_limit_exceeded",
        "rate_limit_error",
        "req_p",
        3.0,
        "slow",
    )
    assert str(back) == str(e)
