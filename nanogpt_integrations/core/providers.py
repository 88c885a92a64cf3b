"""Provider discovery and the provider-selection preflight
(api-reference/miscellaneous/provider-selection.mdx; openapi.json ``/models/{canonicalId}/providers``).

``GET https://nano-gpt.com/api/models/{canonicalId}/providers`` is not under ``/api/v1`` and takes
the model id with its ``/`` URL-encoded. It tells whether a model supports provider selection, which
public provider ids it offers, and their prices (USD per 1K tokens, markup included).

:func:`check_provider_selection` is the one rule the clients' ``check_provider`` applies before
anything is sent: on a model without provider selection NanoGPT answers routing suffixes with an
invalid-request error and *ignores* ``X-Provider`` / a body ``provider`` (the caller would silently
not get what they asked for); on a model with it, a pinned provider (``X-Provider``, a body
``provider`` string, ``provider.only``, a provider suffix) that the model does not offer is a 400
``provider_unknown_provider``. Availability is not checked (discovery answers are cached and a
provider may come back); unknown ids in ``order`` / ``ignore`` are ignored by NanoGPT, so here too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pydantic import Field

from ._wire import WireModel
from .errors import NanoGPTError
from .model_ids import base_model, parse_model_id

__all__ = [
    "PROVIDERS_TTL_SECONDS",
    "DistillationPolicy",
    "ModelProviders",
    "ProviderOption",
    "ProviderPrice",
    "ProviderSelectionError",
    "ProvidersCache",
    "check_provider_selection",
    "discovery_id",
    "providers_path",
]

#: Discovery answers are kept per client for as long as the catalogue (five minutes).
PROVIDERS_TTL_SECONDS = 300.0


class ProviderPrice(WireModel):
    """USD per 1K tokens (what selecting the provider costs, markup included)."""

    input_per_1k: float | None = Field(default=None, alias="inputPer1kTokens")
    output_per_1k: float | None = Field(default=None, alias="outputPer1kTokens")


class DistillationPolicy(WireModel):
    """Whether the provider route may be used for output-based training (miscellaneous/distillation-policy.mdx)."""

    status: str | None = None
    label: str | None = None
    basis: str | None = None
    source_url: str | None = Field(default=None, alias="sourceUrl")
    note: str | None = None


class ProviderOption(WireModel):
    """One row of ``providers``; ``pricing`` is optional (the docs' example omits it)."""

    provider: str
    available: bool = True
    pricing: ProviderPrice | None = None
    distillation_policy: DistillationPolicy | None = Field(default=None, alias="distillationPolicy")


class ModelProviders(WireModel):
    """The discovery answer for one model."""

    canonical_id: str | None = Field(default=None, alias="canonicalId")
    display_name: str | None = Field(default=None, alias="displayName")
    supports_provider_selection: bool = Field(default=False, alias="supportsProviderSelection")
    default_price: ProviderPrice | None = Field(default=None, alias="defaultPrice")
    providers: list[ProviderOption] = Field(default_factory=list)

    def provider_ids(self, *, available_only: bool = False) -> list[str]:
        """The public provider ids, in the server's order (for ``X-Provider`` / ``provider=``)."""
        return [p.provider for p in self.providers if p.available or not available_only]

    def get(self, provider: str) -> ProviderOption | None:
        """The row for ``provider`` (case-insensitive, as ``X-Provider`` is), else None."""
        wanted = provider.strip().lower()
        return next((p for p in self.providers if p.provider.lower() == wanted), None)


class ProviderSelectionError(NanoGPTError, ValueError):
    """A provider choice NanoGPT would reject or ignore for this model; raised before any chat
    request by ``check_provider``. ``offered`` lists the model's provider ids."""

    def __init__(self, message: str, *, model: str, offered: list[str]) -> None:
        super().__init__(message)
        self.model = model
        self.offered = offered


def discovery_id(model: str) -> str:
    """The id to discover providers for: ``model`` without routing, web-search, provider and other
    request suffixes (``:thinking`` variants are models of their own and are kept)."""
    return base_model(model.strip())


def providers_path(model: str) -> str:
    """``models/<id, "/" encoded>/providers``, relative to the ``/api`` root."""
    if not model.strip():
        raise ValueError("model must be a non-empty model id such as 'moonshotai/kimi-k2.6'")
    return f"models/{quote(discovery_id(model), safe='')}/providers"


def _pins(body: Mapping[str, Any], headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """(provider id, where it was set) for every hard provider choice in the request."""
    pins: list[tuple[str, str]] = []
    for key, value in headers.items():
        if key.lower() == "x-provider" and value.strip():
            pins.append((value.strip(), "provider= (X-Provider header)"))
    raw = body.get("provider")
    if isinstance(raw, str) and raw.strip():
        pins.append((raw.strip(), "body provider"))
    elif isinstance(raw, Mapping):
        pins.extend((str(name), "provider.only") for name in raw.get("only") or [])
    return pins


def check_provider_selection(
    info: ModelProviders, model: str, body: Mapping[str, Any], headers: Mapping[str, str]
) -> None:
    """Raise :class:`ProviderSelectionError` when the request's provider choices (``model`` with its
    suffixes, the wire ``body`` and ``headers``) would be rejected or ignored (module docstring)."""
    name = info.canonical_id or discovery_id(model)
    offered = info.provider_ids()
    parsed = parse_model_id(model)
    routing = [r for r in parsed.routing if r != "caching"]
    pins = _pins(body, headers)
    if not info.supports_provider_selection:
        if routing:
            raise ProviderSelectionError(
                f"routing=':{routing[0]}' needs a model with provider selection, and NanoGPT reports "
                f"supportsProviderSelection: false for {name}: the request would fail with 400. "
                "Drop the routing preference or pick a model that offers providers.",
                model=name,
                offered=offered,
            )
        if pins or isinstance(body.get("provider"), Mapping):
            what = f"{pins[0][1]} {pins[0][0]!r}" if pins else "the provider routing object"
            raise ProviderSelectionError(
                f"{what}: {name} does not support provider selection, so NanoGPT would ignore the "
                "choice and route the request itself. Remove provider=, or pick a model that offers "
                "providers (GET /api/models/<id>/providers).",
                model=name,
                offered=offered,
            )
        return
    suffixes = [s for s in parsed.other if info.get(s) is not None]
    pins.extend((s, "the model suffix") for s in suffixes)
    for provider, where in pins:
        if info.get(provider) is None:
            raise ProviderSelectionError(
                f"{where} {provider!r} is not a provider of {name} (NanoGPT would answer 400 "
                f"provider_unknown_provider); offered: {', '.join(offered) or 'none'}",
                model=name,
                offered=offered,
            )


class ProvidersCache:
    """Discovery answers per model id with a TTL (thread-safe), one per client like the catalogue."""

    def __init__(self, ttl: float = PROVIDERS_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, ModelProviders]] = {}
        self._lock = threading.Lock()

    def get(self, model: str) -> ModelProviders | None:
        """The fresh answer for ``model``, else None."""
        with self._lock:
            item = self._items.get(model.lower())
        if item is None or time.monotonic() - item[0] >= self.ttl:
            return None
        return item[1]

    def set(self, model: str, value: ModelProviders) -> None:
        """Remember ``value`` for ``model``."""
        with self._lock:
            self._items[model.lower()] = (time.monotonic(), value)
