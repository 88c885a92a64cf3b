"""Configuration checks, error mapping and the retry loop's refusals, without a server: header and key
hygiene (issue 12.4), errors under 200 (12.1), daily caps (13.4), pool timeouts (12.3), body caps
(12.9), redirects and non-SSE stream answers (12.11), connection failures (15.3)."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import logging
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from nanogpt_integrations.core import (
    DEFAULT_MAX_RESPONSE_BYTES,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncNanoGPTClient,
    AuthenticationError,
    CacheConsistencyError,
    ClientConfig,
    ConfigurationError,
    DailyLimitError,
    NanoGPTClient,
    NanoGPTError,
    NotFoundError,
    PaymentRequiredError,
    PoolTimeoutError,
    RateLimitError,
    ResponseTooLargeError,
    UnexpectedResponseError,
    check_header,
    error_from_response,
    error_in_body,
)

SECRET = "sk-nano-test-secret-never-shown"
PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
OK = {"id": "c1", "choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]}


# -- check_header and the key --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Bearer sk-1", "", "a b\tc", "!~"])
def test_check_header_accepts_what_http_can_carry(value: str) -> None:
    check_header("X-Custom_Header.1", value)


@pytest.mark.parametrize(
    "value", [f"{SECRET}\n", f"{SECRET}\r\nX-Evil: 1", f" {SECRET}", f"{SECRET}\x00", f"{SECRET}é", "\t"]
)
def test_check_header_rejects_values_without_showing_them(value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_header("X-Provider", value, setting="provider")
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("provider cannot be sent as an HTTP header")
    assert SECRET not in str(info.value) and value not in str(info.value)


@pytest.mark.parametrize("name", ["", "X Provider", "X-Provider:", "Ünï", "a\nb"])
def test_check_header_rejects_bad_names(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid HTTP header name"):
        check_header(name, "v")


@pytest.mark.parametrize("raw", [f"{SECRET}\n", f"  {SECRET}\r\n", f"\t{SECRET} "])
@pytest.mark.parametrize("source", ["argument", "secretstr", "env"])
def test_surrounding_whitespace_is_stripped_from_the_key(
    raw: str, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", raw)
    api_key = {"argument": raw, "secretstr": SecretStr(raw), "env": None}[source]
    config = ClientConfig.create(api_key=api_key)
    assert config.require_key() == SECRET


@pytest.mark.parametrize("bad", [f"{SECRET}\nX", f"sk-ключ-{SECRET}", f"{SECRET}\x7f", "sk a\r\nb"])
@pytest.mark.parametrize("source", ["argument", "env"])
def test_a_key_that_cannot_be_a_header_fails_when_the_client_is_built(
    bad: str, source: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("NANOGPT_API_KEY", bad)
    with pytest.raises(ConfigurationError) as info:
        NanoGPTClient(api_key=bad if source == "argument" else None)
    err = info.value
    assert str(err).startswith("api_key" if source == "argument" else "NANOGPT_API_KEY")
    assert bad not in str(err) and SECRET not in str(err) and SECRET not in caplog.text
    assert err.__cause__ is None and err.__context__ is None, "no UnicodeEncodeError holding the key"


def test_default_headers_are_checked_when_the_client_is_built() -> None:
    with pytest.raises(ConfigurationError, match=r"default_headers\['x-encryption-key'\]") as info:
        AsyncNanoGPTClient(api_key="k", default_headers={"x-encryption-key": f"{SECRET}\n"})
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigurationError, match="not a valid HTTP header name"):
        NanoGPTClient(api_key="k", default_headers={"Bad Name": "v"})


def test_non_ascii_per_request_header_is_a_configuration_error_before_sending() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json=OK))  # type: ignore[func-returns-value]
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=transport))
    with pytest.raises(ConfigurationError, match="header 'X-Provider' cannot be sent") as info:
        client.chat(PAYLOAD, headers={"X-Provider": "prøvider"})
    assert "prøvider" not in str(info.value) and info.value.__context__ is None
    assert sent == []


@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_max_response_bytes_must_be_a_positive_int(value: Any) -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        NanoGPTClient(api_key="k", max_response_bytes=value)
    assert ClientConfig.create(api_key="k").max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 64 * 2**20


@pytest.mark.parametrize("url", ["http://[::1/api", "https://", "ftp://nano-gpt.com/api/v1"])
def test_unusable_base_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        NanoGPTClient(api_key="k", base_url=url)


# -- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "cls", "status", "code"),
    [
        ({"error": "Insufficient balance", "status": 402}, PaymentRequiredError, 402, None),
        ({"error": {"message": "m", "code": "webSearch_balance_required"}}, PaymentRequiredError, 402, None),
        ({"error": {"message": "m", "type": "authentication_error"}}, AuthenticationError, 401, None),
        ({"error": {"message": "m", "code": "model_not_found"}}, NotFoundError, 404, None),
        (
            {"error": {"message": "m", "code": "fallback_blocked_for_cache_consistency"}},
            CacheConsistencyError,
            503,
            None,
        ),
        ({"error": {"message": "m", "code": "daily_usd_limit_exceeded"}}, DailyLimitError, 429, None),
        ({"error": {"message": "something odd"}}, APIStatusError, 200, None),
        ({"error": 503, "message": "busy"}, APIStatusError, 503, None),
    ],
)
def test_error_in_body_picks_the_class_from_the_envelope(
    body: dict[str, Any], cls: type[APIStatusError], status: int, code: Any
) -> None:
    err = error_in_body(200, body, httpx.Headers({"x-request-id": "req_b"}))
    assert err is not None and isinstance(err, cls)
    assert (err.status, err.request_id) == (status, "req_b")
    assert "(NanoGPT sent this error with HTTP 200)" in err.message
    assert err.body == body


@pytest.mark.parametrize("body", [None, [], "text", {"error": None}, {"error": ""}, {"choices": []}])
def test_no_error_in_a_body_without_one(body: Any) -> None:
    assert error_in_body(200, body) is None


def test_daily_limit_carries_the_reset_time() -> None:
    body = b'{"error": {"message": "Daily request limit exceeded (1000/1000).", "code": "daily_rpd_limit_exceeded"}}'
    before = dt.datetime.now(dt.timezone.utc)
    err = error_from_response(429, body, {"retry-after": "5400", "x-request-id": "req_d"})
    assert type(err) is DailyLimitError and isinstance(err, RateLimitError)
    assert err.retry_after == 5400.0
    assert err.reset_at is not None
    assert dt.timedelta(seconds=5399) <= err.reset_at - before <= dt.timedelta(seconds=5401)


def test_daily_limit_without_retry_after_resets_at_midnight_utc() -> None:
    err = error_from_response(429, b'{"error": {"code": "daily_usd_limit_exceeded"}}')
    assert isinstance(err, DailyLimitError) and err.reset_at is not None
    assert (err.reset_at.hour, err.reset_at.minute, err.reset_at.second) == (0, 0, 0)
    assert err.reset_at.utcoffset() == dt.timedelta(0)
    assert err.retry_after is not None and 0 < err.retry_after <= 86400


def test_a_plain_429_is_not_a_daily_limit() -> None:
    assert type(error_from_response(429, b'{"error": {"code": "rate_limit_exceeded"}}')) is RateLimitError


def test_new_errors_keep_their_attributes_when_pickled() -> None:
    daily = error_from_response(
        429, b'{"error": {"code": "daily_rpd_limit_exceeded"}}', {"retry-after": "60"}
    )
    back = pickle.loads(pickle.dumps(daily))
    assert type(back) is DailyLimitError
    assert (back.reset_at, back.retry_after, back.code, str(back)) == (
        daily.reset_at,
        60.0,
        "daily_rpd_limit_exceeded",
        str(daily),
    )
    big = ResponseTooLargeError("too big", status=200)
    big.limit = 10
    assert pickle.loads(pickle.dumps(big)).limit == 10


def test_status_errors_carry_retry_after() -> None:
    err = error_from_response(503, b"{}", {"retry-after": "12"})
    assert err.retry_after == 12.0


# -- the send loop, over httpx.MockTransport with sleeps recorded -------------------------------------


Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``run(handler, call="chat", **client_kwargs) -> (result or error, sleeps, requests)``."""

    def runner(handler: Handler, call: str = "chat", **kwargs: Any) -> tuple[Any, list[float], int]:
        sleeps: list[float] = []
        seen: list[httpx.Request] = []

        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        def counting(req: httpx.Request) -> httpx.Response:
            seen.append(req)
            return handler(req)

        monkeypatch.setattr("nanogpt_integrations.core.client.time.sleep", sleeps.append)
        monkeypatch.setattr("nanogpt_integrations.core.async_client.asyncio.sleep", fake_sleep)
        kwargs = {"api_key": "k", "base_url": "http://mock/api/v1", "max_retries": 2, **kwargs}
        transport = httpx.MockTransport(counting)
        try:
            if request.param == "sync":
                client = NanoGPTClient(http_client=httpx.Client(transport=transport), **kwargs)
                if call == "stream":
                    return list(client.stream_chat(PAYLOAD)), sleeps, len(seen)
                return getattr(client, call)(*_args(call)), sleeps, len(seen)

            async def main() -> Any:
                aclient = AsyncNanoGPTClient(http_client=httpx.AsyncClient(transport=transport), **kwargs)
                if call == "stream":
                    return [c async for c in await aclient.stream_chat(PAYLOAD)]
                return await getattr(aclient, call)(*_args(call))

            return asyncio.run(main()), sleeps, len(seen)
        except NanoGPTError as exc:
            return exc, sleeps, len(seen)

    return runner


