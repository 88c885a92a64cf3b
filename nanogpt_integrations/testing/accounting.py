"""Deterministic token counts, prompt-cache simulation, `usage` and `x_nanogpt_pricing`."""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from typing import Any, Literal

from .prompt import Segment, prompt_segments
from .replies import ChatReply

# Emulator prices in USD per token: $1/M input, $2/M output; cache reads 0.1x and 5-minute cache
# writes 1.25x input (ratios from ref §3 "Pricing").
INPUT_PRICE = 1.0 / 1_000_000
OUTPUT_PRICE = 2.0 / 1_000_000
CACHE_READ_FACTOR = 0.1
CACHE_WRITE_FACTOR = 1.25
#: Implicit (provider-native) caching starts at this many prefix tokens. The docs only say provider
#: thresholds apply (miscellaneous/prompt-caching.mdx); 1,024 is the smallest Claude minimum there.
IMPLICIT_MIN_TOKENS = 1024

CacheMode = Literal["implicit", "explicit", "none"]


def count_tokens(text: str) -> int:
    """ceil(characters / 4)."""
    return math.ceil(len(text) / 4)


class CacheRegistry:
    """Prompt prefixes seen so far (thread-safe)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def seen_before(self, key: str) -> bool:
        """Record `key`; True when it had been recorded already."""
        with self._lock:
            if key in self._seen:
                return True
            self._seen.add(key)
            return False

    def clear(self) -> None:
        """Forget every prefix."""
        with self._lock:
            self._seen.clear()


@dataclass(frozen=True)
class Usage:
    """Token counts of one call."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    cache_ttl: str | None = None

    @property
    def caching(self) -> bool:
        """Whether prompt caching was in play (explicit controls, or an implicit cache hit)."""
        return self.cache_ttl is not None or self.cache_read > 0

    def chat_usage(self) -> dict[str, Any]:
        """The chat `usage` object (ref §2.7)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cache_read, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
            "reasoning_tokens": self.reasoning_tokens,
            "cache_creation_input_tokens": self.cache_creation,
            "cache_read_input_tokens": self.cache_read,
        }

    def basic_usage(self) -> dict[str, int]:
        """The plain `usage` of legacy completions and embeddings (ref §9.1, §12)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def cost(self) -> float:
        """USD cost, rounded to 10 decimals."""
        uncached = max(self.prompt_tokens - self.cache_read - self.cache_creation, 0)
        total = uncached * INPUT_PRICE + self.completion_tokens * OUTPUT_PRICE + self._cache_cost()
        return round(total, 10)

    def _cache_cost(self) -> float:
        return (
            self.cache_read * INPUT_PRICE * CACHE_READ_FACTOR
            + self.cache_creation * INPUT_PRICE * CACHE_WRITE_FACTOR
        )

    def pricing(self) -> dict[str, Any]:
        """The `x_nanogpt_pricing` object (ref §2.7; cache keys ref §3)."""
        cost = self.cost()
        pricing: dict[str, Any] = {
            "amount": cost,
            "currency": "USD",
            "cost": cost,
            "inputTokens": self.prompt_tokens,
            "outputTokens": self.completion_tokens,
            "cacheCost": round(self._cache_cost(), 10),
            "paymentSource": "USD",
            "billedToTeam": False,
            "billedTeamId": None,
            "billedTeamName": None,
        }
        if self.caching:
            pricing["cacheCreationInputTokens"] = self.cache_creation
            pricing["cacheReadInputTokens"] = self.cache_read
        if self.cache_ttl is not None:
            pricing["cacheTTL"] = self.cache_ttl
        return pricing


def caching_helper(body: dict[str, Any]) -> dict[str, Any] | None:
    """The explicit caching helper object (ref §3: `prompt_caching`, `promptCaching`, body `cache_control`);
    `true` means `{enabled: true, ttl: "5m"}`."""
    for key in ("prompt_caching", "promptCaching", "cache_control"):
        value = body.get(key)
        if value is True:
            return {"enabled": True, "ttl": "5m"}
        if isinstance(value, dict) and value.get("enabled", True) is not False:
            return value
    return None


def uses_prompt_caching(body: dict[str, Any]) -> bool:
    """Explicit cache markers or the helper are present (ref §3 mechanism 3)."""
    if caching_helper(body) is not None:
        return True
    return any(segment.cache_control is not None for segment in prompt_segments(body))


