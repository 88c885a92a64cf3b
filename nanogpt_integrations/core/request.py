"""The one request builder: a neutral request in, the NanoGPT body and headers out.

Both adapters translate their framework's messages into neutral messages (:mod:`.messages`) and
their settings into a :class:`ChatRequest`, then call :func:`build_request`. Every NanoGPT rule
that decides what goes on the wire is applied here, once, for both frameworks:

**Precedence**, lowest first (each level replaces the same key of the level before):

1. the instance's settings: sampling fields (``temperature``, ``max_tokens``, ...), ``stop`` and the
   NanoGPT options (``web_search``, ``routing``, ``provider``, ...);
2. the instance's extra fields (``model_kwargs`` in LangChain, ``additional_kwargs`` in LlamaIndex):
   body fields, except NanoGPT option names (``routing``, ``web_search``, ...), which are options;
3. per-call keyword arguments (``invoke(..., **kw)``, ``.bind(**kw)``, ``chat(..., **kw)``): the
   same split; a per-call ``None`` means "not given";
4. ``extra_body`` (the instance's, then the call's): copied into the body verbatim, last, so it
   overrides anything above, option-derived fields included (it is the escape hatch).

Headers: the client's ``default_headers`` < option headers (``X-Provider``, ``X-Billing-Mode``) <
``extra_headers`` (the instance's, then the call's).

The other rules: model-ID suffixes and their conflicts (:mod:`.model_ids` through
:class:`~.options.NanoGPTOptions`), ``tool_choice`` (:func:`tool_choice_to_wire`), messages (how
multi-part text and replayed reasoning are sent, :mod:`.messages`), cache markers (:mod:`.caching`,
always on copies: the caller's objects are never edited), usage requests (``include_usage``,
api-reference/endpoint/chat-completion.mdx), and the route (chat completions, Responses API,
TEE-verified chat, legacy completions, batch rows).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .caching import apply_cache_policy
from .catalogue import ModelInfo
from .messages import previous_response, wire_messages
from .options import NanoGPTOptions, PromptCaching

__all__ = [
    "CONTROL_NAMES",
    "MODE_NAMES",
    "OPTION_NAMES",
    "CallMode",
    "ChatRequest",
    "Route",
    "WireRequest",
    "build_request",
    "check_mode",
    "json_schema_format",
    "stream_fields",
    "tool_choice_to_wire",
]

Route = Literal["chat", "responses", "tee", "completions"]

OPTION_NAMES: frozenset[str] = frozenset(NanoGPTOptions.field_names())
#: Per-call switches that pick the route of a call; never sent.
MODE_NAMES = frozenset(
    {"use_responses_api", "use_previous_response_id", "verify_tee", "tee_raise_on_failure"}
)
#: Per-call keyword arguments that steer the request rather than being body fields.
CONTROL_NAMES = frozenset(
    {
        "stream_usage",
        "stream_options",
        "cache_control",
        "extra_body",
        "extra_headers",
        "force_cache_control",
        "model_kwargs",
        "additional_kwargs",
        "stream",
        # Picks the Batch API for LangChain's batch()/abatch() (api-reference/endpoint/batches.mdx);
        # never a body field.
        "use_batch_api",
    }
    | MODE_NAMES
)
#: Body keys only meaningful with tools.
_TOOL_KEYS = ("tool_choice", "parallel_tool_calls")


@dataclass(frozen=True)
class CallMode:
    """Which endpoint one call uses, whether it threads by response id, and TEE verification."""

    responses: bool = False
    previous_response_id: bool = False
    verify_tee: bool = False
    raise_on_failure: bool = False


def check_mode(mode: CallMode, model: str) -> None:
    """``ValueError`` for switch combinations that cannot work (before any request is sent)."""
    if mode.previous_response_id and not mode.responses:
        raise ValueError(
            "use_previous_response_id=True needs the Responses API: also pass use_responses_api=True"
        )
    if mode.verify_tee:
        from .tee import require_tee_model

        require_tee_model(model)
        if mode.responses:
            raise ValueError(
                "verify_tee applies to chat completions (TEE signatures cover the chat request and "
                "response bytes; the Responses API does not serve TEE signatures): turn off "
                "use_responses_api for TEE-verified calls"
            )


@dataclass(slots=True)
class ChatRequest:
    """Everything one call says, before NanoGPT's rules are applied (framework-free; built per
    call and not changed afterwards).

    ``messages`` are neutral messages (see :mod:`.messages`); ``prompt`` replaces them for the
    legacy ``/completions`` route. ``sampling`` holds the instance's sampling fields that are set,
    ``options`` its validated NanoGPT options, ``extra`` its ``model_kwargs``/``additional_kwargs``,
    ``call`` the per-call keyword arguments exactly as the caller gave them.
    """

    model: str
    messages: Sequence[Mapping[str, Any]] | None = None
    prompt: str | None = None
    sampling: Mapping[str, Any] = field(default_factory=dict)
    stop: Sequence[str] | None = None
    options: NanoGPTOptions = field(default_factory=NanoGPTOptions)
    extra: Mapping[str, Any] = field(default_factory=dict)
    call: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] | None = None
    extra_headers: Mapping[str, str] | None = None
    stream: bool = False
    stream_usage: bool = True
    force_cache_control: bool = False
    replay_reasoning: bool = True
    parallel_tool_calls: bool | None = None
    mode: CallMode = field(default_factory=CallMode)
    info: ModelInfo | None = None
    #: A row of a Batch API job (api-reference/endpoint/batches.mdx): no stream or usage fields
    #: (rows go to upstream batch APIs as they are), and only the chat and Responses routes.
    batch_row: bool = False


@dataclass(slots=True)
class WireRequest:
    """A finished request: route, JSON body and the headers beyond the client's own."""

    route: Route
    body: dict[str, Any]
    headers: dict[str, str]
    mode: CallMode = field(default_factory=CallMode)

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


