"""Hostile HTTP servers written here (raw sockets, no emulator) against the core clients and both
adapters' public API (issues 12.1, 12.3, 12.4, 12.6, 12.9, 12.11, 13.4, 15.3).

Each server answers every request with scripted raw bytes, so what the client sees is exactly what
a broken proxy, a misconfigured base URL or a misbehaving gateway would send.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import socket
import socketserver
import threading
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from llama_index.core.llms import ChatMessage

from nanogpt_integrations.core import (
    DEFAULT_MAX_RESPONSE_BYTES,
    APIConnectionError,
    AsyncNanoGPTClient,
    ConfigurationError,
    DailyLimitError,
    NanoGPTClient,
    NotFoundError,
    PaymentRequiredError,
    PoolTimeoutError,
    RateLimitError,
    ResponseTooLargeError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPTWebSearchTool
from nanogpt_integrations.llama_index import NanoGPTLLM, NanoGPTWebSearchToolSpec

pytestmark = pytest.mark.timeout(30)

KEY = "sk-hostile-test-key"
PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
}


# -- the server -------------------------------------------------------------------------------------


@dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = bytes | Callable[[socket.socket], None]


@dataclass
class RawServer:
    """Answers the n-th request with ``answers[n]`` (the last one repeats): raw bytes, or a function
    that writes to the socket itself (to stall or trickle). Every connection closes after one answer."""

    answers: list[Answer]
    requests: list[RawRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        while len(body) < int(headers.get("content-length", "0")):
            body += conn.recv(65536)
        method, path, _ = request_line.split(" ", 2)
        self.requests.append(RawRequest(method, path, headers, body))
        answer = self.answers[min(len(self.requests) - 1, len(self.answers) - 1)]
        try:
            if callable(answer):
                answer(conn)
            else:
                conn.sendall(answer)
        except OSError:
            pass  # the client hung up first: that is what some tests want


def http(
    status: int, body: bytes | dict[str, Any] = b"", headers: dict[str, str] | None = None, reason: str = "X"
) -> bytes:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    hdrs.setdefault("Content-Length", str(len(raw)))
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in hdrs.items()), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(*answers: Answer) -> RawServer:
        server = RawServer(list(answers))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@functools.cache
def gzip_bomb(decoded_mib: int) -> bytes:
    """``decoded_mib`` MiB of zeros gzipped (about 1 KiB per MiB), built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(decoded_mib)) + packer.flush()


# -- the callers: core and both adapters ------------------------------------------------------------


def lc_invoke(base_url: str, **kw: Any) -> Any:
    return ChatNanoGPT(model="m", api_key=KEY, base_url=base_url, max_retries=2, **kw).invoke("hi")


def lc_stream(base_url: str, **kw: Any) -> Any:
    return list(ChatNanoGPT(model="m", api_key=KEY, base_url=base_url, max_retries=2, **kw).stream("hi"))


def li_llm(base_url: str | None, **kw: Any) -> NanoGPTLLM:
    # Everything the catalogue would tell is given: the only request is the chat call.
    return NanoGPTLLM(
        model="m",
        api_base=base_url,
        max_retries=2,
        context_window=8192,
        is_function_calling_model=True,
        supports_structured_output=True,
        **{"api_key": KEY, **kw},
    )


def li_chat(base_url: str, **kw: Any) -> Any:
    return li_llm(base_url, **kw).chat([ChatMessage(role="user", content="hi")])


def li_stream(base_url: str, **kw: Any) -> Any:
    return list(li_llm(base_url, **kw).stream_chat([ChatMessage(role="user", content="hi")]))


def core_chat(base_url: str, **kw: Any) -> Any:
    with NanoGPTClient(api_key=KEY, base_url=base_url, **kw) as client:
        return client.chat(PAYLOAD)


def core_stream(base_url: str, **kw: Any) -> Any:
    with NanoGPTClient(api_key=KEY, base_url=base_url, **kw) as client:
        return list(client.stream_chat(PAYLOAD))


def core_achat(base_url: str, **kw: Any) -> Any:
    async def main() -> Any:
        async with AsyncNanoGPTClient(api_key=KEY, base_url=base_url, **kw) as client:
            return await client.chat(PAYLOAD)

    return asyncio.run(main())


CHAT_CALLERS = {
    "core": core_chat,
    "core-async": core_achat,
    "langchain": lc_invoke,
    "langchain-responses": lambda url: lc_invoke(url, use_responses_api=True),
    "llama_index": li_chat,
    "llama_index-responses": lambda url: li_chat(url, use_responses_api=True),
}
STREAM_CALLERS = {"core": core_stream, "langchain": lc_stream, "llama_index": li_stream}


# -- 12.1: an error, or no choices, under HTTP 200 ---------------------------------------------------

