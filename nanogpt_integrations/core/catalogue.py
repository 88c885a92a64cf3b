"""The model catalogue (``GET /models?detailed=true``, reference §11) and what it tells us.

Fields beyond the documented ones (cache prices per 1K, ``reasoning_efforts``) are read
defensively: they come from client code, not the docs.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from typing import Any

from pydantic import Field, field_validator

from ._wire import WireModel
from .model_ids import base_model

__all__ = [
    "CATALOGUE_TTL_SECONDS",
    "ModelCapabilities",
    "ModelCatalogue",
    "ModelInfo",
    "ModelPricing",
    "supports_explicit_cache_control",
]

#: The models endpoint answers with ``cache-control: s-maxage=300``; we cache for as long.
CATALOGUE_TTL_SECONDS = 300.0


class ModelCapabilities(WireModel):
    vision: bool = False
    reasoning: bool = False
    tool_calling: bool = False
    parallel_tool_calls: bool = False
    structured_output: bool = False
    pdf_upload: bool = False
    video_input: bool = False
    audio_input: bool = False

    @field_validator("*", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> bool:
        return bool(value)


class ModelPricing(WireModel):
    prompt: float | None = None  # USD per million input tokens
    completion: float | None = None  # USD per million output tokens
    currency: str | None = None
    unit: str | None = None
    cache_read_per_1k: float | None = Field(default=None, alias="cacheReadInputPer1kTokens")
    cache_write_per_1k: float | None = Field(default=None, alias="cacheWriteInputPer1kTokens")


class ModelInfo(WireModel):
    """One model of the detailed catalogue."""

    id: str
    name: str | None = None
    owned_by: str | None = None
    description: str | None = None
    context_length: int | None = None
    max_output_tokens: int | None = None
    capabilities: ModelCapabilities = Field(default_factory=ModelCapabilities)
    architecture: dict[str, Any] | None = None
    pricing: ModelPricing | None = None
    reasoning_efforts: list[str] | None = None

    @field_validator("context_length", "max_output_tokens", mode="before")
    @classmethod
    def _positive_int(cls, value: Any) -> int | None:
        try:
            number = int(value)
        except (TypeError, ValueError):
            return None
        return number if number > 0 else None

    @field_validator("capabilities", mode="before")
    @classmethod
    def _caps(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @field_validator("pricing", mode="before")
    @classmethod
    def _pricing(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @property
    def input_modalities(self) -> list[str]:
        mods = (self.architecture or {}).get("input_modalities")
        return [str(m) for m in mods] if isinstance(mods, list) else ["text"]


class ModelCatalogue:
    """An in-memory view of the catalogue with lookups that ignore routing/web suffixes."""

    def __init__(self, models: list[ModelInfo], fetched_at: float | None = None):
        self.models = models
        self.fetched_at = time.monotonic() if fetched_at is None else fetched_at
        self._by_id = {m.id.lower(): m for m in models}

    @classmethod
    def from_payload(cls, payload: Any) -> ModelCatalogue:
        rows = payload.get("data", []) if isinstance(payload, dict) else payload
        models = [
            ModelInfo.model_validate(row) for row in rows or [] if isinstance(row, dict) and row.get("id")
        ]
        return cls(models)

    def is_fresh(self, ttl: float = CATALOGUE_TTL_SECONDS) -> bool:
        return time.monotonic() - self.fetched_at < ttl

    def get(self, model: str) -> ModelInfo | None:
        """The catalogue entry for ``model`` (exact id first, then without suffixes)."""
        for key in (model, base_model(model), model.split(":", 1)[0]):
            found = self._by_id.get(key.lower())
            if found is not None:
                return found
        return None

    def __len__(self) -> int:
        return len(self.models)

    def closest(self, model: str, n: int = 3) -> list[str]:
        """Catalogue ids that look like ``model`` (a typo's likely meaning), best first."""
        key = base_model(model).lower()
        ids = {m.id.lower(): m.id for m in self.models}
        return [ids[match] for match in difflib.get_close_matches(key, list(ids), n=n, cutoff=0.75)]

    def check(self, model: str) -> ModelInfo | None:
        """:meth:`get`, warning once per model id when a non-empty catalogue does not list it
        (with the closest ids: ``openai/gpt-4o-mnii`` → did you mean ``openai/gpt-4o-mini``?)."""
        info = self.get(model)
        if info is None and self.models:
            _warn_unknown(model, self.closest(model))
        return info


_unknown_warned: set[str] = set()
_unknown_lock = threading.Lock()


def _warn_unknown(model: str, suggestions: list[str]) -> None:
    with _unknown_lock:
        if model in _unknown_warned:
            return
        _unknown_warned.add(model)
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    logging.getLogger("nanogpt_integrations").warning(
        "Model %r is not in NanoGPT's model catalogue%s Requests will be sent as given, and NanoGPT "
        "answers 404 model_not_found for an id it does not know.",
        model,
        hint or ".",
    )


class CatalogueCache:
    """Thread-safe TTL holder used by each client instance."""

    def __init__(self, ttl: float = CATALOGUE_TTL_SECONDS):
        self.ttl = ttl
        self._value: ModelCatalogue | None = None
        self._lock = threading.Lock()

    def get(self) -> ModelCatalogue | None:
        with self._lock:
            value = self._value
        return value if value is not None and value.is_fresh(self.ttl) else None

    def set(self, value: ModelCatalogue) -> None:
        with self._lock:
            self._value = value


_EXPLICIT_CACHE_FAMILIES = ("claude", "anthropic/")
#: The families api-reference/miscellaneous/prompt-caching.mdx names as caching implicitly
#: ("OpenAI and Gemini model families"); "many open-source routes" are not named, so their
#: markers are sent (harmless where NanoGPT does not need them, and needed on "some Qwen routes").
_IMPLICIT_CACHE_FAMILIES = ("openai/", "gpt-", "o1", "o3", "o4", "chatgpt", "google/", "gemini")


def supports_explicit_cache_control(model: str, info: ModelInfo | None = None) -> bool | None:
    """Whether explicit ``cache_control`` markers should be sent to ``model``.

    True for Claude-family models and for models whose catalogue entry has a cache-write price;
    False for the families the docs call implicit-cache (OpenAI, Gemini: Claude-style markers sent
    to a Gemini model caused a 503 ``fallback_blocked_for_cache_consistency`` in a public audit);
    None when nothing is known (markers are sent).
    """
    name = base_model(model).lower()
    if name.startswith("tee/"):
        name = name[4:]
    if any(name.startswith(f) or f"/{f}" in name for f in _EXPLICIT_CACHE_FAMILIES):
        return True
    if info is not None and info.pricing is not None and info.pricing.cache_write_per_1k:
        return True
    if any(name.startswith(f) for f in _IMPLICIT_CACHE_FAMILIES):
        return False
    return None
