"""HTTP plumbing: a threaded HTTP/1.1 server, routing, authentication and fault injection."""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import socket
import struct
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .batches import batch_route
from .catalogue import handle_models
from .chat import handle_chat
from .completions import handle_completions, handle_talk_to_gpt
from .embeddings import handle_embeddings
from .errors import ApiError
from .faults import MID_RESPONSE_KINDS, Envelope, Fault, FaultKind
from .providers import handle_providers, is_providers_path
from .recording import RecordedRequest
from .responses import DONE_FRAME, MALFORMED_FRAME, Response, StreamResponse, json_response, sse_frame
from .responses_api import handle_create, handle_delete, handle_get, handle_info
from .state import EmulatorState
from .tee import handle_attestation, handle_signature, recording_tee
from .websearch import handle_web_search

logger = logging.getLogger(__name__)

Handler = Callable[[RecordedRequest, EmulatorState], "Response | StreamResponse"]
MAX_BODY_BYTES = 32 * 1024 * 1024  # ref §1 (D-hosts): 32 MiB body limit
_CONNECTION_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True)
class _Route:
    handler: Handler
    auth: bool = True
    envelope: Envelope = "object"


_ROUTES: dict[tuple[str, str], _Route] = {
    ("POST", "/api/v1/chat/completions"): _Route(recording_tee(handle_chat)),  # ref §2, §13
    ("POST", "/api/v1legacy/chat/completions"): _Route(handle_chat),  # ref §1, §4
    ("POST", "/api/subscription/v1/chat/completions"): _Route(handle_chat),  # ref §1
    ("POST", "/api/v1/completions"): _Route(handle_completions),  # ref §9.1
    ("POST", "/api/talk-to-gpt"): _Route(handle_talk_to_gpt, envelope="string"),  # ref §9.2
    ("POST", "/api/web"): _Route(handle_web_search, envelope="string"),  # ref §10
    ("POST", "/api/v1/data/web/search"): _Route(handle_web_search),  # ref §10
    ("GET", "/api/v1/models"): _Route(handle_models, auth=False),  # ref §11
    ("GET", "/api/subscription/v1/models"): _Route(handle_models, auth=False),  # ref §11
    ("GET", "/api/paid/v1/models"): _Route(handle_models, auth=False),  # ref §11
    ("POST", "/api/v1/embeddings"): _Route(handle_embeddings),  # ref §12
    ("POST", "/api/v1/responses"): _Route(handle_create),  # ref §8
    ("GET", "/api/v1/responses"): _Route(handle_info),  # ref §8 endpoint info
    ("GET", "/v1/responses"): _Route(handle_info),  # ref §8 endpoint info (documented without /api)
    ("GET", "/api/v1/tee/attestation"): _Route(handle_attestation),  # ref §13 (guide)
    ("GET", "/v1/tee/attestation"): _Route(handle_attestation),  # ref §13 (endpoint page / OpenAPI)
}

# Routes with an id as the last path segment: (method, prefix) → route (ref §8, §13).
_PREFIX_ROUTES: dict[tuple[str, str], _Route] = {
    ("GET", "/api/v1/responses/"): _Route(handle_get),
    ("DELETE", "/api/v1/responses/"): _Route(handle_delete),
    ("GET", "/api/v1/tee/signature/"): _Route(handle_signature),
    ("GET", "/v1/tee/signature/"): _Route(handle_signature),
}


#: Provider discovery (api-reference/miscellaneous/provider-selection.mdx); a key is not required
#: (OpenAPI lists bearer auth, a public client calls it without one: uncertain).
_PROVIDERS_ROUTE = _Route(handle_providers, auth=False)


def _route(method: str, path: str) -> _Route | None:
    """The exact route, else provider discovery, else the id-suffixed one (one non-empty segment
    after the prefix)."""
    route = _ROUTES.get((method, path))
    if route is not None:
        return route
    if method == "GET" and is_providers_path(path):
        return _PROVIDERS_ROUTE
    batch_handler = batch_route(method, path)  # files and batches, both workflows
    if batch_handler is not None:
        return _Route(batch_handler)
    prefix, _, last = path.rpartition("/")
    return _PREFIX_ROUTES.get((method, prefix + "/")) if last else None


