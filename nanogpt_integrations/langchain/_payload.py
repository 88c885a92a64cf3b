"""Assemble one NanoGPT chat request from model settings and per-call kwargs (pure, no I/O).

Precedence, lowest first: the model's sampling fields, ``model_kwargs``, per-call kwargs, then
NanoGPT options (instance options merged with per-call ones, applied by the core to the model ID,
body and headers), then ``extra_body`` (instance, then per call) which may override anything.
Finally the core checks the explicit cache markers (≤ 4; dropped for implicit-cache models).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core import ModelInfo, NanoGPTOptions, PromptCaching, check_cache_markers

__all__ = [
    "OPTION_NAMES",
    "CallControls",
    "Request",
    "build_request",
    "fill_prompt",
    "settings_request",
    "split_kwargs",
]

OPTION_NAMES: frozenset[str] = frozenset(NanoGPTOptions.field_names())
#: Per-call kwargs that steer the adapter rather than being body fields.
_CONTROL_NAMES = frozenset(
    {"stream_usage", "cache_control", "extra_body", "extra_headers", "force_cache_control"}
)
#: Kwargs LangChain may pass that must never reach the wire (the core sets the stream fields).
_DROPPED = frozenset({"stream"})


@dataclass
class CallControls:
    """The per-call kwargs that are not plain body fields."""

    options: dict[str, Any] = field(default_factory=dict)
    stream_usage: bool | None = None
    cache_control: Mapping[str, Any] | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    extra_headers: dict[str, str] = field(default_factory=dict)
    force_cache_control: bool | None = None


@dataclass(frozen=True)
class Request:
    """A ready-to-send chat request: JSON body and extra headers."""

    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def model(self) -> str:
        return str(self.body["model"])


def split_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], CallControls]:
    """Per-call kwargs → (body fields, controls). Unknown names are body fields, like ``model_kwargs``."""
    body: dict[str, Any] = {}
    controls = CallControls()
    for name, value in kwargs.items():
        if name in OPTION_NAMES:
            controls.options[name] = value
        elif name == "stream_usage":
            controls.stream_usage = value
        elif name == "cache_control":
            controls.cache_control = value
        elif name == "extra_body":
            controls.extra_body.update(value or {})
        elif name == "extra_headers":
            controls.extra_headers.update(value or {})
        elif name == "force_cache_control":
            controls.force_cache_control = value
        elif name == "model_kwargs":
            body.update(value or {})
        elif name == "stream_options":
            # OpenAI-style spelling of stream_usage; an explicit stream_usage kwarg wins.
            include = (value or {}).get("include_usage")
            if include is not None and "stream_usage" not in kwargs:
                controls.stream_usage = bool(include)
        elif name not in _DROPPED:
            body[name] = value
    return body, controls


def _prompt_caching(marker: Mapping[str, Any]) -> PromptCaching:
    """A ChatAnthropic-style call-level ``cache_control`` → NanoGPT's ``prompt_caching`` helper."""
    if marker.get("type", "ephemeral") != "ephemeral":
        raise ValueError(f"cache_control type must be 'ephemeral'; got {marker.get('type')!r}")
    ttl = marker.get("ttl", "5m")
    return PromptCaching(enabled=True, ttl=ttl)


def build_request(
    *,
    model: str,
    prompt: Mapping[str, Any],
    defaults: Mapping[str, Any],
    call_body: Mapping[str, Any],
    options: NanoGPTOptions,
    controls: CallControls,
    extra_body: Mapping[str, Any] | None = None,
    force_cache_control: bool = False,
    info: ModelInfo | None = None,
    check_markers: bool = True,
) -> Request:
    """The final body and headers; ``prompt`` is ``{"messages": [...]}`` (chat) or ``{"prompt": "..."}``.

    ``check_markers=False`` skips the cache-marker check, for a request whose prompt is filled in
    (and checked) later.
    """
    body: dict[str, Any] = {"model": model, **prompt}
    body.update({k: v for k, v in defaults.items() if v is not None})
    body.update(call_body)
    body["model"] = str(body.get("model") or model)
    overrides = dict(controls.options)
    if controls.cache_control is not None:
        overrides["prompt_caching"] = _prompt_caching(controls.cache_control)
    merged = options.merged(**overrides) if overrides else options
    parts = merged.apply(body["model"], body, dict(controls.extra_headers))
    final = {**parts.body, "model": parts.model}
    final.update(extra_body or {})
    final.update(controls.extra_body)
    if check_markers:
        force = (
            controls.force_cache_control if controls.force_cache_control is not None else force_cache_control
        )
        check_cache_markers(final, final["model"], info=info, force=force)
    return Request(body=final, headers=parts.headers)


#: Keys that keep a settings request from being reused: the prompt is filled in per call, and the
#: cache-marker check may edit tools in place.
_PER_CALL_KEYS = ("messages", "prompt", "tools")


def settings_request(
    *,
    model: str,
    prompt_key: str,
    defaults: Mapping[str, Any],
    stop: list[str] | None,
    options: NanoGPTOptions,
    extra_body: Mapping[str, Any] | None,
) -> Request | None:
    """The request of a call without per-call kwargs, prompt left empty (see :func:`fill_prompt`);
    None when ``defaults``/``extra_body`` set the prompt or tools themselves."""
    sources = (defaults, extra_body or {})
    if any(key in source for source in sources for key in _PER_CALL_KEYS):
        return None
    return build_request(
        model=model,
        prompt={prompt_key: None},
        defaults=defaults,
        call_body={"stop": stop} if stop else {},
        options=options,
        controls=CallControls(),
        extra_body=extra_body,
        check_markers=False,
    )


def fill_prompt(
    base: Request, prompt: Mapping[str, Any], *, info: ModelInfo | None, force_cache_control: bool
) -> Request:
    """``base`` (from :func:`settings_request`) with this call's prompt: the body
    :func:`build_request` gives for the same call, key order included, markers checked."""
    body = dict(base.body)
    body.update(prompt)
    check_cache_markers(body, body["model"], info=info, force=force_cache_control)
    return Request(body=body, headers=dict(base.headers))
