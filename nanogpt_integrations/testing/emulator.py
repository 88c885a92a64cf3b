"""`NanoGPTEmulator`: start/stop the local NanoGPT server, script replies, inject faults, read the log."""

from __future__ import annotations

import threading
from types import TracebackType

from .batch_store import BatchStore
from .faults import Fault
from .limits import RateLimits
from .recording import RecordedRequest
from .replies import ChatReply
from .server import EmulatorServer
from .state import EmulatorState
from .tee import TamperMode


class NanoGPTEmulator:
    """A NanoGPT API emulator on a real HTTP/1.1 socket (127.0.0.1, ephemeral port by default).

    `api_key=None` accepts any non-empty key (Bearer or `x-api-key`); a string accepts only that key.
    Model ids outside the emulator's catalogue answer 404 `model_not_found`, as NanoGPT does, unless
    `accept_any_model=True` (then they are served by a permissive stand-in model).
    Use as a context manager, or call `start()` / `stop()`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        *,
        accept_any_model: bool = False,
    ) -> None:
        self.host = host
        self._port = port
        self.api_key = api_key
        self._state = EmulatorState(accept_any_model=accept_any_model)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> NanoGPTEmulator:
        """Bind and serve in a daemon thread (no-op when already running)."""
        with self._lifecycle:
            if self._server is not None:
                return self
            server = EmulatorServer(self.host, self._port, self._state, self.api_key)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="nanogpt-emulator",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
            return self

    def stop(self) -> None:
        """Stop serving and close every connection; returns promptly even with stalled handlers."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=1.0)

    def __enter__(self) -> NanoGPTEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port."""
        if self._server is None:
            raise RuntimeError("NanoGPTEmulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """`http://HOST:PORT`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT/api/v1`, the OpenAI-compatible base URL."""
        return f"{self.url}/api/v1"

    # -- scripting and inspection ----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received since the last `clear()`."""
        return self._state.requests()

    def last_request(self, path_suffix: str | None = None) -> RecordedRequest:
        """The latest request (whose path ends with `path_suffix`, when given); LookupError if none."""
        for request in reversed(self._state.requests()):
            if path_suffix is None or request.path.endswith(path_suffix):
                return request
        raise LookupError(f"no request recorded{'' if path_suffix is None else f' for *{path_suffix}'}")

    def clear(self) -> None:
        """Forget requests, scripted replies, pending faults, cached prompt prefixes and provider
        outages; `accept_any_model` returns to the constructor's value."""
        self._state.clear()

    # -- models and providers ----------------------------------------------------------------------

    @property
    def accept_any_model(self) -> bool:
        """Serve model ids outside the catalogue instead of answering 404 `model_not_found`
        (reset by :meth:`clear` to the constructor's value)."""
        return self._state.accept_any_model

    @accept_any_model.setter
    def accept_any_model(self, value: bool) -> None:
        self._state.accept_any_model = bool(value)

    @staticmethod
    def models() -> list[str]:
        """The chat model ids the emulator serves (`GET /api/v1/models`)."""
        from .catalogue import MODELS

        return [spec.id for spec in MODELS]

    def fail_provider(self, provider: str, *, model: str | None = None) -> None:
        """Make upstream `provider` fail (for `model` only, when given) until :meth:`restore_provider`
        or :meth:`clear`: requests fail over to the model's next provider (a fresh prompt cache),
        or answer 503 `fallback_blocked_for_cache_consistency` with `prompt_caching.stickyProvider`,
        or 503 `all_fallbacks_failed` when no provider is left. Discovery shows it unavailable."""
        self._state.routes.set_down(provider, model, True)

    def restore_provider(self, provider: str, *, model: str | None = None) -> None:
        """Undo :meth:`fail_provider`."""
        self._state.routes.set_down(provider, model, False)

    @property
    def last_provider(self) -> str | None:
        """The upstream provider that served the latest chat, completion or Responses call."""
        return self._state.routes.last_provider

    def script(self, *replies: ChatReply) -> None:
        """Queue replies returned, in order, by the next `/chat/completions` calls (stream or not)."""
        self._state.script(replies)

    @property
    def tee_tampered(self) -> TamperMode | None:
        """TEE tampered mode (tee-verification.mdx): None, ``"key"`` (signs with another key),
        ``"hashes"`` (signs other digests with the right key), ``"opaque"`` (signs a text without
        digests) or ``"nonce"`` (echoes another nonce); ``True`` means ``"key"``. Reset by
        :meth:`clear`."""
        return self._state.tee.tampered

    @tee_tampered.setter
    def tee_tampered(self, mode: TamperMode | bool | None) -> None:
        self._state.tee.tampered = "key" if mode is True else (mode or None)

    @property
    def responses_background_polls(self) -> int:
        """How many ``GET /responses/{id}`` polls a background response takes to finish (default 2;
        reset by :meth:`clear`)."""
        return self._state.responses.background_polls

    @responses_background_polls.setter
    def responses_background_polls(self, polls: int) -> None:
        self._state.responses.background_polls = max(int(polls), 1)

    @property
    def batches(self) -> BatchStore:
        """The Batch API state: ``phase_seconds`` (time per status, default 0.2), ``auto = False`` with
        ``advance(batch_id, to_end=...)`` for tests, ``expire(batch_id)``, ``batches[id].cost`` /
        ``.sync_cost`` (half price vs synchronous). Reset by :meth:`clear`."""
        return self._state.batches

    @property
    def limits(self) -> RateLimits:
        """Switchable rate limits: ``limits.configure(requests_per_second=25, daily_requests=...,
        daily_usd=...)``; ``limits.rejected`` counts the 429s sent. Off again after :meth:`clear`."""
        return self._state.limits

    def inject(self, fault: Fault, *, times: int = 1, path: str = "/chat/completions") -> None:
        """Apply `fault` to the next `times` requests whose path ends with `path` (`"*"` = any path)."""
        self._state.inject(fault, times, path)
