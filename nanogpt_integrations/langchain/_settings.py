"""Settings both LangChain adapters share: connection settings and LangChain's own names, on top of
the core's :class:`~nanogpt_integrations.core.fields.NanoGPTFields` (sampling, NanoGPT options,
route switches, declared once for both frameworks); lazy clients."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator

from .._fast_models import private
from ..core.arguments import check_base_url, configuration_error
from ..core.fields import NanoGPTFields
from ..core.lazy import LazyClients

if TYPE_CHECKING:
    # The clients (and with them httpx) load on the first request, not on import: importing
    # ChatNanoGPT costs what BaseChatModel costs plus the option and translation modules.
    from ..core import AsyncNanoGPTClient, NanoGPTClient

__all__ = ["NanoGPTSettings", "precompute_signatures"]


class NanoGPTSettings(NanoGPTFields):
    """Fields named after LangChain's conventions, plus the shared NanoGPT fields."""

    # A mixin, never built itself: its schema is built once, as part of each adapter class (which
    # turns ``defer_build`` off again), instead of once more on import for nothing.
    model_config = ConfigDict(populate_by_name=True, hide_input_in_errors=True, defer_build=True)

    # -- LangChain conventions ---------------------------------------------------------------------
    model: str = Field(alias="model_name", min_length=1)
    """NanoGPT model id, e.g. ``openai/gpt-4o-mini`` or ``claude-sonnet-4-5`` (suffixes allowed)."""
    api_key: SecretStr | None = Field(default_factory=secret_from_env("NANOGPT_API_KEY", default=None))
    base_url: str | None = Field(default_factory=from_env("NANOGPT_BASE_URL", default=None))
    """Defaults to ``https://nano-gpt.com/api/v1``."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    timeout: float | tuple[float, float] | None = None
    """Seconds (or ``(connect, read)``); None = 10 s connect, 600 s between bytes."""
    max_retries: int = Field(default=2, ge=0)
    """Retries of the core client (429 with ``Retry-After``, 5xx, connection errors); the only retry layer."""
    default_headers: dict[str, str] | None = None
    streaming: bool = False
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra body fields merged into every request (NanoGPT option names here are options)."""

    _clients: LazyClients = PrivateAttr(default_factory=LazyClients)

    def __init__(self, **data: Any) -> None:
        """Bad settings raise one :class:`~nanogpt_integrations.core.ConfigurationError` (a
        ``ValueError``) naming each parameter and what it allows, as ``NanoGPTLLM`` does."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise configuration_error(type(self).__name__, exc) from None

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return check_base_url(value)

    @field_validator("timeout")
    @classmethod
    def _check_timeout(cls, value: float | tuple[float, float] | None) -> float | tuple[float, float] | None:
        seconds = value if isinstance(value, tuple) else (value,)
        if any(s is not None and not s > 0 for s in seconds):
            raise ValueError("timeout must be a positive number of seconds, or (connect, read) seconds")
        return value

    def _extra_fields(self) -> Mapping[str, Any]:
        return self.model_kwargs

    def _stop(self) -> Sequence[str] | None:
        return self.stop

    # -- clients (created lazily, rebuilt if the connection settings change, never serialised) -----

    def _lazy_clients(self) -> LazyClients:
        clients: LazyClients = private(self, "_clients")
        return clients.configure(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            default_headers=self.default_headers,
            requests_per_second=self.requests_per_second,
        )

    def _sync_client(self) -> NanoGPTClient:
        return self._lazy_clients().sync

    def _async_client_get(self) -> AsyncNanoGPTClient:
        return self._lazy_clients().async_

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """Option objects serialise as plain dicts, so ``dumpd``/``load`` round-trip them."""
        return {
            name: value.model_dump(exclude_none=True)
            for name in ("web_search", "provider", "prompt_caching", "reasoning")
            if isinstance(value := getattr(self, name), BaseModel)
        }

    def _catalogue_key(self) -> str:
        url = self.base_url
        if not url:
            from ..core._config import DEFAULT_BASE_URL

            url = DEFAULT_BASE_URL
        return url.strip().rstrip("/")


def precompute_signatures(cls: type, *names: str) -> None:
    """Store ``__signature__`` on the named methods of ``cls``.

    LangChain calls ``inspect.signature(self._generate)`` on every call to learn whether the method
    takes ``run_manager``; with the signature stored, ``inspect`` returns it instead of rebuilding it
    from the code object (~9 µs of a ~300 µs invoke on a local server).
    """
    for name in names:
        function = cls.__dict__[name]
        function.__signature__ = inspect.signature(function)
