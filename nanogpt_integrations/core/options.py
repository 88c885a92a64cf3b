"""NanoGPT request options as typed objects shared by both frameworks.

:class:`NanoGPTOptions` holds every NanoGPT-specific knob (web search, routing, provider, billing,
caching, prompt caching, reasoning) under the same names in LangChain and LlamaIndex, validates
them, and :meth:`NanoGPTOptions.apply` turns them into the model ID, body fields and headers of a
request (api-reference/miscellaneous/model-suffixes.mdx, provider-selection.mdx,
prompt-caching.mdx, extended-thinking.mdx; endpoint/chat-completion.mdx).

Billing: routing suffixes (``routing=``), ``provider=`` (the ``X-Provider`` header or a body
``provider`` object) and provider suffixes are billed pay-as-you-go at the selected provider's
price plus NanoGPT's provider-selection markup (5% at the time of writing), and bypass
subscription coverage (provider-selection.mdx, "Billing and Markup").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .headers import check_header
from .model_ids import ROUTING_ALIASES, build_model_id

__all__ = [
    "BILLING_MODES",
    "REASONING_EFFORTS",
    "WEB_SEARCH_PROVIDERS",
    "BillingMode",
    "NanoGPTOptions",
    "PromptCaching",
    "ProviderRouting",
    "ReasoningEffort",
    "ReasoningOptions",
    "RequestParts",
    "WebSearchOptions",
]

#: The published enum (api-reference/endpoint/chat-completion.mdx, ``reasoning_effort``).
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
REASONING_EFFORTS: tuple[str, ...] = get_args(ReasoningEffort)
BillingMode = Literal["paygo", "pay-as-you-go", "pay_as_you_go", "paid", "payg"]
BILLING_MODES: tuple[str, ...] = get_args(BillingMode)
WEB_SEARCH_PROVIDERS = ("linkup", "tavily", "brave", "sofya", "exa", "kagi", "perplexity", "valyu")


class _Option(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object NanoGPT expects (aliases applied, unset values dropped)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class PromptCaching(_Option):
    """The ``prompt_caching`` helper (reference §3): explicit Claude-style cache markers."""

    enabled: bool = True
    ttl: Literal["5m", "1h"] = "5m"
    cut_after_message_index: int | None = Field(default=None, ge=0)
    sticky_provider: bool | None = Field(default=None, serialization_alias="stickyProvider")
    explicit_cache_control: bool | None = None


class ProviderRouting(_Option):
    """The body ``provider`` routing object (reference §7)."""

    order: list[str] | None = None
    only: list[str] | None = None
    ignore: list[str] | None = None
    sort: Literal["speed", "throughput", "latency", "price", "auto", "none", "default"] | None = None
    quantizations: (
        list[Literal["int4", "fp4", "fp6", "int8", "fp8", "fp16", "bf16", "fp32", "unknown"]] | None
    ) = None
    min_quantization: Literal["int4", "fp4", "fp6", "int8", "fp8", "fp16", "bf16", "fp32"] | None = None
    max_price: dict[str, float] | None = None
    allow_fallbacks: bool | None = None
    require_parameters: bool | None = None

    @field_validator("max_price")
    @classmethod
    def _price_keys(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and not set(value) <= {"prompt", "completion"}:
            raise ValueError("max_price keys must be 'prompt' and/or 'completion' (USD per million tokens)")
        return value


class WebSearchOptions(_Option):
    """The chat ``webSearch`` body object (reference §5). Provider-specific knobs go in ``extra``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, defer_build=True)

    enabled: bool = True
    provider: Literal["linkup", "tavily", "brave", "sofya", "exa", "kagi", "perplexity", "valyu"] | None = (
        None
    )
    depth: str | None = None
    search_context_size: Literal["low", "medium", "high"] | None = None
    user_location: dict[str, Any] | None = None
    search_type: str | None = Field(default=None, serialization_alias="searchType")
    kagi_source: Literal["web", "news", "search"] | None = Field(
        default=None, serialization_alias="kagiSource"
    )

    @field_validator("depth")
    @classmethod
    def _depth(cls, value: str | None) -> str | None:
        allowed = {"standard", "deep", "fast", "auto", "neural", "instant", "deep-reasoning"}
        if value is not None and value not in allowed:
            raise ValueError(f"depth must be one of {sorted(allowed)}")
        return value


