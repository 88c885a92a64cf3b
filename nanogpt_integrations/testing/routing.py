"""Which model a request names and which upstream provider serves it.

Model ids (api-reference/miscellaneous/model-suffixes.mdx): the longest `:`-prefix that is a catalogue
id or alias is the model (so `:thinking` variants are models of their own); every remaining suffix
must be one NanoGPT documents (web search, memory, redaction, `:reasoning-exclude`, routing
preferences, a thinking budget on thinking ids, a public provider id). Anything else is an unknown
model: 404 `model_not_found` (miscellaneous/error-handling.mdx), unless the emulator accepts any model.

Provider selection (miscellaneous/provider-selection.mdx): only models whose discovery reports
`supportsProviderSelection: true` take routing suffixes (else an invalid-request error) and provider
pins; `provider.only` naming a provider the model does not offer (or one that is down) is 400
`provider_unknown_provider`; `X-Provider` / a body `provider` string on a model without selection is
ignored ("the request ignores provider preferences"). The provider that serves the request is the
first available route after pins, `order`, `ignore`, `allow_fallbacks`, `caching` and stickiness.
If that is not the primary route and `prompt_caching.stickyProvider` is true, the answer is 503
`fallback_blocked_for_cache_consistency` (miscellaneous/prompt-caching.mdx).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from .catalogue import PROVIDER_IDS, ModelSpec, Route, any_model, lookup
from .errors import ApiError
from .recording import RecordedRequest

_ROUTING: dict[str, str] = {
    "speed": "speed", "fast": "speed", "throughput": "throughput", "latency": "latency",
    "price": "price", "cheap": "price", "floor": "price", "tools": "tools",
    "caching": "caching", "cache": "caching", "cached": "caching",
}  # fmt: skip
_FLAGS = frozenset({"reasoning-exclude", "redaction", "redacted", "piiredaction", "piiredacted"})
_MEMORY = re.compile(r"memory(?:-\d+)?")


@dataclass(frozen=True)
class ModelRequest:
    """A resolved `model` field: the catalogue entry and the routing its suffixes ask for."""

    spec: ModelSpec
    routing: str | None = None  # speed / throughput / latency / price / tools
    caching: bool = False  # a `:caching` suffix
    provider: str | None = None  # a provider suffix


def model_not_found(model: str, envelope: Any = "object") -> ApiError:
    """404 `model_not_found` (miscellaneous/error-handling.mdx lists the code; the body is the
    OpenAI-compatible envelope with `type: not_found_error`, the message and param are ours)."""
    return ApiError(
        404,
        f"Model '{model}' not found. GET /api/v1/models lists the available models.",
        code="model_not_found",
        error_type="not_found_error",
        param="model",
        envelope=envelope,
    )


def _suffix_kind(suffix: str, spec: ModelSpec | None) -> str | None:
    token = suffix.lower()
    if token in _ROUTING:
        return "routing"
    if token == "online" or token.startswith("online/"):
        return "web"
    if token in _FLAGS or _MEMORY.fullmatch(token):
        return "flag"
    if token.isdigit() and (spec is None or "thinking" in spec.id.lower()):
        return "budget"  # model-suffixes.mdx: `:<number>` on Anthropic thinking ids
    if token in PROVIDER_IDS or (spec is not None and token in spec.selectable_providers):
        return "provider"
    return None


def resolve_model(model: str, accept_any: bool, envelope: Any = "object") -> ModelRequest:
    """The catalogue entry and suffixes of `model`; 404 `model_not_found` when unknown."""
    parts = model.split(":")
    spec: ModelSpec | None = None
    for end in range(len(parts), 0, -1):
        spec = lookup(":".join(parts[:end]))
        if spec is not None:
            suffixes = parts[end:]
            break
    if spec is None:
        if not accept_any:
            raise model_not_found(model, envelope)
        end = len(parts)
        while end > 1 and _suffix_kind(parts[end - 1], None) is not None:
            end -= 1
        spec, suffixes = any_model(":".join(parts[:end])), parts[end:]
    routing: str | None = None
    caching = False
    provider: str | None = None
    for suffix in suffixes:
        kind = _suffix_kind(suffix, spec)
        if kind is None:
            if accept_any and spec.extra.get("any"):
                continue
            raise model_not_found(model, envelope)
        if kind == "routing":
            value = _ROUTING[suffix.lower()]
            caching = caching or value == "caching"
            routing = routing if value == "caching" else value
        elif kind == "provider":
            provider = suffix.lower()
    return ModelRequest(spec, routing, caching, provider)


# -- provider selection and the serving route ---------------------------------------------------------


@dataclass
class RouteBook:
    """Provider outages and sticky-provider records (thread-safe)."""

    _down: set[tuple[str, str | None]] = field(default_factory=set)
    _sticky: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    last_provider: str | None = None

    def set_down(self, provider: str, model: str | None, down: bool) -> None:
        key = (provider.lower(), model.lower() if model else None)
        with self._lock:
            if down:
                self._down.add(key)
            else:
                self._down.discard(key)

    def is_down(self, provider: str, model: str) -> bool:
        with self._lock:
            return (provider, None) in self._down or (provider, model.lower()) in self._down

    def sticky(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            return self._sticky.get(key)

    def remember(self, key: tuple[str, str], provider: str) -> None:
        with self._lock:
            self._sticky[key] = provider
            self.last_provider = provider

    def served(self, provider: str) -> None:
        with self._lock:
            self.last_provider = provider

    def clear(self) -> None:
        with self._lock:
            self._down.clear()
            self._sticky.clear()
            self.last_provider = None


def _invalid(message: str, param: str) -> ApiError:
    # provider-selection.mdx: "an invalid request error" (no code documented, so none is sent).
    return ApiError(400, message, code="", error_type="invalid_request_error", param=param)


def _string_list(provider: dict[str, Any], name: str) -> list[str] | None:
    value = provider.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(f"provider.{name} must be an array of strings", f"provider.{name}")
    return [item.lower() for item in value]


@dataclass(frozen=True)
class _Selection:
    pinned: list[str] | None = None  # X-Provider / body string / suffix / provider.only
    order: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    allow_fallbacks: bool = True


def _selection(request: ModelRequest, body: dict[str, Any], headers: dict[str, str]) -> _Selection:
    spec = request.spec
    selectable = spec.provider_selection
    permissive = bool(spec.extra.get("any"))
    if request.routing is not None and not selectable:
        raise _invalid(
            f"Routing suffix ':{request.routing}' needs a model with provider selection; "
            f"{spec.id} does not support it (GET /api/models/<id>/providers)",
            "model",
        )
    if request.provider is not None and not selectable:
        raise _invalid(
            f"{spec.id} does not support provider selection (suffix ':{request.provider}')", "model"
        )
    raw = body.get("provider")
    if raw is not None and not isinstance(raw, (str, dict)):
        raise _invalid("provider must be a provider id or a routing object", "provider")
    pinned: list[str] | None = [request.provider] if request.provider else None
    header = headers.get("x-provider", "").strip().lower()
    named = [(header, "X-Provider")] if header else []
    if isinstance(raw, str) and raw.strip():
        named.append((raw.strip().lower(), "provider"))
    for name, param in named if selectable else []:  # ignored without provider selection
        if name not in spec.selectable_providers and not permissive:
            raise ApiError(
                400, f"Unknown or unavailable provider id in {param}: {name}",
                code="provider_unknown_provider", param=param,
            )  # fmt: skip
        pinned = [name]
    routing = raw if isinstance(raw, dict) else {}
    only = _string_list(routing, "only")
    for name in only or []:
        if name not in spec.selectable_providers and not permissive:
            raise ApiError(
                400, f"Unknown or unavailable provider id in provider.only: {name}",
                code="provider_unknown_provider", param="provider.only",
            )  # fmt: skip
    allow = routing.get("allow_fallbacks", True)
    if not isinstance(allow, bool):
        raise _invalid("provider.allow_fallbacks must be a boolean", "provider.allow_fallbacks")
    return _Selection(
        pinned=only if only is not None else pinned,
        order=_string_list(routing, "order") or [],
        ignore=_string_list(routing, "ignore") or [],
        allow_fallbacks=allow,
    )


@dataclass(frozen=True)
class Plan:
    """How the emulator serves one request."""

    spec: ModelSpec
    provider: str

    @property
    def cache_scope(self) -> str:
        """Prompt caches are per model and provider (prompt-caching.mdx: "Each provider keeps its
        own cache")."""
        return f"{self.spec.id}\x00{self.provider}"


def _prompt_caching_sticky(body: dict[str, Any]) -> bool:
    for key in ("prompt_caching", "promptCaching", "cache_control"):
        helper = body.get(key)
        if isinstance(helper, dict) and helper.get("enabled", True) is not False:
            return helper.get("stickyProvider") is True or helper.get("sticky_provider") is True
    return False


def _candidates(request: ModelRequest, selection: _Selection, wants_cache: bool) -> list[Route]:
    routes = list(request.spec.routes)
    if selection.pinned is not None:
        routes = [r for r in routes if r.provider in selection.pinned] or (
            [Route(selection.pinned[0], 0.001, 0.002)] if request.spec.extra.get("any") else []
        )
    if selection.order:
        rank = {name: index for index, name in enumerate(selection.order)}
        routes.sort(key=lambda r: rank.get(r.provider, len(rank)))
    routes = [r for r in routes if r.provider not in selection.ignore]
    if request.routing == "price":
        routes.sort(key=lambda r: r.input_per_1k + r.output_per_1k)
    if request.routing is not None:
        routes = [r for r in routes if r.selectable] or routes
    if wants_cache:
        routes = [r for r in routes if r.caches]
    return routes if selection.allow_fallbacks else routes[:1]


def plan_route(call: RecordedRequest, body: dict[str, Any], request: ModelRequest, book: RouteBook) -> Plan:
    """Pick the serving provider, or raise the documented error."""
    selection = _selection(request, body, call.headers)
    spec = request.spec
    wants_cache = request.caching or body.get("caching") is True
    routes = _candidates(request, selection, wants_cache)
    sticky_key: tuple[str, str] | None = None
    sticky_value = body.get("stickyprovider", body.get("stickyProvider", True))
    if wants_cache and sticky_value is not False:
        sticky_key = (_caller(call), spec.id)
        recorded = book.sticky(sticky_key)
        routes.sort(key=lambda r: r.provider != recorded)
    available = [r for r in routes if not book.is_down(r.provider, spec.id)]
    if routes and _prompt_caching_sticky(body) and (not available or available[0] is not routes[0]):
        raise ApiError(
            503,
            f"Provider {routes[0].provider} failed and failover is disabled to keep the prompt cache "
            "consistent (prompt_caching.stickyProvider).",
            code="fallback_blocked_for_cache_consistency",
            error_type="service_unavailable",
            include_status=True,
        )
    if not available:
        what = "cache-capable provider" if wants_cache else "provider"
        raise ApiError(
            503,
            f"No available {what} could serve {spec.id}",
            code="all_fallbacks_failed",
            error_type="service_unavailable",
        )
    chosen = available[0].provider
    if sticky_key is not None:
        book.remember(sticky_key, chosen)
    else:
        book.served(chosen)
    return Plan(spec, chosen)


def _caller(call: RecordedRequest) -> str:
    """Stickiness is per API key (provider-selection.mdx: "by API key or session")."""
    authorization = call.headers.get("authorization", "")
    return authorization.partition(" ")[2].strip() or call.headers.get("x-api-key", "").strip()
