"""Client configuration shared by the sync and async clients: key, URLs, timeouts, headers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from .._version import __version__
from ._constants import API_HOST_BASE_URL, DEFAULT_BASE_URL
from ._retry import RetryPolicy
from .errors import MissingAPIKeyError
from .headers import check_header
from .sse import DEFAULT_MAX_EVENT_BYTES, check_max_event_bytes
from .streaming import check_stream_deadline

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "ClientConfig",
    "TimeoutTypes",
    "check_header",
    "resolve_timeout",
]

#: Connect quickly or fail; give generation up to 10 minutes between bytes.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
USER_AGENT = f"nanogpt-integrations/{__version__} (python; httpx)"

TimeoutTypes = float | int | tuple[float, float] | httpx.Timeout | None

#: Largest decoded (decompressed) response body read into memory: generous for any JSON reply,
#: small enough that a hostile or broken server cannot exhaust memory (a gzip bomb).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


def resolve_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """Accept seconds, ``(connect, read)`` or an ``httpx.Timeout``; None means the default."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, tuple):
        connect, read = timeout
        return httpx.Timeout(read, connect=connect)
    if isinstance(timeout, (int, float)) and timeout > 0:
        return httpx.Timeout(float(timeout))
    raise ValueError(
        f"timeout must be a positive number of seconds, a (connect, read) tuple or httpx.Timeout; got {timeout!r}"
    )


def _secret(api_key: str | SecretStr | None) -> SecretStr | None:
    """The key without surrounding whitespace (a key file or Kubernetes secret often ends in a
    newline), checked as a header value; an empty key is None."""
    setting = "api_key"
    if api_key is None:
        raw = os.environ.get("NANOGPT_API_KEY") or ""
        setting = "NANOGPT_API_KEY"
    elif isinstance(api_key, SecretStr):
        raw = api_key.get_secret_value()
    else:
        raw = api_key
    key = raw.strip()
    if not key:
        return None
    check_header("Authorization", f"Bearer {key}", setting=setting)
    return api_key if isinstance(api_key, SecretStr) and key == raw else SecretStr(key)


def _api_root_of(url: str) -> str:
    marker = url.rfind("/api/")
    if marker >= 0:
        return url[: marker + len("/api")]
    for suffix in ("/v1legacy", "/v1thinking", "/v1"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


@dataclass(frozen=True, repr=False)
class ClientConfig:
    """Everything a client needs to build requests; never shows the key in ``repr``."""

    api_key: SecretStr | None
    base_url: str
    timeout: httpx.Timeout
    retry: RetryPolicy
    default_headers: Mapping[str, str] = field(default_factory=dict)
    #: Largest decoded body read from a non-stream reply or an error reply.
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    #: Cap on one server-sent event, in bytes (docs/streams-and-limits.md).
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    #: Optional bound, in seconds, on a whole stream; ``timeout`` applies per read.
    stream_deadline: float | None = None

    @classmethod
    def create(
        cls,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        stream_deadline: float | None = None,
    ) -> ClientConfig:
        """Resolve arguments against ``NANOGPT_API_KEY`` / ``NANOGPT_BASE_URL`` (no other vendor's
        variables). Every header is checked here, so a bad key or header fails before any request
        with a :class:`ConfigurationError` that does not show it."""
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0; got {max_retries}")
        if (
            isinstance(max_response_bytes, bool)
            or not isinstance(max_response_bytes, int)
            or max_response_bytes < 1
        ):
            raise ValueError(f"max_response_bytes must be a positive int; got {max_response_bytes!r}")
        url = (base_url or os.environ.get("NANOGPT_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
        from .arguments import check_base_url  # the one base-URL check (adapters use it too)

        check_base_url(url)
        headers = dict(default_headers or {})
        for name, value in headers.items():
            check_header(name, value, setting=f"default_headers[{name!r}]")
        return cls(
            api_key=_secret(api_key),
            base_url=url,
            timeout=resolve_timeout(timeout),
            retry=RetryPolicy(max_retries=max_retries),
            default_headers=headers,
            max_response_bytes=max_response_bytes,
            max_event_bytes=check_max_event_bytes(max_event_bytes),
            stream_deadline=check_stream_deadline(stream_deadline),
        )

    def __repr__(self) -> str:
        key = "'**********'" if self.api_key else "None"
        return (
            f"ClientConfig(base_url={self.base_url!r}, api_key={key}, max_retries={self.retry.max_retries})"
        )

    @property
    def api_root(self) -> str:
        """The ``/api`` root for non-v1 routes (``/web``, ``/talk-to-gpt``), derived from the base URL.

        ``https://nano-gpt.com/api/v1`` and ``.../api/subscription/v1`` both give ``https://nano-gpt.com/api``.
        """
        return _api_root_of(self.base_url)

    @property
    def api_host_url(self) -> str:
        """The base URL of Responses and Batch API calls: the one place that decides it.

        With the default base URL this is ``https://api.nano-gpt.com/api/v1``, the dedicated API host
        that ``api-reference/endpoint/responses.mdx`` recommends for Responses clients and
        ``api-reference/endpoint/batches.mdx`` for batch operations and uploads; any other base URL
        (argument or ``NANOGPT_BASE_URL``) is the user's choice and wins.
        """
        return API_HOST_BASE_URL if self.base_url == DEFAULT_BASE_URL else self.base_url

    @property
    def beta_url(self) -> str:
        """The ``/api/beta`` root of the inline Batch API, derived from :attr:`api_host_url`
        (``https://api.nano-gpt.com/api/beta`` by default, ``api-reference/endpoint/batches.mdx``)."""
        return f"{_api_root_of(self.api_host_url)}/beta"

    def url(self, path: str, *, api_root: bool = False) -> str:
        return f"{self.api_root if api_root else self.base_url}/{path.lstrip('/')}"

    def require_key(self) -> str:
        """The key, or a :class:`MissingAPIKeyError` naming ``NANOGPT_API_KEY`` (before any request)."""
        if self.api_key is None:
            raise MissingAPIKeyError(
                "No NanoGPT API key: pass api_key=... or set the NANOGPT_API_KEY environment variable "
                "(get a key at https://nano-gpt.com/api)."
            )
        return self.api_key.get_secret_value()

    def client_headers(self) -> dict[str, str]:
        """The headers every request carries: set once on a pooled httpx client the package owns."""
        return {"User-Agent": USER_AGENT, "Accept": "application/json", **self.default_headers}

    def headers(
        self,
        extra: Mapping[str, str] | None = None,
        *,
        stream: bool = False,
        auth: bool = True,
        client_level: bool = True,
    ) -> dict[str, str]:
        """The headers of one request; ``client_level=False`` leaves out :meth:`client_headers`
        (already on the httpx client), which saves httpx merging them on every request."""
        out = self.client_headers() if client_level else {}
        if stream:
            out["Accept"] = "text/event-stream"
        if auth:
            out["Authorization"] = f"Bearer {self.require_key()}"
        if extra:
            out.update(extra)
        return out
