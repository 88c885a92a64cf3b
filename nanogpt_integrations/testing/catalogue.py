"""The emulator's models: `GET /api/v1/models` rows plus what the server knows about each model
(aliases, the upstream providers that serve it, how it caches prompts, whether it runs in a TEE).

Sources: api-reference/endpoint/models.mdx (rows), api-reference/miscellaneous/provider-selection.mdx
(provider discovery, only "supported open-source models" offer selection), prompt-caching.mdx
(implicit caching for OpenAI, Gemini and open-model routes; explicit-only for Claude),
tee-verification.mdx and endpoint/chat-completion.mdx (`TEE/` and GPU-TEE `phala/*` models).
Prices and provider lists are the emulator's own example data, not NanoGPT's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .accounting import CacheMode
from .recording import RecordedRequest
from .responses import Response, json_response

if TYPE_CHECKING:
    from .state import EmulatorState

_CREATED = 1704067200
_ALL_CAPABILITIES = (
    "vision",
    "reasoning",
    "tool_calling",
    "parallel_tool_calls",
    "structured_output",
    "pdf_upload",
    "video_input",
)


@dataclass(frozen=True)
class Route:
    """One upstream provider serving a model. `selectable` routes are public provider ids (listed by
    provider discovery, accepted by `X-Provider`); the others are internal. Prices are USD per 1K."""

    provider: str
    input_per_1k: float
    output_per_1k: float
    selectable: bool = True
    caches: bool = True


@dataclass(frozen=True)
class ModelSpec:
    """A model the emulator serves: its catalogue row and the server-side facts tests can rely on."""

    id: str
    row: dict[str, Any]
    cache_mode: CacheMode
    routes: tuple[Route, ...]
    provider_selection: bool = False
    aliases: tuple[str, ...] = ()
    tee: bool = False
    display_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def selectable_providers(self) -> tuple[str, ...]:
        """Public provider ids (empty when the model offers no provider selection)."""
        return tuple(r.provider for r in self.routes if r.selectable) if self.provider_selection else ()


def _model(
    model_id: str,
    name: str,
    *,
    context_length: int | None,
    max_output_tokens: int | None,
    prompt: float,
    completion: float,
    capabilities: set[str],
    cache_mode: CacheMode,
    routes: tuple[Route, ...] | None = None,
    provider_selection: bool = False,
    aliases: tuple[str, ...] = (),
    modalities: tuple[str, ...] = ("text",),
    subscription: bool = False,
    reasoning_efforts: list[str] | None = None,
    cache_prices: tuple[float, float] | None = None,
    tee: bool = False,
) -> ModelSpec:
    owner = model_id.split("/")[0].lower()
    pricing: dict[str, Any] = {
        "prompt": prompt,
        "completion": completion,
        "currency": "USD",
        "unit": "per_million_tokens",
    }
    if cache_prices is not None:
        # Cache prices are per 1K tokens (client-observed keys; endpoint/models.mdx lists none).
        pricing["cacheReadInputPer1kTokens"], pricing["cacheWriteInputPer1kTokens"] = cache_prices
        pricing["note"] = "Cache prices are per 1K tokens."
    row: dict[str, Any] = {
        "id": model_id,
        "object": "model",
        "created": _CREATED,
        "owned_by": owner,
        "name": name,
        "description": f"{name} (NanoGPT emulator catalogue entry).",
        "context_length": context_length,
        "max_output_tokens": max_output_tokens,
        "capabilities": {flag: flag in capabilities for flag in _ALL_CAPABILITIES},
        "architecture": {"input_modalities": list(modalities)},
        "pricing": pricing,
        "subscription": {"included": subscription},
    }
    if reasoning_efforts is not None:
        row["reasoning_efforts"] = reasoning_efforts
    default = (Route(owner, prompt / 1000, completion / 1000, selectable=False, caches=cache_mode != "none"),)
    if owner == "openai":  # the docs' examples use bare OpenAI ids ("gpt-4.1-mini" in endpoint/batches.mdx)
        aliases = (*aliases, model_id.split("/", 1)[1])
    return ModelSpec(
        id=model_id,
        row=row,
        cache_mode=cache_mode,
        routes=routes or default,
        provider_selection=provider_selection,
        aliases=aliases,
        tee=tee,
        display_name=name,
    )


_ALL = {"vision", "reasoning", "tool_calling", "parallel_tool_calls", "structured_output", "pdf_upload"}
_OPENAI_TOOLS = {"vision", "tool_calling", "parallel_tool_calls", "structured_output"}

MODELS: list[ModelSpec] = [
    _model(
        "openai/gpt-4o-mini",
        "GPT-4o mini",
        context_length=128000,
        max_output_tokens=16384,
        prompt=0.15,
        completion=0.6,
        capabilities=_OPENAI_TOOLS,
        cache_mode="implicit",
        modalities=("text", "image"),
        subscription=True,
    ),
    _model(
        "openai/gpt-4o",
        "GPT-4o",
        context_length=128000,
        max_output_tokens=16384,
        prompt=2.5,
        completion=10.0,
        capabilities=_OPENAI_TOOLS,
        cache_mode="implicit",
        modalities=("text", "image"),
    ),
    _model(
        "openai/gpt-4.1-mini",
        "GPT-4.1 mini",
        context_length=1047576,
        max_output_tokens=32768,
        prompt=0.4,
        completion=1.6,
        capabilities=_OPENAI_TOOLS,
        cache_mode="implicit",
        modalities=("text", "image"),
    ),
    _model(
        "openai/gpt-5.1",
        "GPT-5.1",
        context_length=400000,
        max_output_tokens=128000,
        prompt=1.25,
        completion=10.0,
        capabilities=_OPENAI_TOOLS | {"reasoning", "pdf_upload"},
        cache_mode="implicit",
        modalities=("text", "image"),
    ),
    _model(
        "openai/gpt-5.2",
        "GPT-5.2",
        context_length=128000,
        max_output_tokens=16384,
        prompt=2.5,
        completion=10.0,
        capabilities=_OPENAI_TOOLS | {"pdf_upload", "video_input"},
        cache_mode="implicit",
        modalities=("text", "image", "video"),
    ),
    _model(
        "openai/o3",
        "o3",
        context_length=200000,
        max_output_tokens=100000,
        prompt=2.0,
        completion=8.0,
        capabilities=_OPENAI_TOOLS | {"reasoning"},
        cache_mode="implicit",
        modalities=("text", "image"),
        reasoning_efforts=["low", "medium", "high"],
    ),
    _model(
        "openai/gpt-3.5-turbo-instruct",
        "GPT-3.5 Turbo Instruct",
        context_length=4096,
        max_output_tokens=4096,
        prompt=1.5,
        completion=2.0,
        capabilities=set(),
        cache_mode="none",
    ),
    _model(
        "anthropic/claude-sonnet-4.5",
        "Claude Sonnet 4.5",
        context_length=200000,
        max_output_tokens=64000,
        prompt=3.0,
        completion=15.0,
        capabilities=_ALL,
        cache_mode="explicit",
        # Internal routes: NanoGPT may fail over between them (prompt-caching.mdx, stickyProvider).
        routes=(
            Route("anthropic", 0.003, 0.015, selectable=False),
            Route("amazon-bedrock", 0.003, 0.015, selectable=False),
        ),
        aliases=("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"),
        modalities=("text", "image"),
        reasoning_efforts=["none", "low", "medium", "high"],
        cache_prices=(0.0003, 0.00375),
    ),
    _model(
        "anthropic/claude-haiku-4.5",
        "Claude Haiku 4.5",
        context_length=200000,
        max_output_tokens=64000,
        prompt=1.0,
        completion=5.0,
        capabilities=_ALL,
        cache_mode="explicit",
        routes=(
            Route("anthropic", 0.001, 0.005, selectable=False),
            Route("amazon-bedrock", 0.001, 0.005, selectable=False),
        ),
        aliases=("claude-haiku-4-5-20251001",),
        modalities=("text", "image"),
        cache_prices=(0.0001, 0.00125),
    ),
    _model(
        "deepseek/deepseek-r1",
        "DeepSeek R1",
        context_length=128000,
        max_output_tokens=32768,
        prompt=0.55,
        completion=2.19,
        capabilities={"reasoning"},
        cache_mode="implicit",
        routes=(
            Route("deepseek", 0.00055, 0.00219),
            Route("novita", 0.0005, 0.002),
            Route("together", 0.0006, 0.0022, caches=False),
        ),
        provider_selection=True,
        subscription=True,
    ),
    _model(
        "zai-org/glm-4.6:thinking",
        "GLM 4.6 Thinking",
        context_length=200000,
        max_output_tokens=128000,
        prompt=0.6,
        completion=2.2,
        capabilities={"reasoning", "tool_calling", "structured_output"},
        cache_mode="implicit",
        routes=(Route("zai", 0.0006, 0.0022), Route("novita", 0.00055, 0.0021)),
        provider_selection=True,
        subscription=True,
        reasoning_efforts=["low", "medium", "high"],
    ),
    _model(
        "zai-org/glm-5",
        "GLM 5",
        context_length=200000,
        max_output_tokens=128000,
        prompt=1.0,
        completion=3.2,
        capabilities={"reasoning", "tool_calling", "structured_output"},
        cache_mode="implicit",
        routes=(
            Route("zai", 0.001, 0.0032),
            Route("cerebras", 0.0022, 0.005, caches=False),
            Route("novita", 0.0009, 0.003),
        ),
        provider_selection=True,
        subscription=True,
    ),
    _model(
        "google/gemini-2.5-flash",
        "Gemini 2.5 Flash",
        context_length=1048576,
        max_output_tokens=65536,
        prompt=0.3,
        completion=2.5,
        capabilities=_ALL | {"video_input"},
        cache_mode="implicit",
        modalities=("text", "image", "audio", "video"),
        reasoning_efforts=["none", "low", "medium", "high"],
    ),
    _model(
        "moonshotai/kimi-k2-instruct",
        "Kimi K2 Instruct",
        context_length=None,  # endpoint/models.mdx: context_length may be null
        max_output_tokens=None,
        prompt=0.5,
        completion=2.0,
        capabilities={"tool_calling"},
        cache_mode="implicit",
        routes=(
            Route("moonshot", 0.0005, 0.002),
            Route("novita", 0.00045, 0.0019),
            Route("together", 0.0006, 0.0025, caches=False),
            Route("groq", 0.001, 0.003, caches=False),
            Route("deepinfra", 0.0005, 0.002, caches=False),
        ),
        provider_selection=True,
        subscription=True,
    ),
    _model(
        "moonshotai/kimi-k2.6",
        "Kimi K2.6",
        context_length=262144,
        max_output_tokens=65536,
        prompt=0.5,
        completion=2.6,
        capabilities={"tool_calling", "structured_output"},
        cache_mode="implicit",
        # The provider ids and the default/novita prices of provider-selection.mdx's example.
        routes=(
            Route("moonshot", 0.0005, 0.0026),
            Route("novita", 0.0004, 0.00175),
            Route("cloudflare", 0.00055, 0.0028, caches=False),
            Route("baseten", 0.0006, 0.0025, caches=False),
        ),
        provider_selection=True,
        aliases=("kimi-k2.6",),
        subscription=True,
    ),
    _model(
        "moonshotai/kimi-k2.6:thinking",
        "Kimi K2.6 Thinking",
        context_length=262144,
        max_output_tokens=65536,
        prompt=0.5,
        completion=2.6,
        capabilities={"reasoning", "tool_calling", "structured_output"},
        cache_mode="implicit",
        routes=(Route("moonshot", 0.0005, 0.0026), Route("novita", 0.0004, 0.00175)),
        provider_selection=True,
        subscription=True,
    ),
    _model(
        "TEE/llama-3.3-70b-instruct",
        "Llama 3.3 70B Instruct (TEE)",
        context_length=131072,
        max_output_tokens=8192,
        prompt=0.9,
        completion=0.9,
        capabilities=set(),
        cache_mode="none",
        tee=True,
    ),  # tee-verification.mdx
    _model(
        "phala/llama-3.3-70b-instruct",
        "Llama 3.3 70B Instruct (GPU TEE)",
        context_length=131072,
        max_output_tokens=8192,
        prompt=0.9,
        completion=0.9,
        capabilities=set(),
        cache_mode="none",
        tee=True,
    ),  # endpoint/chat-completion.mdx names GPU-TEE `phala/*` models (this id is illustrative)
]

#: Embedding model ids served by `/embeddings` (endpoint/embeddings.mdx "Available Models").
EMBEDDING_MODELS: frozenset[str] = frozenset(
    {
        "text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002", "BAAI/bge-m3",
        "BAAI/bge-base-en-v1.5", "BAAI/bge-large-en-v1.5", "jina-clip-v1", "jina-embeddings-v2-base-en",
        "Qwen/Qwen3-Embedding-0.6B", "Qwen/Qwen3-Embedding-4B", "Qwen/Qwen3-Embedding-8B",
    }
)  # fmt: skip

_BY_NAME: dict[str, ModelSpec] = {name.lower(): spec for spec in MODELS for name in (spec.id, *spec.aliases)}
#: Every public provider id of any model (a model suffix equal to one of these is a provider suffix).
PROVIDER_IDS: frozenset[str] = frozenset(p for spec in MODELS for p in spec.selectable_providers)


def lookup(name: str) -> ModelSpec | None:
    """The model whose id or alias is `name` (case-insensitive), else None."""
    return _BY_NAME.get(name.lower())


def any_model(name: str) -> ModelSpec:
    """A stand-in for an id outside the catalogue (the emulator's `accept_any_model` mode): explicit
    cache markers are honoured, any provider and suffix is accepted."""
    return ModelSpec(
        id=name,
        row={},
        cache_mode="explicit",
        routes=(Route("emulator", 0.001, 0.002),),
        provider_selection=True,
        display_name=name,
        extra={"any": True},
    )


_BASIC_KEYS = ("id", "object", "created", "owned_by")


def handle_models(call: RecordedRequest, state: EmulatorState) -> Response:
    """The model list; `/api/subscription/v1/models` and `/api/paid/v1/models` filter it
    (endpoint/models.mdx)."""
    del state
    rows = [spec.row for spec in MODELS]
    if call.path.startswith("/api/subscription/"):
        rows = [row for row in rows if row["subscription"]["included"]]
    elif call.path.startswith("/api/paid/"):
        rows = [row for row in rows if not row["subscription"]["included"]]
    detailed = call.query.get("detailed", "").lower() == "true"
    data = [dict(row) if detailed else {key: row[key] for key in _BASIC_KEYS} for row in rows]
    # {"object": "list", "data": [...]}; header cache-control: s-maxage=300
    return json_response({"object": "list", "data": data}, headers={"Cache-Control": "s-maxage=300"})
