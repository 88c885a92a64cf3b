"""Explicit ``cache_control`` markers on a wire payload: count, validate, drop (reference §3).

Both frameworks translate their own cache markers into ``cache_control`` on wire blocks and tools,
then call :func:`check_cache_markers` on the finished payload, so the rules live in one place.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from .catalogue import ModelInfo, supports_explicit_cache_control

__all__ = ["MAX_CACHE_BREAKPOINTS", "check_cache_markers", "count_cache_markers", "strip_cache_markers"]

logger = logging.getLogger("nanogpt_integrations")

#: NanoGPT (like Anthropic) honours at most four ``cache_control`` breakpoints per request.
MAX_CACHE_BREAKPOINTS = 4

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _marked(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every dict in messages/tools that carries ``cache_control``."""
    for message in payload.get("messages") or []:
        if not isinstance(message, dict):
            continue
        if "cache_control" in message:
            yield message
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and "cache_control" in part:
                    yield part
    for tool in payload.get("tools") or []:
        if isinstance(tool, dict):
            if "cache_control" in tool:
                yield tool
            function = tool.get("function")
            if isinstance(function, dict) and "cache_control" in function:
                yield function


def count_cache_markers(payload: dict[str, Any]) -> int:
    return sum(1 for _ in _marked(payload))


def strip_cache_markers(payload: dict[str, Any]) -> int:
    """Remove every ``cache_control`` (in place); return how many were removed."""
    removed = 0
    for holder in list(_marked(payload)):
        holder.pop("cache_control", None)
        removed += 1
    return removed


def check_cache_markers(
    payload: dict[str, Any],
    model: str,
    *,
    info: ModelInfo | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Validate explicit cache markers before sending; returns the payload (modified in place).

    - More than :data:`MAX_CACHE_BREAKPOINTS` markers → ``ValueError`` naming the count.
    - A model known not to take explicit markers (implicit-cache families such as GPT and Gemini)
      → the markers and the ``prompt_caching`` helper are dropped with a one-time warning, since
      sending them has caused 503 ``fallback_blocked_for_cache_consistency`` (reference §2.9).
      ``force=True`` sends them anyway.
    """
    count = count_cache_markers(payload)
    has_helper = "prompt_caching" in payload
    if count > MAX_CACHE_BREAKPOINTS:
        raise ValueError(
            f"cache_control: {count} cache breakpoints in one request; NanoGPT allows at most "
            f"{MAX_CACHE_BREAKPOINTS}. Remove some cache_control markers / CachePoint blocks."
        )
    if (count or has_helper) and not force and supports_explicit_cache_control(model, info) is False:
        strip_cache_markers(payload)
        payload.pop("prompt_caching", None)
        key = model.split(":", 1)[0]
        with _warned_lock:
            first = key not in _warned
            _warned.add(key)
        if first:
            logger.warning(
                "Dropped explicit cache_control/prompt_caching for %s: this model family caches "
                "implicitly and explicit markers can cause 503 fallback_blocked_for_cache_consistency. "
                "Pass force_cache_control=True to send them anyway.",
                key,
            )
    return payload
