"""A hostile HTTP server on raw sockets for the stream tests, and helpers to aim the adapters at it.

``hostile(handler)`` starts a server on 127.0.0.1 that, for every connection, reads one HTTP/1.1
request and calls ``handler(conn)``; the handler writes whatever bytes it likes (status line,
headers, SSE frames split anywhere, keep-alive comments forever, silence) through ``conn``. No
HTTP library is involved on the server side, so nothing is normalised before the client sees it.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from nanogpt_integrations.core import AsyncNanoGPTClient, NanoGPTClient

KEY = "hostile-test-key"
MODEL = "openai/gpt-4o-mini"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Conn:
    """One accepted connection: the request it carried, and ways to answer it."""

    sock: socket.socket
    request: Request
    stopped: threading.Event

    def send(self, data: bytes) -> bool:
        """Write raw bytes; False once the client has gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def sse_head(self, status: int = 200, content_type: str = "text/event-stream") -> bool:
        """Status line and headers of a body that ends when the connection closes."""
        return self.send(
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nX-Request-ID: req_hostile\r\n"
            "Connection: close\r\n\r\n".encode()
        )

    def sse(self, *parts: bytes | float) -> None:
        """Headers, then each part: bytes are written, a float is a pause in seconds."""
        if not self.sse_head():
            return
        for part in parts:
            if isinstance(part, float):
                time.sleep(part)
            elif not self.send(part):
                return

    def json(self, obj: Any, status: int = 200) -> None:
        body = json.dumps(obj).encode()
        self.send(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nX-Request-ID: req_hostile\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )

    def keep_alive(self, every: float = 0.05) -> None:
        """Send ``: keep-alive`` comments until the client leaves or the test ends."""
        while not self.stopped.is_set() and self.send(b": keep-alive\n\n"):
            time.sleep(every)

    def hold(self) -> None:
        """Send nothing at all until the client leaves or the test ends."""
        while not self.stopped.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if ready:
                try:
                    if not self.sock.recv(4096):
                        return
                except OSError:
                    return


Handler = Callable[[Conn], None]


@dataclass
class HostileServer:
    handler: Handler
    requests: list[Request] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._one, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _one(self, sock: socket.socket) -> None:
        with sock:
            request = _read_request(sock)
            if request is None:
                return
            self.requests.append(request)
            if request.path.rstrip("/").endswith("/models"):
                Conn(sock, request, self.stopped).json({"error": {"message": "no catalogue here"}}, 404)
                return
            self.handler(Conn(sock, request, self.stopped))

    def close(self) -> None:
        self.stopped.set()
        self._accept.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)


def _read_request(sock: socket.socket) -> Request | None:
    sock.settimeout(10)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                return None
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
    except OSError:
        return None
    sock.settimeout(None)
    return Request(method, path, headers, body)


@pytest.fixture
def hostile() -> Iterator[Callable[[Handler], HostileServer]]:
    servers: list[HostileServer] = []

    def start(handler: Handler) -> HostileServer:
        server = HostileServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


# -- frames --------------------------------------------------------------------------------------


def chunk(delta: dict[str, Any] | None = None, *, finish: str | None = None, **top: Any) -> dict[str, Any]:
    choices = (
        []
        if delta is None and finish is None
        else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    )
    return {
        "id": "chatcmpl-h",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": choices,
        **top,
    }


def frame(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


def completion(message: dict[str, Any], *, finish: str = "stop", **top: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-h",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        **top,
    }


# -- clients and adapters aimed at a server --------------------------------------------------------


def clients(server: HostileServer, **limits: Any) -> tuple[NanoGPTClient, AsyncNanoGPTClient]:
    settings: dict[str, Any] = {
        "api_key": KEY,
        "base_url": server.base_url,
        "max_retries": 0,
        "timeout": 10.0,
    }
    return NanoGPTClient(**settings, **limits), AsyncNanoGPTClient(**settings, **limits)


def chat_model(server: HostileServer, **kwargs: Any) -> Any:
    from nanogpt_integrations.langchain import ChatNanoGPT

    return ChatNanoGPT(
        model=MODEL, api_key=KEY, base_url=server.base_url, max_retries=0, timeout=10.0, **kwargs
    )


def llama_llm(server: HostileServer, **kwargs: Any) -> Any:
    from nanogpt_integrations.llama_index import NanoGPTLLM

    return NanoGPTLLM(
        model=MODEL,
        api_key=KEY,
        api_base=server.base_url,
        max_retries=0,
        timeout=10.0,
        context_window=128000,
        is_function_calling_model=True,
        **kwargs,
    )


def with_limits(adapter: Any, **limits: Any) -> Any:
    """Set the adapter's stream bounds (``max_event_bytes``, ``stream_deadline``) as a user would."""
    for name, value in limits.items():
        setattr(adapter, name, value)
    return adapter
