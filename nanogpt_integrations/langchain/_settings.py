"""Settings both LangChain adapters share: connection, sampling and NanoGPT options, lazy clients."""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from ..core import (
    DEFAULT_BASE_URL,
    AsyncNanoGPTClient,
    NanoGPTClient,
    NanoGPTOptions,
    PromptCaching,
    ProviderRouting,
    ReasoningOptions,
    WebSearchOptions,
)

__all__ = ["NanoGPTSettings"]

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


class NanoGPTSettings(BaseModel):
    """Fields named after LangChain's conventions first, NanoGPT's options second."""

    model_config = ConfigDict(populate_by_name=True)

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

    _options: NanoGPTOptions = PrivateAttr(default_factory=NanoGPTOptions)
    _client: NanoGPTClient | None = PrivateAttr(default=None)
    _async_client: AsyncNanoGPTClient | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="after")
    def _validate_options(self) -> Self:
        """Check every NanoGPT option now (conflicting suffixes, bad values), not at the first call."""
        self._options = NanoGPTOptions(**{name: getattr(self, name) for name in NanoGPTOptions.field_names()})
        return self

    # -- clients (created lazily, one per instance, never serialised) ------------------------------

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
        }

    def _sync_client(self) -> NanoGPTClient:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = NanoGPTClient(**self._client_kwargs())
        return self._client

    def _async_client_get(self) -> AsyncNanoGPTClient:
        if self._async_client is None:
            with self._lock:
                if self._async_client is None:
                    self._async_client = AsyncNanoGPTClient(**self._client_kwargs())
        return self._async_client

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
        values = {name: getattr(self, name) for name in _SAMPLING}
        return {k: v for k, v in values.items() if v is not None}

    def _catalogue_key(self) -> str:
        return (self.base_url or DEFAULT_BASE_URL).strip().rstrip("/")
