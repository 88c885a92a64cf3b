"""Settings both LangChain adapters share: connection, sampling and NanoGPT options, lazy clients."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from ..core import (
    NanoGPTOptions,
    PromptCaching,
    ProviderRouting,
    ReasoningOptions,
    WebSearchOptions,
)

if TYPE_CHECKING:
    # The clients (and with them httpx) load on the first request, not on import: importing
    # ChatNanoGPT costs what BaseChatModel costs plus the option and translation modules.
    from ..core import AsyncNanoGPTClient, NanoGPTClient

__all__ = ["NanoGPTSettings"]

_OPTION_NAMES = NanoGPTOptions.field_names()

_SAMPLING = (
    "temperature",
    "max_tokens",
    "top_p",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "top_k",
    "min_p",
    "repetition_penalty",
)


class _Clients:
    """The core clients of one settings object, built on first use.

    Copies start empty (a connection pool is never copied or pickled), and a change of key, URL,
    timeout, retries or headers builds new clients instead of reusing stale ones.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._sync: NanoGPTClient | None = None
        self._async: AsyncNanoGPTClient | None = None
        self._options: tuple[tuple[Any, ...], NanoGPTOptions] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _Clients:
        return _Clients()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def options(self, values: tuple[Any, ...], build: Callable[[], NanoGPTOptions]) -> NanoGPTOptions:
        """The options built for ``values`` last time, else newly built (and validated)."""
        cached = self._options
        if cached is not None and cached[0] == values:
            return cached[1]
        options = build()
        self._options = (values, options)
        return options

    def _reset_if_changed(self, key: tuple[Any, ...]) -> None:
        if key != self._key:
            self._key, self._sync, self._async = key, None, None

    def sync(self, key: tuple[Any, ...], kwargs: Callable[[], dict[str, Any]]) -> NanoGPTClient:
        client = self._sync  # read before the key: a concurrent reset changes the key first
        if client is not None and key == self._key:
            return client
        with self._lock:
            self._reset_if_changed(key)
            if self._sync is None:
                from ..core.client import NanoGPTClient

                self._sync = NanoGPTClient(**kwargs())
            return self._sync

    def async_(self, key: tuple[Any, ...], kwargs: Callable[[], dict[str, Any]]) -> AsyncNanoGPTClient:
        client = self._async
        if client is not None and key == self._key:
            return client
        with self._lock:
            self._reset_if_changed(key)
            if self._async is None:
                from ..core.async_client import AsyncNanoGPTClient

                self._async = AsyncNanoGPTClient(**kwargs())
            return self._async


class NanoGPTSettings(BaseModel):
    """Fields named after LangChain's conventions first, NanoGPT's options second."""

    model_config = ConfigDict(populate_by_name=True, hide_input_in_errors=True)

    # -- LangChain conventions ---------------------------------------------------------------------
    model: str = Field(alias="model_name")
    """NanoGPT model id, e.g. ``openai/gpt-4o-mini`` or ``claude-sonnet-4-5`` (suffixes allowed)."""
    api_key: SecretStr | None = Field(default_factory=secret_from_env("NANOGPT_API_KEY", default=None))
    base_url: str | None = Field(default_factory=from_env("NANOGPT_BASE_URL", default=None))
    """Defaults to ``https://nano-gpt.com/api/v1``."""
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    timeout: float | tuple[float, float] | None = None
    """Seconds (or ``(connect, read)``); None = 10 s connect, 600 s between bytes."""
    max_retries: int = 2
    """Retries of the core client (429 with ``Retry-After``, 5xx, connection errors); the only retry layer."""
    default_headers: dict[str, str] | None = None
    streaming: bool = False
    stream_usage: bool = True
    """Ask for usage (and cost) on the last stream chunk (``stream_options.include_usage``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra body fields merged into every request."""
    extra_body: dict[str, Any] | None = None
    """Body fields merged last, overriding anything else."""

    # -- NanoGPT sampling extras -------------------------------------------------------------------
    top_k: int | None = None
    min_p: float | None = None
    repetition_penalty: float | None = None

    # -- NanoGPT options (same names and types as the core's NanoGPTOptions) ----------------------
    web_search: bool | str | WebSearchOptions | None = None
    """True / "standard" / "deep" / an ``:online/<variant>`` name (model suffix), or options (body)."""
    routing: str | None = None
    """"speed", "price", "throughput", "latency", "tools", "caching" (model suffix)."""
    provider: str | ProviderRouting | None = None
    """A provider id (``X-Provider`` header) or a routing object (body ``provider``)."""
    billing_mode: str | None = None
    caching: bool | None = None
    sticky_provider: bool | None = None
    prompt_caching: bool | PromptCaching | None = None
    reasoning_effort: str | None = None
    reasoning: ReasoningOptions | None = None

    _clients: _Clients = PrivateAttr(default_factory=lambda: _Clients())

    @model_validator(mode="after")
    def _validate_options(self) -> Self:
        """Check every NanoGPT option now (conflicting suffixes, bad values), not at the first call."""
        self._nanogpt_options()
        return self

    def _nanogpt_options(self) -> NanoGPTOptions:
        """The validated core options object for the current field values (memoised per values)."""
        values = tuple(getattr(self, name) for name in _OPTION_NAMES)
        return self._clients.options(
            values, lambda: NanoGPTOptions(**dict(zip(_OPTION_NAMES, values, strict=True)))
        )

    # -- clients (created lazily, rebuilt if the connection settings change, never serialised) -----

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
        }

    def _client_key(self) -> tuple[Any, ...]:
        secret = self.api_key.get_secret_value() if self.api_key else None
        headers = tuple(sorted((self.default_headers or {}).items()))
        return (secret, self.base_url, self.timeout, self.max_retries, headers)

    def _sync_client(self) -> NanoGPTClient:
        return self._clients.sync(self._client_key(), self._client_kwargs)

    def _async_client_get(self) -> AsyncNanoGPTClient:
        return self._clients.async_(self._client_key(), self._client_kwargs)

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """Option objects serialise as plain dicts, so ``dumpd``/``load`` round-trip them."""
        return {
            name: value.model_dump(exclude_none=True)
            for name in ("web_search", "provider", "prompt_caching", "reasoning")
            if isinstance(value := getattr(self, name), BaseModel)
        }

    def _defaults(self) -> dict[str, Any]:
        """Sampling fields that are set, as body fields."""
        return {name: value for name in _SAMPLING if (value := getattr(self, name)) is not None}

    def _option_params(self) -> dict[str, Any]:
        """NanoGPT option fields that are set (names computed once, at import)."""
        return {name: value for name in _OPTION_NAMES if (value := getattr(self, name)) is not None}

    def _catalogue_key(self) -> str:
        url = self.base_url
        if not url:
            from ..core._config import DEFAULT_BASE_URL

            url = DEFAULT_BASE_URL
        return url.strip().rstrip("/")