def stream_fields(body: dict[str, Any], *, stream: bool, include_usage: bool) -> dict[str, Any]:
    """``body`` with the streaming and usage fields set (in place; returned for chaining).

    Usage is only sent when asked for (api-reference/endpoint/chat-completion.mdx: "set
    ``stream_options.include_usage`` to ``true`` for streaming responses, or send
    ``"include_usage": true`` on non-streaming calls").
    """
    if stream:
        body["stream"] = True
        body.pop("include_usage", None)
        if include_usage:
            options = dict(body.get("stream_options") or {})
            options.setdefault("include_usage", True)
            body["stream_options"] = options
    else:
        body.pop("stream", None)
        body.pop("stream_options", None)
        if include_usage:
            body.setdefault("include_usage", True)
    return body


# -- per-call keyword arguments ---------------------------------------------------------------------


@dataclass
class _Split:
    """One level of keyword arguments split into body fields, options and controls."""

    body: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    extra_body: dict[str, Any] = field(default_factory=dict)
    extra_headers: dict[str, str] = field(default_factory=dict)
    stream_usage: bool | None = None
    cache_control: Mapping[str, Any] | None = None
    force_cache_control: bool | None = None


#: What an empty level splits into; only read, never changed.
_NOTHING = _Split()


def _split(values: Mapping[str, Any], out: _Split | None = None) -> _Split:
    if not values and out is None:
        return _NOTHING
    out = out if out is not None else _Split()
    for name, value in values.items():
        if name in OPTION_NAMES:
            if value is not None:
                out.options[name] = value
        elif name not in CONTROL_NAMES:
            out.body[name] = value
        elif name == "stream_usage":
            if value is not None:
                out.stream_usage = bool(value)
        elif name == "stream_options":
            # The OpenAI spelling of stream_usage; an explicit stream_usage wins.
            include = (value or {}).get("include_usage") if isinstance(value, Mapping) else None
            if include is not None and "stream_usage" not in values:
                out.stream_usage = bool(include)
        elif name == "cache_control":
            out.cache_control = value
        elif name == "extra_body":
            out.extra_body.update(_mapping(value, "extra_body"))
        elif name == "extra_headers":
            out.extra_headers.update(_mapping(value, "extra_headers"))
        elif name == "force_cache_control":
            if value is not None:
                out.force_cache_control = bool(value)
        elif name in ("model_kwargs", "additional_kwargs"):
            _split(_mapping(value, name), out)
        # "stream" and the route switches are decided elsewhere; never sent from here.
    return out


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict; got {type(value).__name__}")
    return value


