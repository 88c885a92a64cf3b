"""Settings both LangChain adapters share: connection, sampling and NanoGPT options, lazy clients."""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable
from copy import deepcopy
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from .._fast_models import private
from ..core import (
    NanoGPTOptions,
    PromptCaching,
    ProviderRouting,
    ReasoningOptions,
    WebSearchOptions,
)
from ..core.lazy import LazyClients, OwnsClients, owned_clients
from ..core.redact import redact_headers

if TYPE_CHECKING:
    # The clients (and with them httpx) load on the first request, not on import: importing
    # ChatNanoGPT costs what BaseChatModel costs plus the option and translation modules.
    from ..core import AsyncNanoGPTClient, NanoGPTClient

__all__ = ["OPTION_FIELDS", "SAMPLING", "Memo", "NanoGPTSettings", "precompute_signatures"]

T = TypeVar("T")

OPTION_FIELDS = NanoGPTOptions.field_names()
#: The option field values as a tuple, read in one C call (this runs on every request).
_option_values = operator.attrgetter(*OPTION_FIELDS)

SAMPLING = (
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
_sampling_values = operator.attrgetter(*SAMPLING)


class Memo(Generic[T]):
    """The value built for the last field values (a model's settings rarely change between calls).

    ``copy=True`` keeps a deep copy of the values, so an in-place edit of a dict or list field is
    noticed too. Copies and pickles of the model start empty.
    """

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: tuple[tuple[Any, ...], T] | None = None

    def get(self, values: tuple[Any, ...], build: Callable[[], T], *, copy: bool = False) -> T:
        cached = self.last
        if cached is not None and cached[0] == values:
            return cached[1]
        value = build()
        try:
            self.last = (deepcopy(values) if copy else values, value)
        except Exception:  # a value that cannot be copied (an odd object in model_kwargs): no memo
            self.last = None
        return value

    def __deepcopy__(self, memo: dict[int, Any]) -> Memo[T]:
        return Memo()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Memo, ())


#: The connection settings in ``core.lazy.SETTINGS`` order, read in one C call (on every request).
_connection = operator.attrgetter(
    "api_key", "base_url", "timeout", "max_retries", "default_headers", "http_client", "http_async_client"
)


class NanoGPTSettings(OwnsClients):
    """Fields named after LangChain's conventions first, NanoGPT's options second."""

    # A mixin, never built itself: its schema is built once, as part of each adapter class (which
    # turns ``defer_build`` off again), instead of once more on import for nothing.
    model_config = ConfigDict(populate_by_name=True, hide_input_in_errors=True, defer_build=True)

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

    _options_memo: Memo[NanoGPTOptions] = PrivateAttr(default_factory=Memo)
    _request_memo: Memo[Any] = PrivateAttr(default_factory=Memo)

    @model_validator(mode="after")
    def _validate_options(self) -> Self:
        """Check every NanoGPT option now (conflicting suffixes, bad values), not at the first call."""
        self._nanogpt_options()
        return self

    def _nanogpt_options(self) -> NanoGPTOptions:
        """The validated core options object for the current field values (memoised per values)."""
        values = _option_values(self)
        memo: Memo[NanoGPTOptions] = private(self, "_options_memo")
        return memo.get(values, lambda: NanoGPTOptions(**dict(zip(OPTION_FIELDS, values, strict=True))))

    # -- clients (this instance's own, built lazily, replaced if the connection settings change) ---

    def _lazy_clients(self) -> LazyClients:
        return owned_clients(self, self.__pydantic_private__, _connection(self))

    def _sync_client(self) -> NanoGPTClient:
        return self._lazy_clients().sync

    def _async_client_get(self) -> AsyncNanoGPTClient:
        return self._lazy_clients().async_

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """Option objects serialise as plain dicts, so ``dumpd``/``load`` round-trip them; secret
        default headers serialise redacted (``core.redact``), like ``model_dump``."""
        attributes = {
            name: value.model_dump(exclude_none=True)
            for name in ("web_search", "provider", "prompt_caching", "reasoning")
            if isinstance(value := getattr(self, name), BaseModel)
        }
        if self.default_headers:
            attributes["default_headers"] = redact_headers(self.default_headers) or {}
        return attributes

    def _defaults(self) -> dict[str, Any]:
        """Sampling fields that are set, as body fields."""
        return {
            name: value
            for name, value in zip(SAMPLING, _sampling_values(self), strict=True)
            if value is not None
        }

    def _option_params(self) -> dict[str, Any]:
        """NanoGPT option fields that are set (names computed once, at import)."""
        return {
            name: value
            for name, value in zip(OPTION_FIELDS, _option_values(self), strict=True)
            if value is not None
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