def _args(call: str) -> tuple[Any, ...]:
    return {
        "chat": (PAYLOAD,),
        "completions": ({"model": "m", "prompt": "p"},),
        "embeddings": ({"model": "e", "input": ["a"]},),
        "responses_create": ({"model": "m", "input": "hi"},),
        "web_search": ({"query": "q"},),
        "catalogue": (),
    }[call]


@pytest.mark.parametrize(
    "call", ["chat", "completions", "embeddings", "responses_create", "web_search", "catalogue"]
)
def test_error_envelope_under_200_raises_on_every_endpoint(run: Callable[..., Any], call: str) -> None:
    body = {"error": {"message": "Insufficient balance", "code": "insufficient_quota", "status": 402}}
    result, sleeps, calls = run(
        lambda r: httpx.Response(200, json=body, headers={"x-request-id": "req_z"}), call
    )
    assert isinstance(result, PaymentRequiredError), result
    assert (result.status, result.code, result.request_id) == (402, "insufficient_quota", "req_z")
    assert (calls, sleeps) == (1, [])


@pytest.mark.parametrize(
    "body", [{"choices": []}, {"id": "x"}, {"id": "x", "choices": [], "error": {"message": "boom"}}]
)
def test_completion_without_choices_raises(run: Callable[..., Any], body: dict[str, Any]) -> None:
    result, _, _ = run(lambda r: httpx.Response(200, json=body))
    assert isinstance(result, APIStatusError)
    if "error" in body:
        assert result.message.startswith("boom")
    else:
        assert type(result) is UnexpectedResponseError and "without choices" in result.message