def _prompt_caching(marker: Mapping[str, Any]) -> PromptCaching:
    """A ChatAnthropic-style call-level ``cache_control`` → NanoGPT's ``prompt_caching`` helper."""
    if not isinstance(marker, Mapping):
        raise TypeError(f"cache_control must be a dict such as {{'type': 'ephemeral'}}; got {marker!r}")
    if marker.get("type", "ephemeral") != "ephemeral":
        raise ValueError(f"cache_control type must be 'ephemeral'; got {marker.get('type')!r}")
    return PromptCaching(enabled=True, ttl=marker.get("ttl", "5m"))


# -- tool_choice ----------------------------------------------------------------------------------------

_CHOICE_WORDS = {"auto": "auto", "none": "none", "required": "required", "any": "required"}


def _named(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def _tool_names(tools: Sequence[Any]) -> list[str]:
    names = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and function.get("name"):
            names.append(str(function["name"]))
        elif isinstance(tool, Mapping) and tool.get("name"):
            names.append(str(tool["name"]))
    return names


def tool_choice_to_wire(choice: Any, tools: Sequence[Any]) -> str | dict[str, Any] | None:
    """Any accepted ``tool_choice`` → NanoGPT's: ``auto`` / ``none`` / ``required`` / a named function.

    ``None`` and ``False`` mean "not sent" (the server default, ``auto``). ``"any"`` and ``True``
    mean "call some tool" (``True`` with a single tool names it). A bare string other than those
    words names a tool and must be one of ``tools``. Dicts: the OpenAI shape
    ``{"type": "function", "function": {"name": ...}}``, the flat Responses shape
    ``{"type": "function", "name": ...}`` and Anthropic's ``{"type": "tool" | "any" | "auto"}``.
    """
    if choice is None or choice is False:
        return None
    names = _tool_names(tools)
    if choice is True:
        return _named(names[0]) if len(names) == 1 else "required"
    name: Any = None
    if isinstance(choice, str):
        if choice in _CHOICE_WORDS:
            return _CHOICE_WORDS[choice]
        name = choice
    elif isinstance(choice, Mapping):
        kind = choice.get("type")
        function = choice.get("function")
        if kind == "function" and isinstance(function, Mapping):
            name = function.get("name")
        elif kind in ("function", "tool"):
            name = choice.get("name")
        elif kind in _CHOICE_WORDS:
            return _CHOICE_WORDS[str(kind)]
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"tool_choice={choice!r} is not understood; use 'auto', 'none', 'required' ('any'), "
            "True, a tool name, or {'type': 'function', 'function': {'name': ...}}"
        )
    if name not in names:
        raise ValueError(f"tool_choice names {name!r}, which is not one of the tools sent: {names}")
    return _named(name)


_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