BALANCE_BODIES = {
    "legacy": {"error": "Insufficient balance", "status": 402, "requiredBalance": 0.0035},
    "object": {"error": {"message": "Insufficient balance", "code": "insufficient_quota", "type": "x"}},
}


@pytest.mark.parametrize("shape", sorted(BALANCE_BODIES))
@pytest.mark.parametrize("caller", sorted(CHAT_CALLERS))
def test_error_body_under_200_is_a_typed_error(
    serve: Callable[..., RawServer], caller: str, shape: str
) -> None:
    server = serve(http(200, BALANCE_BODIES[shape], {"X-Request-ID": "req_200err"}))
    with pytest.raises(PaymentRequiredError) as info:
        CHAT_CALLERS[caller](server.base_url)
    err = info.value
    assert (err.status, err.request_id) == (402, "req_200err")
    assert err.message.startswith("Insufficient balance") and "HTTP 200" in err.message
    assert err.code == (None if shape == "legacy" else "insufficient_quota")
    assert len(server.requests) == 1, "an error body is never retried"


@pytest.mark.parametrize("body", [{"id": "x", "choices": []}, {"id": "x", "object": "chat.completion"}])
@pytest.mark.parametrize("caller", ["core", "core-async", "langchain", "llama_index"])
def test_completion_without_choices_is_a_typed_error(
    serve: Callable[..., RawServer], caller: str, body: dict[str, Any]
) -> None:
    server = serve(http(200, body, {"X-Request-ID": "req_empty"}))
    with pytest.raises(UnexpectedResponseError, match="without choices") as info:
        CHAT_CALLERS[caller](server.base_url)
    assert (info.value.status, info.value.request_id) == (200, "req_empty")


def test_web_search_tools_surface_an_insufficient_balance_error(serve: Callable[..., RawServer]) -> None:
    server = serve(http(200, {"error": "Insufficient balance", "status": 402}, {"X-Request-ID": "req_w"}))
    tool = NanoGPTWebSearchTool(api_key=KEY, base_url=server.base_url, max_retries=0)
    with pytest.raises(PaymentRequiredError, match="Insufficient balance") as info:
        tool.invoke({"query": "nanogpt"})
    assert (info.value.status, info.value.request_id) == (402, "req_w")
    spec = NanoGPTWebSearchToolSpec(api_key=KEY, base_url=server.base_url, max_retries=0)
    with pytest.raises(PaymentRequiredError, match="Insufficient balance"):
        spec.web_search("nanogpt")
    with pytest.raises(PaymentRequiredError):
        asyncio.run(spec.aweb_search("nanogpt"))
    assert [r.path for r in server.requests] == ["/api/web"] * 3


# -- 12.11: a stream answered with something else; redirects ----------------------------------------

NOT_A_STREAM = {
    "json-completion": (http(200, COMPLETION), "a JSON completion (HTTP 200, application/json)"),
    "html": (
        http(200, b"<html><body>Cloudflare</body></html>", {"Content-Type": "text/html; charset=utf-8"}),
        "(HTTP 200, text/html; charset=utf-8)",
    ),
}


@pytest.mark.parametrize("answer", sorted(NOT_A_STREAM))
@pytest.mark.parametrize("caller", sorted(STREAM_CALLERS))
def test_stream_answered_with_json_or_html_says_what_came_back(
    serve: Callable[..., RawServer], caller: str, answer: str
) -> None:
    raw, expected = NOT_A_STREAM[answer]
    server = serve(raw)
    with pytest.raises(UnexpectedResponseError) as info:
        STREAM_CALLERS[caller](server.base_url)
    assert expected in str(info.value)
    assert "closed early" not in str(info.value)
    assert info.value.status == 200 and info.value.content_type
    assert len(server.requests) == 1


@pytest.mark.parametrize("caller", sorted(STREAM_CALLERS))
def test_stream_answered_with_a_json_error_is_that_error(
    serve: Callable[..., RawServer], caller: str
) -> None:
    server = serve(http(200, {"error": {"message": "Insufficient balance", "status": 402}}))
    with pytest.raises(PaymentRequiredError, match="Insufficient balance"):
        STREAM_CALLERS[caller](server.base_url)