def test_a_failed_responses_object_is_still_a_response(run: Callable[..., Any]) -> None:
    body = {"id": "resp_1", "object": "response", "status": "failed", "error": {"code": "server_error"}}
    result, _, _ = run(lambda r: httpx.Response(200, json=body), "responses_create")
    assert not isinstance(result, Exception)
    assert (result.id, result.status) == ("resp_1", "failed")


@pytest.mark.parametrize("code", ["daily_rpd_limit_exceeded", "daily_usd_limit_exceeded"])
def test_daily_limit_is_never_retried(run: Callable[..., Any], code: str) -> None:
    body = {"error": {"message": "Daily limit exceeded", "code": code, "type": "rate_limit_error"}}
    result, sleeps, calls = run(lambda r: httpx.Response(429, json=body, headers={"Retry-After": "30"}))
    assert type(result) is DailyLimitError
    assert (result.retry_after, calls, sleeps) == (30.0, 1, [])


def test_pool_timeout_is_never_retried(run: Callable[..., Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.PoolTimeout("no connection")

    result, sleeps, calls = run(handler, max_retries=5)
    assert type(result) is PoolTimeoutError and isinstance(result, APITimeoutError)
    assert "never closed" in result.message
    assert (calls, sleeps) == (1, [])


def test_connection_errors_are_short_and_keep_the_httpx_error(run: Callable[..., Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    result, sleeps, calls = run(handler)
    assert type(result) is APIConnectionError
    assert result.message == (
        "could not reach NanoGPT (POST http://mock/api/v1/chat/completions: [Errno 111] "
        "Connection refused); check base_url / NANOGPT_BASE_URL and your network connection"
    )
    assert (calls, len(sleeps)) == (3, 2), "connection failures are still retried"
    assert result.__cause__ is None and result.__suppress_context__
    assert isinstance(result.__context__, httpx.ConnectError)


def test_read_timeout_says_timeout_is_per_read(run: Callable[..., Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    result, _, calls = run(handler)
    assert type(result) is APITimeoutError and calls == 1
    assert "applies to each read" in result.message


@pytest.mark.parametrize("status", [200, 500])
def test_body_past_max_response_bytes(run: Callable[..., Any], status: int) -> None:
    big = json.dumps({**OK, "pad": "x" * 5000}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=gzip.compress(big), headers={"content-encoding": "gzip"})

    result, sleeps, calls = run(handler, max_response_bytes=4096)
    assert type(result) is ResponseTooLargeError
    assert (result.status, result.limit, calls, sleeps) == (status, 4096, 1, [])
    ok, _, _ = run(handler, max_response_bytes=len(big)) if status == 200 else (None, None, None)
    assert status != 200 or ok.choices[0].message.content == "ok"


@pytest.mark.parametrize("location", ["https://nano-gpt.com/api/v1/chat/completions", "/elsewhere"])
@pytest.mark.parametrize("call", ["chat", "stream"])
def test_redirects_are_reported_not_followed(run: Callable[..., Any], location: str, call: str) -> None:
    result, sleeps, calls = run(
        lambda r: httpx.Response(301, headers={"location": location}),
        call,
        base_url="http://nano-gpt.com/api/v1",
    )
    assert type(result) is UnexpectedResponseError and result.status == 301
    assert f"redirect to {location}" in result.message
    if location.startswith("https://"):
        assert "to the https:// URL (https://nano-gpt.com/api/v1)" in result.message
    assert (calls, sleeps) == (1, [])


@pytest.mark.parametrize(
    ("ctype", "body", "shown"),
    [
        ("application/json", json.dumps(OK), "a JSON completion (HTTP 200, application/json)"),
        ("text/html", "<html>login</html>", "text/html (HTTP 200, text/html)"),
    ],
)
def test_stream_answered_without_sse(run: Callable[..., Any], ctype: str, body: str, shown: str) -> None:
    result, _, calls = run(
        lambda r: httpx.Response(200, text=body, headers={"content-type": ctype}), "stream"
    )
    assert type(result) is UnexpectedResponseError
    assert shown in result.message and result.content_type == ctype
    assert calls == 1


@pytest.mark.parametrize("ctype", ["text/event-stream; charset=utf-8", "text/plain", None])
def test_stream_with_an_sse_or_unknown_content_type_is_read(
    run: Callable[..., Any], ctype: str | None
) -> None:
    sse = b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
    headers = {"content-type": ctype} if ctype else {}
    chunks, _, _ = run(lambda r: httpx.Response(200, content=sse, headers=headers), "stream")
    assert [c.choices[0].delta.content for c in chunks] == ["hi"]


@pytest.mark.parametrize(
    ("base_url", "hinted"),
    [
        ("http://mock/api", True),
        ("http://mock", True),
        ("http://mock/api/v1", False),
        ("http://mock/api/subscription/v1", False),
        ("http://mock/api/paid/v1", False),
    ],
)
def test_404_hints_at_the_base_url(run: Callable[..., Any], base_url: str, hinted: bool) -> None:
    result, _, calls = run(
        lambda r: httpx.Response(404, json={"error": "Unknown route"}), base_url=base_url, max_retries=3
    )
    assert type(result) is NotFoundError and calls == 1
    assert ("does not end in /api/v1" in result.message) is hinted


def test_a_streamed_download_that_is_not_sse_is_not_judged_as_one() -> None:
    """Only SSE requests (``Accept: text/event-stream``) check the content type: a batch file
    download streams JSONL with ``Accept: */*``."""
    body = b'{"custom_id": "a"}\n{"custom_id": "b"}\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/jsonl"})

    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    response = client.send("GET", "files/f/content", stream=True, headers={"Accept": "*/*"})
    assert response.read() == body
    with pytest.raises(UnexpectedResponseError, match="application/jsonl"):
        client.send("GET", "files/f/content", stream=True)
