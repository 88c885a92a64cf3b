"""Explicit ``cache_control`` markers on a finished body: count, prune, drop
(api-reference/miscellaneous/prompt-caching.mdx).

The request builder calls :func:`apply_cache_policy` on every chat body, so the rules live in one
place for both frameworks. It never edits what it is given: containers on the way to a marker it
removes are copied (the tools a user bound, the parts of a user's message stay as they were).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from .catalogue import ModelInfo, supports_explicit_cache_control

__all__ = [
    "MAX_CACHE_BREAKPOINTS",
    "apply_cache_policy",
    "count_cache_markers",
    "strip_cache_markers",
]

logger = logging.getLogger("nanogpt_integrations")

#: "A maximum of 4 cache_control breakpoints are allowed per request (across system prompt, tools,
#: and messages). If more are present, the oldest breakpoints are pruned automatically."
MAX_CACHE_BREAKPOINTS = 4

_warned: set[str] = set()
_warned_lock = threading.Lock()

#: Where a marker sits: ("tools", i), ("tools", i, "function"), ("messages", i) or
#: ("messages", i, "content", j).
Path = tuple[Any, ...]


def _marked(body: dict[str, Any]) -> Iterator[Path]:
    """The path of every dict carrying ``cache_control``, oldest first: tools, then messages in
    order (the order of the cached prefix)."""
    for i, tool in enumerate(body.get("tools") or []):
        if isinstance(tool, dict):
            if "cache_control" in tool:
                yield ("tools", i)
            function = tool.get("function")
            if isinstance(function, dict) and "cache_control" in function:
                yield ("tools", i, "function")
    for i, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and "cache_control" in part:
                    yield ("messages", i, "content", j)
        if "cache_control" in message:
            yield ("messages", i)


#: The documented default TTL (prompt-caching.mdx): a marker that says it is the same as one that does not.
_DEFAULT_TTL = "5m"


def _canonical(marker: Any) -> Any:
    """One spelling per meaning: ``{"type": "ephemeral", "ttl": "5m"}`` is sent as ``{"type": "ephemeral"}``."""
    if isinstance(marker, dict) and marker.get("ttl") == _DEFAULT_TTL:
        return {k: v for k, v in marker.items() if k != "ttl"}
    return marker


def count_cache_markers(body: dict[str, Any]) -> int:
    return sum(1 for _ in _marked(body))


def _holder(out: dict[str, Any], path: Path, copied: set[Path]) -> dict[str, Any]:
    """The dict at ``path`` in ``out``, with every container on the way copied once."""
    holder: Any = out
    for depth in range(1, len(path) + 1):
        prefix = path[:depth]
        key = path[depth - 1]
        if prefix not in copied:
            child = holder[key]
            holder[key] = list(child) if isinstance(child, list) else dict(child)
            copied.add(prefix)
        holder = holder[key]
    result: dict[str, Any] = holder
    return result


def _without(body: dict[str, Any], paths: list[Path], keep: list[Path] | None = None) -> dict[str, Any]:
    """A copy of ``body`` without the markers at ``paths`` and with the markers at ``keep`` in their
    canonical spelling; only the containers on the way are copied."""
    out = dict(body)
    copied: set[Path] = set()
    for path in paths:
        _holder(out, path, copied).pop("cache_control", None)
    for path in keep or []:
        holder = _holder(out, path, copied)
        holder["cache_control"] = _canonical(holder["cache_control"])
    return out


def strip_cache_markers(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` with every ``cache_control`` marker removed (``body`` is not edited)."""
    return _without(body, list(_marked(body)))


def _warn_once(key: str, message: str, *args: Any) -> None:
    with _warned_lock:
        first = key not in _warned
        _warned.add(key)
    if first:
        logger.warning(message, *args)


def apply_cache_policy(
    body: dict[str, Any], *, info: ModelInfo | None = None, force: bool = False
) -> dict[str, Any]:
    """``body``, or a copy of it with markers pruned or dropped:

    - more than :data:`MAX_CACHE_BREAKPOINTS` markers: the oldest are pruned, as the server does,
      so that what is sent is what is applied (a warning, once per model);
    - a marker spelling out the default TTL (``"ttl": "5m"``) is sent without it, so the same
      intent is one body whichever framework spelled it;
    - a model whose caching the docs or the catalogue call implicit (OpenAI and Gemini families,
      prompt-caching.mdx): explicit markers and the ``prompt_caching`` helper are dropped with a
      warning once per model, since Claude-style markers sent to such a model have caused 503
      ``fallback_blocked_for_cache_consistency``. ``force=True`` sends them anyway.
    """
    model = str(body.get("model", ""))
    paths = list(_marked(body))
    has_helper = "prompt_caching" in body
    if not paths and not has_helper:
        return body
    key = model.split(":", 1)[0]
    if not force and supports_explicit_cache_control(model, info) is False:
        out = _without(body, paths)
        out.pop("prompt_caching", None)
        _warn_once(
            f"implicit:{key}",
            "Dropped explicit cache_control/prompt_caching for %s: this model family caches "
            "implicitly and explicit markers can cause 503 fallback_blocked_for_cache_consistency. "
            "Pass force_cache_control=True to send them anyway.",
            key,
        )
        return out
    pruned: list[Path] = []
    if len(paths) > MAX_CACHE_BREAKPOINTS:
        pruned = paths[: len(paths) - MAX_CACHE_BREAKPOINTS]
        _warn_once(
            f"prune:{key}",
            "%d cache_control breakpoints in one request to %s; NanoGPT keeps at most %d and prunes "
            "the oldest: only the newest %d were sent.",
            len(paths),
            key,
            MAX_CACHE_BREAKPOINTS,
            MAX_CACHE_BREAKPOINTS,
        )
    kept = paths[len(pruned) :]
    rewrite = [path for path in kept if _canonical(_marker_at(body, path)) is not _marker_at(body, path)]
    if pruned or rewrite:
        return _without(body, pruned, rewrite)
    return body


def _marker_at(body: dict[str, Any], path: Path) -> Any:
    holder: Any = body
    for key in path:
        holder = holder[key]
    return holder["cache_control"]
