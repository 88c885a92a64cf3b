"""Request bodies for ``/chat/completions`` and ``/completions`` (pure).

One function decides what goes on the wire: sampling settings, the caller's extra fields,
NanoGPT options (model suffix, body fields, headers, via the core ``NanoGPTOptions``), tools
(``tool_choice`` / ``parallel_tool_calls`` are never sent without tools), and the cache-marker check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from nanogpt_integrations.core import ModelInfo, NanoGPTOptions, check_cache_markers

__all__ = [
    "OPTION_NAMES",
    "RequestSettings",
    "WireRequest",
    "build_chat",
    "build_completion",
    "json_schema_format",
]

OPTION_NAMES: frozenset[str] = frozenset(NanoGPTOptions.field_names())
#: Keys the client sets itself; a caller's value would only confuse the stream/non-stream split.
_CLIENT_KEYS = ("stream", "stream_options", "messages", "prompt")
_TOOL_ONLY_KEYS = ("tool_choice", "parallel_tool_calls")


@dataclass(frozen=True)
class RequestSettings:
    """What the LLM instance contributes to every request."""

    model: str
    options: NanoGPTOptions
    temperature: float | None = None
    max_tokens: int | None = None
    additional_kwargs: Mapping[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    force_cache_control: bool = False


@dataclass(frozen=True)
class WireRequest:
    body: dict[str, Any]
    headers: dict[str, str]


def _split(call_kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Per-call kwargs → (body fields, NanoGPT option overrides, extra headers)."""
    body: dict[str, Any] = {}
    overrides: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for key, value in call_kwargs.items():
        if key in OPTION_NAMES:
            overrides[key] = value
        elif key == "extra_headers":
            headers.update(value or {})
        elif key == "extra_body":
            body.update(value or {})
        elif key not in _CLIENT_KEYS:
            body[key] = value
    return body, overrides, headers


def _base_body(
    settings: RequestSettings, call_kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], NanoGPTOptions, dict[str, str]]:
    body: dict[str, Any] = {"model": settings.model}
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    if settings.max_tokens is not None:
        body["max_tokens"] = settings.max_tokens
    instance_body, instance_overrides, headers = _split(settings.additional_kwargs or {})
    call_body, call_overrides, call_headers = _split(call_kwargs)
    body.update(instance_body)
    body.update(call_body)
    headers.update(call_headers)
    options = settings.options.merged(**{**instance_overrides, **call_overrides})
    return body, options, headers


def _finish(
    body: dict[str, Any], options: NanoGPTOptions, headers: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    parts = options.apply(body["model"], body, headers)
    out = parts.body
    out["model"] = parts.model
    return out, parts.headers


def build_chat(
    settings: RequestSettings,
    messages: list[dict[str, Any]],
    call_kwargs: Mapping[str, Any],
    *,
    info: ModelInfo | None = None,
) -> WireRequest:
    """The ``/chat/completions`` body and headers for ``messages``."""
    body, options, headers = _base_body(settings, call_kwargs)
    body["messages"] = messages
    if body.get("tools"):
        if body.get("tool_choice") is None:
            body.pop("tool_choice", None)
        if "parallel_tool_calls" not in body and settings.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = settings.parallel_tool_calls
        if body.get("parallel_tool_calls") is None:
            body.pop("parallel_tool_calls", None)
    else:
        body.pop("tools", None)
        for key in _TOOL_ONLY_KEYS:
            body.pop(key, None)
    if body.get("response_format") is None:
        body.pop("response_format", None)
    final, final_headers = _finish(body, options, headers)
    check_cache_markers(final, settings.model, info=info, force=settings.force_cache_control)
    return WireRequest(final, final_headers)


def build_completion(settings: RequestSettings, prompt: str, call_kwargs: Mapping[str, Any]) -> WireRequest:
    """The legacy ``/completions`` body and headers for ``prompt``."""
    body, options, headers = _base_body(settings, call_kwargs)
    body["prompt"] = prompt
    for key in ("tools", "response_format", *_TOOL_ONLY_KEYS):
        body.pop(key, None)
    final, final_headers = _finish(body, options, headers)
    return WireRequest(final, final_headers)


def json_schema_format(output_cls: type[BaseModel]) -> dict[str, Any]:
    """``response_format`` asking for JSON matching ``output_cls`` (reference §2.6)."""
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", output_cls.__name__)[:64] or "output"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": output_cls.model_json_schema()}}