class ReasoningOptions(_Option):
    """The ``reasoning`` body object (reference §4)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, defer_build=True)

    exclude: bool | None = None
    effort: ReasoningEffort | None = None
    delta_field: Literal["reasoning", "reasoning_content"] | None = None


@dataclass(frozen=True)
class RequestParts:
    """What :meth:`NanoGPTOptions.apply` produces for one request."""

    model: str
    body: dict[str, Any]
    headers: dict[str, str]


def _coerce(model_cls: type[_Option], value: Any, name: str) -> Any:
    if value is None or isinstance(value, model_cls):
        return value
    if isinstance(value, Mapping):
        try:
            return model_cls.model_validate(dict(value))
        except ValidationError as exc:
            raise ValueError(f"{name} is invalid: {_first_error(exc)}") from None
    return value


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}" if loc else err["msg"]


def _check_type(name: str, value: Any, types: tuple[type, ...], expected: str) -> None:
    if value is not None and not isinstance(value, types):
        raise ValueError(f"{name} must be {expected}; got {type(value).__name__} {value!r}")


def _routing_key(routing: str | None) -> str | None:
    return ROUTING_ALIASES.get(routing.strip().lower().lstrip(":")) if routing else None


#: Model IDs remembered per options object (an adapter sees a handful of models).
_MODEL_ID_MEMO = 64


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; allowed: {', '.join(map(repr, allowed))}")


@dataclass(frozen=True)
class NanoGPTOptions:
    """Every NanoGPT-specific option, validated on construction.

    - ``web_search``: True / "standard" / "deep" / an ``:online/<variant>`` name → model suffix; or a
      :class:`WebSearchOptions` (or dict) → body ``webSearch``.
    - ``routing``: "speed", "price", "tools", "caching", ... → model suffix.
    - ``provider``: a provider id → ``X-Provider`` header; a :class:`ProviderRouting` (or dict) → body.
    - ``billing_mode``: → ``X-Billing-Mode`` header.
    - ``caching`` / ``sticky_provider``: cache-capable routing → body ``caching`` / ``stickyprovider``.
    - ``prompt_caching``: True or :class:`PromptCaching` (or dict) → body ``prompt_caching``.
    - ``reasoning_effort`` and ``reasoning`` (:class:`ReasoningOptions` or dict; ``exclude`` hides it).
    """

    web_search: bool | str | WebSearchOptions | Mapping[str, Any] | None = None
    routing: str | None = None
    provider: str | ProviderRouting | Mapping[str, Any] | None = None
    billing_mode: str | None = None
    caching: bool | None = None
    sticky_provider: bool | None = None
    prompt_caching: bool | PromptCaching | Mapping[str, Any] | None = None
    reasoning_effort: str | None = None
    reasoning: ReasoningOptions | Mapping[str, Any] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    # Model ID per requested model: the suffix rules depend only on these (immutable) options.
    _model_ids: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_type(
            "web_search",
            self.web_search,
            (bool, str, WebSearchOptions, Mapping),
            "True, a variant name or WebSearchOptions",
        )
        _check_type("routing", self.routing, (str,), "a routing preference name")
        _check_type(
            "provider", self.provider, (str, ProviderRouting, Mapping), "a provider id or ProviderRouting"
        )
        _check_type("billing_mode", self.billing_mode, (str,), "a billing mode name")
        _check_type("caching", self.caching, (bool,), "True or False")
        _check_type("sticky_provider", self.sticky_provider, (bool,), "True or False")
        _check_type(
            "prompt_caching", self.prompt_caching, (bool, PromptCaching, Mapping), "True or PromptCaching"
        )
        _check_type("reasoning_effort", self.reasoning_effort, (str,), f"one of {REASONING_EFFORTS}")
        _check_type("reasoning", self.reasoning, (ReasoningOptions, Mapping), "ReasoningOptions")
        set_ = object.__setattr__
        set_(self, "web_search", _coerce(WebSearchOptions, self.web_search, "web_search"))
        set_(self, "provider", _coerce(ProviderRouting, self.provider, "provider"))
        set_(self, "prompt_caching", _coerce(PromptCaching, self.prompt_caching, "prompt_caching"))
        set_(self, "reasoning", _coerce(ReasoningOptions, self.reasoning, "reasoning"))
        _check_choice("reasoning_effort", self.reasoning_effort, REASONING_EFFORTS)
        _check_choice("billing_mode", self.billing_mode, BILLING_MODES)
        if isinstance(self.provider, str):
            if not self.provider.strip():
                raise ValueError(
                    "provider must be a non-empty provider id (e.g. 'novita') or a ProviderRouting"
                )
            check_header("X-Provider", self.provider.strip(), setting="provider")
        if self.sticky_provider is not None and not self.caching and _routing_key(self.routing) != "caching":
            raise ValueError("sticky_provider only applies with caching=True (or routing='caching')")
        # Validate suffix rules now, with a placeholder model, so errors surface at construction.
        self.apply("validation/placeholder", {}, {})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names accepted as constructor or per-call options by the adapters."""
        return tuple(f.name for f in fields(cls) if f.init and f.name != "extra_headers")

    def merged(self, **overrides: Any) -> NanoGPTOptions:
        """A copy with the non-None ``overrides`` applied (per-call options win)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **changes) if changes else self

    @property
    def explicit_provider(self) -> bool:
        return self.provider is not None

    def apply(self, model: str, body: dict[str, Any], headers: dict[str, str]) -> RequestParts:
        """Return the final model ID, body and headers with these options applied (inputs untouched)."""
        body = dict(body)
        headers = {**headers, **self.extra_headers}
        web_suffix: bool | str | None = None
        if isinstance(self.web_search, WebSearchOptions):
            body["webSearch"] = self.web_search.to_wire()
        elif isinstance(self.web_search, (bool, str)):
            web_suffix = self.web_search
        reasoning = self.reasoning.to_wire() if isinstance(self.reasoning, ReasoningOptions) else None
        model_id = self._model_ids.get(model)
        if model_id is None:
            model_id = build_model_id(
                model,
                web_search=web_suffix,
                routing=self.routing,
                explicit_provider=self.explicit_provider,
                caching=bool(self.caching),
            )
            if len(self._model_ids) < _MODEL_ID_MEMO:
                self._model_ids[model] = model_id
        if isinstance(self.provider, ProviderRouting):
            body["provider"] = self.provider.to_wire()
        elif isinstance(self.provider, str):
            headers["X-Provider"] = self.provider.strip()
        if self.billing_mode:
            headers["X-Billing-Mode"] = self.billing_mode
        if self.caching is not None:
            body["caching"] = self.caching
        if self.sticky_provider is not None:
            body["stickyprovider"] = self.sticky_provider
        if isinstance(self.prompt_caching, PromptCaching):
            body["prompt_caching"] = self.prompt_caching.to_wire()
        elif self.prompt_caching is True:
            body["prompt_caching"] = PromptCaching().to_wire()
        if self.reasoning_effort is not None:
            body["reasoning_effort"] = self.reasoning_effort
        if reasoning:
            body["reasoning"] = reasoning
        return RequestParts(model=model_id, body=body, headers=headers)