@pytest.mark.parametrize(
    "caller", [*sorted(STREAM_CALLERS), "core-chat", "langchain-chat", "llama_index-chat"]
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_http_base_url_redirected_to_https_says_use_https(
    serve: Callable[..., RawServer], caller: str, status: int
) -> None:
    server = serve(b"")  # the Location needs the port: set below
    https = server.base_url.replace("http://", "https://")
    server.answers[0] = http(
        status, b"", {"Location": f"{https}/chat/completions", "Content-Type": "text/html"}
    )
    call = {"core-chat": core_chat, "langchain-chat": lc_invoke, "llama_index-chat": li_chat}.get(caller)
    with pytest.raises(UnexpectedResponseError) as info:
        (call or STREAM_CALLERS[caller])(server.base_url)
    text = str(info.value)
    assert f"HTTP {status}" in text and f"redirect to {https}/chat/completions" in text
    assert f"set base_url / NANOGPT_BASE_URL to the https:// URL ({https})" in text
    assert len(server.requests) == 1, "a redirect is not retried or followed"


# -- 12.9: bodies past max_response_bytes, gzip bombs included ---------------------------------------


@pytest.mark.parametrize("status", [200, 503])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_gzip_bomb_stops_at_max_response_bytes(
    serve: Callable[..., RawServer], status: int, kind: str
) -> None:
    bomb = gzip_bomb(32)  # ~32 KiB on the wire, 32 MiB decoded
    assert len(bomb) < 100_000
    server = serve(http(status, bomb, {"Content-Encoding": "gzip", "Retry-After": "0.01"}))
    call = core_chat if kind == "sync" else core_achat
    with pytest.raises(ResponseTooLargeError, match="max_response_bytes") as info:
        call(server.base_url, max_response_bytes=1024 * 1024)
    assert (info.value.status, info.value.limit) == (status, 1024 * 1024)
    assert len(server.requests) == 1, "an oversized body is not fetched again"


@pytest.mark.parametrize("caller", ["langchain", "llama_index"])
def test_the_default_cap_holds_through_the_adapters(serve: Callable[..., RawServer], caller: str) -> None:
    server = serve(http(200, gzip_bomb(80), {"Content-Encoding": "gzip"}))  # 80 KiB -> 80 MiB
    with pytest.raises(ResponseTooLargeError) as info:
        CHAT_CALLERS[caller](server.base_url)
    assert info.value.limit == DEFAULT_MAX_RESPONSE_BYTES
    assert len(server.requests) == 1


def test_an_error_body_cut_short_still_gives_the_status_error(serve: Callable[..., RawServer]) -> None:
    # Content-Length promises 1000 bytes, 26 arrive, then the connection closes: the status decides.
    cut = http(503, b'{"error": {"message": "bu', {"Content-Length": "1000", "X-Request-ID": "req_cut"})
    server = serve(cut)
    with pytest.raises(ServiceUnavailableError) as info:
        core_chat(server.base_url, max_retries=0)
    assert (info.value.status, info.value.request_id) == (503, "req_cut")
    with pytest.raises(ServiceUnavailableError):
        core_achat(server.base_url, max_retries=0)


def test_a_body_under_the_cap_is_read_whole(serve: Callable[..., RawServer]) -> None:
    content = "x" * 300_000
    body = dict(COMPLETION, choices=[{"index": 0, "message": {"content": content}, "finish_reason": "stop"}])
    server = serve(http(200, gzip.compress(json.dumps(body).encode()), {"Content-Encoding": "gzip"}))
    assert core_chat(server.base_url, max_response_bytes=400_000).choices[0].message.content == content


# -- 12.3: a pool timeout is a leak, never retried ----------------------------------------------------


def test_pool_timeout_is_not_retried_and_says_why(serve: Callable[..., RawServer]) -> None:
    release = threading.Event()

    def open_stream(conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        frame = b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
        conn.sendall(head + f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
        release.wait(10)

    server = serve(open_stream)
    http_client = httpx.Client(limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(5.0, pool=0.2))
    client = NanoGPTClient(api_key=KEY, base_url=server.base_url, max_retries=3, http_client=http_client)
    leaked = client.stream_chat(PAYLOAD)  # never read nor closed: holds the only connection
    try:
        with pytest.raises(PoolTimeoutError, match="never closed") as info:
            client.chat(PAYLOAD)
        assert len(server.requests) == 1, "the pool timeout was not retried"
        assert info.value.__cause__ is None
    finally:
        release.set()
        leaked.close()
        http_client.close()


# -- 12.4: key hygiene and header values --------------------------------------------------------------


def test_key_with_a_trailing_newline_from_the_environment_is_stripped(
    serve: Callable[..., RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(http(200, COMPLETION))
    monkeypatch.setenv("NANOGPT_API_KEY", f"  {KEY}\n")
    ChatNanoGPT(model="m", base_url=server.base_url).invoke("hi")
    NanoGPTLLM(model="m", api_base=server.base_url, context_window=8192).chat(
        [ChatMessage(role="user", content="x")]
    )
    with NanoGPTClient(api_key=f"{KEY}\r\n", base_url=server.base_url) as client:
        client.chat(PAYLOAD)
    chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert [r.headers["authorization"] for r in chats] == [f"Bearer {KEY}"] * 3


@pytest.mark.parametrize(
    ("headers", "setting"),
    [({"X-Provider": "openai\r\nX-Evil: 1"}, "X-Provider"), ({"X-Billing-Mode": "ü"}, "")],
)
def test_bad_per_request_header_is_a_configuration_error_never_sent(
    serve: Callable[..., RawServer], caplog: pytest.LogCaptureFixture, headers: dict[str, str], setting: str
) -> None:
    server = serve(http(200, COMPLETION))
    caplog.set_level("DEBUG")
    with NanoGPTClient(api_key=KEY, base_url=server.base_url, max_retries=3) as client:
        with pytest.raises(ConfigurationError) as info:
            client.chat(PAYLOAD, headers=headers)
    value = next(iter(headers.values()))
    assert value not in str(info.value) and repr(value) not in str(info.value)
    assert KEY not in str(info.value) and KEY not in caplog.text and value not in caplog.text
    chained: BaseException | None = info.value
    while chained is not None:  # nothing reachable from the error holds the value
        assert value not in str(chained) and value.encode() not in str(chained).encode()
        assert repr(value)[1:-1] not in str(chained) and repr(value.encode())[2:-1] not in str(chained)
        chained = chained.__cause__ or chained.__context__
    assert server.requests == [], "nothing was sent, nothing retried"


# -- 13.4 and 12.6: daily caps and long Retry-After hints through the adapters ----------------------


@pytest.mark.parametrize("caller", ["core", "langchain", "llama_index"])
@pytest.mark.parametrize("code", ["daily_rpd_limit_exceeded", "daily_usd_limit_exceeded"])
def test_daily_cap_raises_at_once(serve: Callable[..., RawServer], caller: str, code: str) -> None:
    body = {"error": {"message": "Daily limit exceeded. Resets at midnight UTC.", "code": code}}
    server = serve(http(429, body, {"Retry-After": "3600", "X-Request-ID": "req_day"}))
    with pytest.raises(DailyLimitError) as info:
        CHAT_CALLERS[caller](server.base_url)
    err = info.value
    assert isinstance(err, RateLimitError)
    assert (err.status, err.code, err.request_id, err.retry_after) == (429, code, "req_day", 3600.0)
    assert err.reset_at is not None and err.reset_at.tzinfo is not None
    assert len(server.requests) == 1


@pytest.mark.parametrize("caller", ["langchain", "llama_index"])
def test_retry_after_above_the_cap_raises_at_once_through_the_adapters(
    serve: Callable[..., RawServer], caller: str
) -> None:
    server = serve(http(429, {"error": {"message": "slow down"}}, {"Retry-After": "100000"}))
    with pytest.raises(RateLimitError) as info:
        CHAT_CALLERS[caller](server.base_url)
    assert info.value.retry_after == 100000.0
    assert len(server.requests) == 1


# -- 15.3: where the connection failed and what to do ----------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("caller", ["core", "core-async", "langchain", "llama_index"])
def test_connection_refused_names_the_url_and_what_to_check(
    caller: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nanogpt_integrations.core.client.time.sleep", lambda _s: None)

    async def no_sleep(_s: float) -> None:
        return None

    monkeypatch.setattr("nanogpt_integrations.core.async_client.asyncio.sleep", no_sleep)
    base = f"http://127.0.0.1:{_closed_port()}/api/v1"
    with pytest.raises(APIConnectionError) as info:
        CHAT_CALLERS[caller](base)
    text = str(info.value)
    assert f"POST {base}/chat/completions" in text
    assert "NANOGPT_BASE_URL" in text and "network" in text
    assert len(text) < 300
    printed = "".join(traceback.format_exception(info.value))
    assert "direct cause" not in printed and "During handling" not in printed
    assert isinstance(info.value.__context__, httpx.ConnectError), "the httpx error stays reachable"


@pytest.mark.parametrize("caller", ["core", "langchain", "llama_index"])
def test_404_under_a_base_url_without_api_v1_says_so(serve: Callable[..., RawServer], caller: str) -> None:
    server = serve(http(404, {"error": "Unknown route: POST /api/chat/completions"}))
    base = server.base_url.removesuffix("/v1")  # http://127.0.0.1:port/api
    with pytest.raises(NotFoundError) as info:
        CHAT_CALLERS[caller](base)
    assert "Unknown route" in str(info.value)
    assert f"the base URL {base} does not end in /api/v1" in str(info.value)
    assert "/api/subscription/v1" in str(info.value)


def test_404_under_a_correct_base_url_has_no_base_url_hint(serve: Callable[..., RawServer]) -> None:
    server = serve(http(404, {"error": {"message": "Model not found", "code": "model_not_found"}}))
    with pytest.raises(NotFoundError) as info:
        core_chat(server.base_url)
    assert "base URL" not in str(info.value)
