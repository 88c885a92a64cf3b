"""`GET /api/v1/models` (ref §11): a small fixed catalogue, basic and `?detailed=true`."""

from __future__ import annotations

from typing import Any

from .recording import RecordedRequest
from .responses import Response, json_response
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


def _model(
    model_id: str,
    name: str,
    *,
    context_length: int | None,
    max_output_tokens: int | None,
    prompt: float,
    completion: float,
    capabilities: set[str],
    modalities: tuple[str, ...] = ("text",),
    subscription: bool = False,
    reasoning_efforts: list[str] | None = None,
    cache_prices: tuple[float, float] | None = None,
) -> dict[str, Any]:
    owner = model_id.split("/")[0].lower()
    pricing: dict[str, Any] = {
        "prompt": prompt,
        "completion": completion,
        "currency": "USD",
        "unit": "per_million_tokens",
    }
    if cache_prices is not None:
        # ref §3 / §11: cache prices are per 1K tokens (client-observed keys)
        pricing["cacheReadInputPer1kTokens"], pricing["cacheWriteInputPer1kTokens"] = cache_prices
        pricing["note"] = "Cache prices are per 1K tokens."
    detailed: dict[str, Any] = {
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
    }  # ref §11 detailed item
    if reasoning_efforts is not None:
        detailed["reasoning_efforts"] = reasoning_efforts  # ref §4 / §11 (doc-branch)
    return detailed


MODELS: list[dict[str, Any]] = [
    _model(
        "openai/gpt-4o-mini",
        "GPT-4o mini",
        context_length=128000,
        max_output_tokens=16384,
        prompt=0.15,
        completion=0.6,
        capabilities={"vision", "tool_calling", "parallel_tool_calls", "structured_output"},
        modalities=("text", "image"),
        subscription=True,
    ),
    _model(
        "openai/gpt-5.2",
        "GPT-5.2",
        context_length=128000,
        max_output_tokens=16384,
        prompt=2.5,
        completion=10.0,
        capabilities={
            "vision",
            "tool_calling",
            "parallel_tool_calls",
            "structured_output",
            "pdf_upload",
            "video_input",
        },
        modalities=("text", "image", "video"),
    ),
    _model(
        "anthropic/claude-sonnet-4.5",
        "Claude Sonnet 4.5",
        context_length=200000,
        max_output_tokens=64000,
        prompt=3.0,
        completion=15.0,
        capabilities={
            "vision",
            "reasoning",
            "tool_calling",
            "parallel_tool_calls",
            "structured_output",
            "pdf_upload",
        },
        modalities=("text", "image"),
        reasoning_efforts=["none", "low", "medium", "high"],
        cache_prices=(0.0003, 0.00375),
    ),
    _model(
        "deepseek/deepseek-r1",
        "DeepSeek R1",
        context_length=128000,
        max_output_tokens=32768,
        prompt=0.55,
        completion=2.19,
        capabilities={"reasoning"},
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
        subscription=True,
        reasoning_efforts=["low", "medium", "high"],
    ),
    _model(
        "google/gemini-2.5-flash",
        "Gemini 2.5 Flash",
        context_length=1048576,
        max_output_tokens=65536,
        prompt=0.3,
        completion=2.5,
        capabilities={
            "vision",
            "reasoning",
            "tool_calling",
            "parallel_tool_calls",
            "structured_output",
            "pdf_upload",
            "video_input",
        },
        modalities=("text", "image", "audio", "video"),
        reasoning_efforts=["none", "low", "medium", "high"],
    ),
    _model(
        "moonshotai/kimi-k2-instruct",
        "Kimi K2 Instruct",
        context_length=None,  # ref §11: context_length may be null
        max_output_tokens=None,
        prompt=0.5,
        completion=2.0,
        capabilities={"tool_calling"},
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
    ),  # ref §13 TEE model id
]

_BASIC_KEYS = ("id", "object", "created", "owned_by")


def handle_models(call: RecordedRequest, state: EmulatorState) -> Response:
    """The model list; `/api/subscription/v1/models` and `/api/paid/v1/models` filter it (ref §11)."""
    del state
    models = MODELS
    if call.path.startswith("/api/subscription/"):
        models = [m for m in MODELS if m["subscription"]["included"]]
    elif call.path.startswith("/api/paid/"):
        models = [m for m in MODELS if not m["subscription"]["included"]]
    detailed = call.query.get("detailed", "").lower() == "true"
    data = [dict(m) if detailed else {key: m[key] for key in _BASIC_KEYS} for m in models]
    # ref §11: {"object": "list", "data": [...]}; header cache-control: s-maxage=300
    return json_response({"object": "list", "data": data}, headers={"Cache-Control": "s-maxage=300"})