def prompt_usage(
    body: dict[str, Any],
    headers: dict[str, str],
    cache: CacheRegistry,
    *,
    mode: CacheMode = "explicit",
    scope: str | None = None,
) -> tuple[int, int, int, str | None]:
    """(prompt_tokens, cache_read, cache_creation, ttl) for a chat request.

    miscellaneous/prompt-caching.mdx: `explicit` models (Claude) cache only what the markers or the
    `prompt_caching` helper mark, and report writes; `implicit` models cache every prompt prefix
    (everything before the latest message) of at least :data:`IMPLICIT_MIN_TOKENS` on their own,
    ignore markers, and report only reads; `none` never caches. Caches are per `scope` (model and
    provider); without one, per requested model id.
    """
    segments = prompt_segments(body)
    prompt_text = "".join(segment.text for segment in segments)
    prompt_tokens = max(count_tokens(prompt_text), 1)
    if mode == "explicit":
        prefix_end, ttl = _cache_prefix_end(body, headers, segments)
    elif mode == "implicit":
        prefix_end, ttl = _helper_prefix_end({}, {}, segments), None
    else:
        prefix_end, ttl = -1, None
    if prefix_end < 0:
        return prompt_tokens, 0, 0, None
    prefix = "".join(segment.text for segment in segments[: prefix_end + 1])
    prefix_tokens = min(count_tokens(prefix), prompt_tokens)
    if mode == "implicit" and prefix_tokens < IMPLICIT_MIN_TOKENS:
        return prompt_tokens, 0, 0, None
    key = hashlib.sha256(f"{scope or body.get('model')}\x00{prefix}".encode()).hexdigest()
    if cache.seen_before(key):
        return prompt_tokens, prefix_tokens, 0, ttl
    return prompt_tokens, 0, prefix_tokens if mode == "explicit" else 0, ttl


def _cache_prefix_end(
    body: dict[str, Any], headers: dict[str, str], segments: list[Segment]
) -> tuple[int, str | None]:
    """Index of the last cached segment (-1 when nothing is cached) and the TTL."""
    end = -1
    ttl: str | None = None
    for index, segment in enumerate(segments):
        if segment.cache_control is not None:
            end = index
            ttl = str(segment.cache_control.get("ttl") or "5m")
    helper = caching_helper(body)
    if helper is not None:
        ttl = str(helper.get("ttl") or ttl or "5m")
        explicit = helper.get("explicit_cache_control", helper.get("explicitCacheControl", False))
        if not explicit:
            end = max(end, _helper_prefix_end(helper, headers, segments))
    return end, (ttl if end >= 0 or helper is not None else None)


def _helper_prefix_end(helper: dict[str, Any], headers: dict[str, str], segments: list[Segment]) -> int:
    message_count = 1 + max((s.message_index for s in segments if s.message_index is not None), default=-1)
    cut: Any = helper.get("cut_after_message_index", helper.get("cutAfterMessageIndex"))
    if cut is None and headers.get("x-prompt-caching-cut-after", "").strip().lstrip("-").isdigit():
        cut = int(headers["x-prompt-caching-cut-after"])
    if not isinstance(cut, int):
        # Automatic: everything before the latest message (the whole prompt when there is only one).
        cut = message_count - 2 if message_count >= 2 else message_count - 1
    end = -1
    for index, segment in enumerate(segments):
        if segment.message_index is None or segment.message_index <= cut:
            end = index
    return end


def chat_usage_for(
    body: dict[str, Any],
    headers: dict[str, str],
    reply: ChatReply,
    cache: CacheRegistry,
    *,
    mode: CacheMode = "explicit",
    scope: str | None = None,
) -> Usage:
    """Token counts for a chat reply; reasoning counts as output even when hidden (ref §4)."""
    prompt_tokens, read, creation, ttl = prompt_usage(body, headers, cache, mode=mode, scope=scope)
    reasoning_tokens = count_tokens(reply.reasoning or "")
    generated = (reply.content or "") + "".join(c.name + c.arguments_json() for c in reply.tool_calls)
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=count_tokens(generated) + reasoning_tokens,
        reasoning_tokens=reasoning_tokens,
        cache_read=read,
        cache_creation=creation,
        cache_ttl=ttl,
    )
