"""Model-ID suffixes (api-reference/miscellaneous/model-suffixes.mdx): web search, routing and ``:reasoning-exclude``, with the
documented conflict rules enforced before any request is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ROUTING_ALIASES",
    "ROUTING_SUFFIXES",
    "WEB_SEARCH_VARIANTS",
    "ParsedModelId",
    "RoutingPreference",
    "base_model",
    "build_model_id",
    "parse_model_id",
    "web_search_suffix",
]

#: Every ``:online/<variant>`` the reference lists (api-reference/miscellaneous/model-suffixes.mdx).
WEB_SEARCH_VARIANTS: frozenset[str] = frozenset(
    {
        "linkup", "linkup-deep",
        "tavily", "tavily-deep",
        "brave", "brave-deep",
        "sofya",
        "exa-fast", "exa-auto", "exa-neural", "exa-deep", "exa-instant", "exa-deep-reasoning",
        "kagi", "kagi-web", "kagi-news", "kagi-search",
        "perplexity", "perplexity-deep",
        "valyu", "valyu-deep", "valyu-web", "valyu-web-deep",
    }
)  # fmt: skip

RoutingPreference = Literal[
    "speed", "fast", "throughput", "latency", "price", "cheap", "floor", "tools", "caching", "cache", "cached"
]

#: Canonical routing suffix for every accepted spelling.
ROUTING_ALIASES: dict[str, str] = {
    "speed": "speed",
    "fast": "speed",
    "throughput": "throughput",
    "latency": "latency",
    "price": "price",
    "cheap": "price",
    "floor": "price",
    "tools": "tools",
    "caching": "caching",
    "cache": "caching",
    "cached": "caching",
}
ROUTING_SUFFIXES: frozenset[str] = frozenset(ROUTING_ALIASES)

_MEMORY_WORDS = ("memory",)
_REDACTION = frozenset({"redaction", "redacted", "piiredaction", "piiredacted"})


@dataclass(frozen=True)
class ParsedModelId:
    """A model ID split into its base and the suffixes this package understands."""

    base: str
    web_search: str | None = None  # "" for plain ":online", else the variant
    routing: tuple[str, ...] = ()  # canonical routing suffixes found
    reasoning_exclude: bool = False
    other: tuple[str, ...] = ()  # suffixes kept verbatim (memory, redaction, thinking, providers, ...)


def parse_model_id(model: str) -> ParsedModelId:
    """Split ``model`` on ``:``; unknown suffixes are kept in ``other`` in their order."""
    head, *suffixes = model.split(":")
    web: str | None = None
    routing: list[str] = []
    other: list[str] = []
    exclude = False
    for raw in suffixes:
        token = raw.lower()
        if token == "online":
            web = ""
        elif token.startswith("online/"):
            web = token.split("/", 1)[1]
        elif token in ROUTING_ALIASES:
            routing.append(ROUTING_ALIASES[token])
        elif token == "reasoning-exclude":
            exclude = True
        else:
            other.append(raw)
    return ParsedModelId(head, web, tuple(routing), exclude, tuple(other))


def base_model(model: str) -> str:
    """The model with every suffix this package knows about removed (for catalogue lookups)."""
    parsed = parse_model_id(model)
    kept = [
        s
        for s in parsed.other
        if s.lower() == "thinking" or s.lower() in _REDACTION or s.lower().startswith(_MEMORY_WORDS)
    ]
    identity = [s for s in kept if s.lower() == "thinking"]
    return ":".join([parsed.base, *identity])


def web_search_suffix(value: bool | str) -> str | None:
    """Suffix for a ``web_search`` setting: True/"standard" → ``:online``, "deep" → Linkup deep,
    a variant name (``"tavily"``, ``"exa-neural"``, ``":online/kagi"``) → ``:online/<variant>``."""
    if value is False:
        return None
    if value is True:
        return ":online"
    text = value.strip().lower()
    for prefix in (":online/", "online/", ":online", "online"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if text in ("", "standard", "true"):
        return ":online"
    if text == "deep":
        return ":online/linkup-deep"
    if text in WEB_SEARCH_VARIANTS:
        return f":online/{text}"
    allowed = ", ".join(["True", "'standard'", "'deep'", *sorted(repr(v) for v in WEB_SEARCH_VARIANTS)])
    raise ValueError(f"web_search={value!r} is not a known web-search setting; allowed: {allowed}")


def _canonical_routing(routing: str | list[str] | tuple[str, ...] | None) -> list[str]:
    if routing is None:
        return []
    values = [routing] if isinstance(routing, str) else list(routing)
    out: list[str] = []
    for value in values:
        key = value.strip().lower().lstrip(":")
        if key not in ROUTING_ALIASES:
            allowed = ", ".join(sorted(ROUTING_ALIASES))
            raise ValueError(f"routing={value!r} is not a routing preference; allowed: {allowed}")
        out.append(ROUTING_ALIASES[key])
    return out


def build_model_id(
    model: str,
    *,
    web_search: bool | str | None = None,
    routing: str | list[str] | tuple[str, ...] | None = None,
    reasoning_exclude: bool = False,
    explicit_provider: bool = False,
    caching: bool = False,
) -> str:
    """Append NanoGPT suffixes to ``model`` and enforce the rules of api-reference/miscellaneous/model-suffixes.mdx.

    ``explicit_provider`` says an ``X-Provider`` header or body ``provider`` will be sent;
    ``caching`` says the body will carry ``caching: true``. Raises ``ValueError`` naming the
    conflict: two routing preferences, routing with an explicit provider, ``tools`` with
    caching, caching with a provider.
    """
    if not model or not model.strip():
        raise ValueError("model must be a non-empty model ID such as 'openai/gpt-4o-mini'")
    parsed = parse_model_id(model.strip())
    requested = _canonical_routing(routing)
    all_routing = list(parsed.routing)
    for r in requested:
        if r not in all_routing:
            all_routing.append(r)
    if len(set(all_routing)) > 1:
        raise ValueError(
            f"routing conflict: {sorted(set(all_routing))} combine two routing preferences; "
            "NanoGPT accepts one of speed/throughput/latency/price/tools/caching"
        )
    route = all_routing[0] if all_routing else None
    if route and explicit_provider:
        raise ValueError(
            f"routing conflict: routing={route!r} cannot be combined with an explicit provider "
            "(provider= / X-Provider / body provider); choose one"
        )
    if route == "tools" and caching:
        raise ValueError("routing conflict: routing='tools' cannot be combined with caching=True")
    if caching and explicit_provider:
        raise ValueError("routing conflict: caching=True cannot be combined with an explicit provider")
    if caching and route not in (None, "caching"):
        raise ValueError(
            f"routing conflict: caching=True cannot be combined with routing={route!r} "
            "(cache-capable routing is itself a routing preference)"
        )

    web = parsed.web_search
    if web_search is False:
        web = None  # an explicit "no web search" removes an :online suffix written into the model
    elif web_search is not None:
        suffix = web_search_suffix(web_search)
        web = suffix.split("/", 1)[1] if suffix and "/" in suffix else ""
    elif parsed.web_search:
        web_search_suffix(parsed.web_search)  # validate a variant written into the model string

    parts = [parsed.base, *parsed.other]
    if web is not None:
        parts.append(f"online/{web}" if web else "online")
    if route:
        parts.append(route)
    if reasoning_exclude or parsed.reasoning_exclude:
        parts.append("reasoning-exclude")
    return ":".join(parts)