class _RequestError(Exception):
    """A request the server cannot even parse."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


class EmulatorServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer with daemon threads, a deep accept queue and connection tracking."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, host: str, port: int, state: EmulatorState, api_key: str | None) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.state = state
        self.api_key = api_key
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse-DNS lookup `HTTPServer.server_bind` does."""
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket) -> None:
        """Remember an open connection so `close_connections` can end it."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a finished connection."""
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection (wakes handlers blocked on keep-alive reads)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler crashes at debug level instead of printing them."""
        logger.debug("emulator handler error for %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """One connection; serves requests until the client or the server closes it."""

    protocol_version = "HTTP/1.1"
    server_version = "NanoGPTEmulator/1.0"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: EmulatorServer

    def setup(self) -> None:
        """Track the connection."""
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        """Untrack the connection."""
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Every response, errors included, carries `X-Request-ID: req_<hex>` (ref §2.3, §14)."""
        super().send_response(code, message)
        self.send_header("X-Request-ID", f"req_{uuid.uuid4().hex[:24]}")

    def log_message(self, format: str, *args: Any) -> None:
        """Route access logs to `logging` at debug level."""
        logger.debug("emulator: " + format, *args)

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve a PUT (always 404)."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve a DELETE (always 404)."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve a PATCH (always 404)."""
        self._serve()

    def do_OPTIONS(self) -> None:
        """Serve an OPTIONS (always 404)."""
        self._serve()

    def do_HEAD(self) -> None:
        """Serve a HEAD like a GET, without the body."""
        self._serve()

    # -- request ---------------------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            self._serve_request()
        except _CONNECTION_ERRORS:
            self.close_connection = True
        except OSError:
            self.close_connection = True
            logger.debug("emulator socket error", exc_info=True)

    def _serve_request(self) -> None:
        try:
            call = self._read_call()
        except _RequestError as exc:
            self.close_connection = True
            self._send(json_response(exc.error.body(), exc.error.status), None)
            return
        state = self.server.state
        state.record(call)
        limited = state.limits.check(call)  # switchable 25 req/s and daily caps (limits.py)
        if limited is not None:
            self._send(limited, None)
            return
        route = _route("GET" if call.method == "HEAD" else call.method, call.path)
        fault = state.take_fault(call.path)
        if fault is not None and fault.kind not in MID_RESPONSE_KINDS:
            if not self._apply_early_fault(fault):
                return
            fault = None
        response = self._dispatch(call, route)
        if isinstance(response, StreamResponse):
            self._send_stream(response, fault)
        else:
            self._send(response, fault)

    def _read_call(self) -> RecordedRequest:
        split = urlsplit(self.path)
        path = split.path or "/"
        if len(path) > 1:
            path = path.rstrip("/")
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {key.lower(): value for key, value in self.headers.items()}
        raw = self._decode_body(self._read_body(headers), headers.get("content-encoding", ""))
        body: Any = None
        if raw.strip():
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
        return RecordedRequest(self.command, path, query, headers, body, raw)

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length_header = headers.get("content-length", "").strip()
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise _RequestError(ApiError(400, "Invalid Content-Length")) from None
        if length > MAX_BODY_BYTES:
            raise _RequestError(ApiError(413, "Request body exceeds 32 MiB"))
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise _RequestError(ApiError(400, "Invalid chunked body")) from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                raise _RequestError(ApiError(413, "Request body exceeds 32 MiB"))
            parts.append(self.rfile.read(size))
            self.rfile.readline(16)

    @staticmethod
    def _decode_body(raw: bytes, encoding: str) -> bytes:
        """Undo `Content-Encoding: gzip|deflate` (ref §2.3 request compression)."""
        encoding = encoding.strip().lower()
        try:
            if encoding == "gzip":
                return gzip.decompress(raw)
            if encoding == "deflate":
                return zlib.decompress(raw)
        except (OSError, zlib.error, EOFError):
            raise _RequestError(ApiError(400, f"Body is not valid {encoding}", code="invalid_json")) from None
        return raw

    def _dispatch(self, call: RecordedRequest, route: _Route | None) -> Response | StreamResponse:
        envelope: Envelope = route.envelope if route else "object"
        try:
            if route is None:
                # ref §14: 404 `not_found_error`
                raise ApiError(404, f"Unknown route: {call.method} {call.path}", error_type="not_found_error")
            if route.auth:
                self._authenticate(call, envelope)
            return route.handler(call, self.server.state)
        except ApiError as error:
            return json_response(error.body(), error.status, error.headers)
        except Exception:
            logger.exception("emulator endpoint crashed on %s %s", call.method, call.path)
            crash = ApiError(500, "Emulator internal error", error_type="server_error", envelope=envelope)
            return json_response(crash.body(), 500)

    def _authenticate(self, call: RecordedRequest, envelope: Envelope) -> None:
        """Bearer or x-api-key (ref §1 Authentication); 401 `missing_api_key` / `invalid_api_key`."""
        authorization = call.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        keys = [
            key
            for key in (
                token.strip() if scheme.lower() == "bearer" else "",
                call.headers.get("x-api-key", "").strip(),
            )
            if key
        ]
        if not keys:
            raise ApiError(401, "Missing API key", code="missing_api_key", envelope=envelope)
        if self.server.api_key is not None and self.server.api_key not in keys:
            raise ApiError(401, "Invalid API key", code="invalid_api_key", envelope=envelope)

    # -- faults ----------------------------------------------------------------------------------

    def _apply_early_fault(self, fault: Fault) -> bool:
        """Apply a fault that acts before the response; True when the request should still be served."""
        if fault.kind is FaultKind.RESET_BEFORE_HEADERS:
            self._reset()
            return False
        if fault.kind is FaultKind.STALL:
            generation = self.server.state.generation
            if self._wait(fault.seconds) or self.server.state.generation != generation:
                # Stopping, or cleared meanwhile (its test is over): never serve it late.
                self._reset()
                return False
            return True
        # ref §2.3 / §14: `Retry-After` (seconds) on 429s; body in the chosen ref §14 envelope
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        error = ApiError(
            fault.status,
            fault.message,
            code=fault.code,
            error_type=fault.error_type,
            param=fault.param,
            envelope=fault.envelope,
            include_status=fault.include_status,
            extra=fault.extra,
        )
        self._send(json_response(error.body(), fault.status, headers), None)
        return False

    def _wait(self, seconds: float) -> bool:
        """Sleep, waking early when the server stops; True when it is stopping."""
        return self.server.stopping.wait(max(seconds, 0.0))

    def _reset(self) -> None:
        """Close the connection with SO_LINGER 0 so the peer gets a TCP RST."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.rfile.close()
            self.connection.close()

    # -- responses -------------------------------------------------------------------------------

    def _start(self, status: int, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)

    def _send(self, response: Response, fault: Fault | None) -> None:
        body = response.body
        if fault is not None and fault.kind is FaultKind.MALFORMED_FRAME:
            body = b"{not json"
        if fault is not None and fault.kind is FaultKind.ERROR_FRAME:
            error = ApiError(fault.status, fault.message, code=fault.code)
            response = json_response(error.body(), fault.status)
            body, fault = response.body, None
        self._start(response.status, response.content_type, response.headers)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault is None or fault.kind is FaultKind.MALFORMED_FRAME:
            self.wfile.write(body)
            return
        half = len(body) // 2
        if fault.kind is FaultKind.TRICKLE:
            half = 0
        self.wfile.write(body[:half])
        if fault.kind is FaultKind.RESET_MID_STREAM:
            self._reset()
            return
        if fault.kind is FaultKind.EOF_WITHOUT_DONE:
            self.close_connection = True
            return
        if self._wait(fault.seconds):
            self._reset()
            return
        self.wfile.write(body[half:])

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _send_stream(self, stream: StreamResponse, fault: Fault | None) -> None:
        self._start(stream.status, "text/event-stream", stream.headers)  # ref §2.8
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        frames = stream.frames
        trigger = min(fault.after_chunks, len(frames) - 1) if fault is not None else -1
        for index, frame in enumerate(frames):
            if fault is not None and index == trigger and not self._stream_fault(fault, frames):
                return
            if fault is not None and fault.kind is FaultKind.TRICKLE and self._wait(fault.seconds):
                self._reset()
                return
            self._write_chunk(frame)
        self.wfile.write(b"0\r\n\r\n")

    def _stream_fault(self, fault: Fault, frames: list[bytes]) -> bool:
        """Apply a mid-stream fault; True when the stream should carry on."""
        if fault.kind is FaultKind.RESET_MID_STREAM:
            self._reset()
            return False
        if fault.kind is FaultKind.MALFORMED_FRAME:
            self._write_chunk(MALFORMED_FRAME)
            return True
        if fault.kind is FaultKind.EOF_WITHOUT_DONE:
            self.wfile.write(b"0\r\n\r\n")
            return False
        if fault.kind is FaultKind.ERROR_FRAME:
            first = json.loads(frames[0][len(b"data: ") :])
            error_chunk = {
                "id": first.get("id"),
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
                "error": {"status": fault.status, "message": fault.message, "code": fault.code},
            }  # ref §2.8 mid-stream error frame
            self._write_chunk(sse_frame(error_chunk))
            self._write_chunk(DONE_FRAME)
            self.wfile.write(b"0\r\n\r\n")
            return False
        if fault.kind is FaultKind.STALL_MID_STREAM and self._wait(fault.seconds):
            self._reset()
            return False
        return True