def _check_schema_types(schema: Any, where: str) -> None:
    """Every ``type`` in a tool's JSON schema is a JSON Schema type (a ``"strng"`` would reach the
    upstream and fail there, or be ignored)."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        for name in [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []:
            if name not in _JSON_TYPES:
                allowed = ", ".join(sorted(_JSON_TYPES))
                raise ValueError(f"{where}.type={name!r} is not a JSON Schema type; allowed: {allowed}")
        for key, value in schema.items():
            if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
                for name, sub in value.items():
                    _check_schema_types(sub, f"{where}.{key}.{name}")
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                _check_schema_types(value, f"{where}.{key}")
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
                for position, sub in enumerate(value):
                    _check_schema_types(sub, f"{where}.{key}[{position}]")


def _check_tools(tools: Sequence[Any]) -> None:
    for position, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise TypeError(
                f"tools[{position}] must be a tool definition (a dict); got {type(tool).__name__}"
            )
        function = tool.get("function")
        if tool.get("type") == "function" and isinstance(function, Mapping):
            name = function.get("name")
            if not isinstance(name, str) or not name:
                raise ValueError(f"tools[{position}] has no function name")
            _check_schema_types(function.get("parameters"), f"tools[{position}] ({name}): parameters")


def _finish_tools(body: dict[str, Any], default_parallel: bool | None) -> None:
    """``tools`` / ``tool_choice`` / ``parallel_tool_calls`` in their final form (in place)."""
    tools = body.get("tools")
    if not tools:
        body.pop("tools", None)
        given = [key for key in _TOOL_KEYS if body.get(key) is not None]
        if given:
            raise ValueError(f"{' and '.join(given)} given without tools; pass tools too, or drop them")
        for key in _TOOL_KEYS:
            body.pop(key, None)
        return
    if isinstance(tools, (str, bytes)) or not isinstance(tools, Sequence):
        raise TypeError(f"tools must be a list of tool definitions; got {type(tools).__name__}")
    _check_tools(tools)
    choice = tool_choice_to_wire(body.get("tool_choice"), tools)
    if choice is None:
        body.pop("tool_choice", None)
    else:
        body["tool_choice"] = choice
    if body.get("parallel_tool_calls") is None:
        body.pop("parallel_tool_calls", None)
        if default_parallel is not None:
            body["parallel_tool_calls"] = default_parallel


# -- structured output ----------------------------------------------------------------------------

_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def json_schema_format(
    name: str, schema: Mapping[str, Any], *, description: str | None = None, strict: bool | None = None
) -> dict[str, Any]:
    """``response_format`` asking for JSON matching ``schema`` (api-reference/endpoint/chat-completion.mdx,
    structured output): the name reduced to the allowed ``[a-zA-Z0-9_-]{1,64}``."""
    spec: dict[str, Any] = {"name": _NAME_CHARS.sub("_", name)[:64] or "output", "schema": dict(schema)}
    if description:
        spec["description"] = description
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


# -- sampling -----------------------------------------------------------------------------------------


def _check_numbers(body: Mapping[str, Any]) -> None:
    """NaN and infinity are not JSON: refuse them before sending (Python would emit ``NaN``)."""
    for key, value in body.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{key}={value!r} is not a finite number; JSON cannot carry it")


# -- the builder ----------------------------------------------------------------------------------------


def build_request(request: ChatRequest) -> WireRequest:
    """The finished body and headers for ``request`` (pure; never edits the caller's objects)."""
    mode = request.mode
    route: Route = "completions" if request.prompt is not None else "chat"
    if route == "chat" and mode.responses:
        route = "responses"
    elif route == "chat" and mode.verify_tee:
        route = "tee"

    call = _split(request.call)
    body: dict[str, Any] = {"model": request.model}
    body.update(request.sampling)
    if request.stop:
        body["stop"] = list(request.stop)
    instance = _split(request.extra)
    body.update(instance.body)
    body.update(call.body)
    if call.body.get("stop") is None and "stop" in call.body:
        body.pop("stop")  # a per-call stop=None means "not given"
        if request.stop:
            body["stop"] = list(request.stop)

    overrides = {**instance.options, **call.options}
    cache_marker = call.cache_control if call.cache_control is not None else instance.cache_control
    if cache_marker is not None:
        overrides["prompt_caching"] = _prompt_caching(cache_marker)
    options = request.options.merged(**overrides) if overrides else request.options

    previous_id: str | None = None
    if route == "completions" and (mode.responses or mode.verify_tee):
        raise ValueError("use_responses_api and verify_tee apply to chat, not to text completions")
    if route == "completions":
        for key in ("tools", "tool_choice", "response_format", "messages"):
            if body.get(key) is not None:
                raise ValueError(f"{key} cannot be sent to the legacy /completions endpoint; use chat")
            body.pop(key, None)
        body["prompt"] = request.prompt
    else:
        messages = list(request.messages or [])
        if route == "responses" and mode.previous_response_id:
            previous_id, messages = previous_response(messages)
        body["messages"] = messages  # neutral until the cache policy ran (see below)
        _finish_tools(body, request.parallel_tool_calls)
        if body.get("response_format") is None:
            body.pop("response_format", None)

    headers = {**instance.extra_headers, **(request.extra_headers or {}), **call.extra_headers}
    parts = options.apply(str(body.get("model") or request.model), body, {})
    final = parts.body
    final["model"] = parts.model
    final.update(request.extra_body or {})
    final.update(instance.extra_body)
    final.update(call.extra_body)
    _check_numbers(final)
    out_headers = {**parts.headers, **headers}

    force = call.force_cache_control
    if force is None:
        force = instance.force_cache_control
    if force is None:
        force = request.force_cache_control
    final = apply_cache_policy(final, info=request.info, force=force)
    if route != "completions":
        # After the cache policy, so that a part that lost its marker is sent as plain text.
        final["messages"] = wire_messages(final["messages"], replay_reasoning=request.replay_reasoning)

    if request.batch_row:
        streams = request.stream or _asks_to_stream(request, final)
        if route not in ("chat", "responses") or streams:
            raise ValueError(
                f"a batch row can only be a non-streaming chat or Responses request; this one is {route!r}"
                f"{' and asks for stream=True' if streams else ''} (api-reference/endpoint/batches.mdx: "
                '"Batch requests are non-streaming")'
            )
        include_usage = False
    elif request.stream:
        usage = call.stream_usage if call.stream_usage is not None else instance.stream_usage
        include_usage = request.stream_usage if usage is None else usage
    else:
        # Usage is always wanted on a non-stream chat reply (it is free); the legacy
        # /completions page documents no such field, so nothing is added there.
        include_usage = route != "completions"
    if route == "responses":
        body = _responses_body(final, previous_id, mode, stream=request.stream)
        return WireRequest("responses", body, out_headers, mode)
    stream_fields(final, stream=request.stream, include_usage=include_usage)
    return WireRequest(route, final, out_headers, mode)


def _asks_to_stream(request: ChatRequest, body: Mapping[str, Any]) -> bool:
    """True when a level of ``request`` (per-call kwargs, extra fields, nested ``model_kwargs`` /
    ``additional_kwargs``, or ``extra_body`` in ``body``) says ``stream=True``: a batch row refuses
    it rather than dropping it."""
    levels: list[Mapping[str, Any]] = [request.call, request.extra, body]
    for level in (request.call, request.extra):
        for name in ("model_kwargs", "additional_kwargs"):
            nested = level.get(name)
            if isinstance(nested, Mapping):
                levels.append(nested)
    return any(bool(level.get("stream")) for level in levels)


_NO_STORE = "store=False or retention_days=0"


def _responses_body(
    chat: dict[str, Any], previous_id: str | None, mode: CallMode, *, stream: bool
) -> dict[str, Any]:
    """The chat body mapped onto a validated ``/responses`` body (api-reference/endpoint/responses.mdx).

    With ``use_previous_response_id``, ``store`` is forced true (an explicit ``store=False`` or
    ``retention_days=0`` is refused) and ``previous_response_id`` is set when an earlier
    response id was found among the messages.
    """
    from .responses import ResponsesRequest, responses_body_from_chat

    body = responses_body_from_chat(chat)
    if mode.previous_response_id:
        if body.get("store") is False or body.get("retention_days") == 0:
            raise ValueError(f"use_previous_response_id=True needs stored responses: do not pass {_NO_STORE}")
        body["store"] = True
        if previous_id is not None:
            body["previous_response_id"] = previous_id
    return ResponsesRequest.model_validate(body).to_wire(stream=stream)
