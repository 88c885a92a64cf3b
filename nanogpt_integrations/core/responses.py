"""The Responses API (``/responses``, reference §8): typed request, response, stream events, helpers.

Everything here is pure: the clients send :meth:`ResponsesRequest.to_wire` bodies and parse replies
into :class:`ResponseObject`; streams go through the same SSE decoder and error mapping as chat
(:class:`~nanogpt_integrations.core.streaming.Stream`), wrapped by :class:`ResponseEventStream`,
which also enforces a terminal event. :class:`ResponsesAccumulator` and :func:`turn_from_response`
produce the same :class:`~nanogpt_integrations.core.accumulator.AssistantTurn` as chat, so the
framework adapters translate one type. :func:`responses_body_from_chat` maps a chat-completions
body onto a Responses body, so adapters can reuse their chat request building.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Literal

import httpx
from pydantic import Field, PrivateAttr, field_validator, model_validator

from .accumulator import AssistantTurn, StreamDelta, ToolCallFragment, ToolCallResult
from .errors import NanoGPTError, StreamError, stream_error_from_frame
from .streaming import AsyncStream, Stream
from .types import Pricing, Usage, WireModel

__all__ = [
    "MIN_MAX_OUTPUT_TOKENS",
    "TERMINAL_EVENTS",
    "TERMINAL_STATUSES",
    "AsyncResponseEventStream",
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "FunctionTool",
    "InputFile",
    "InputImage",
    "InputMessage",
    "InputText",
    "OutputContent",
    "OutputItem",
    "ReasoningConfig",
    "ResponseDeleted",
    "ResponseEventStream",
    "ResponseObject",
    "ResponseStreamEvent",
    "ResponseTimeoutError",
    "ResponsesAccumulator",
    "ResponsesRequest",
    "TextConfig",
    "responses_body_from_chat",
    "turn_from_response",
]

#: ``max_output_tokens`` below this is rejected by NanoGPT (reference §8, [wire] C-openclaw).
MIN_MAX_OUTPUT_TOKENS = 16
#: Statuses after which a background response no longer changes (reference §8).
TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})
#: Stream events that end a Responses stream (reference §8 "Streaming").
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponseTimeoutError(NanoGPTError, TimeoutError):
    """A background response did not reach a terminal status within the allowed wait."""

    def __init__(self, message: str, *, last: ResponseObject | None = None) -> None:
        super().__init__(message, request_id=last.request_id if last is not None else None)
        self.last = last


# -- request --------------------------------------------------------------------------------------


class InputText(WireModel):
    """``{"type": "input_text", "text": ...}`` (reference §8 input items)."""

    type: Literal["input_text"] = "input_text"
    text: str


class InputImage(WireModel):
    """``{"type": "input_image", "image_url": ..., "detail": ...}``; ``image_url`` may be a data URL."""

    type: Literal["input_image"] = "input_image"
    image_url: str | None = None
    file_id: str | None = None
    detail: Literal["auto", "low", "high"] | None = None


class InputFile(WireModel):
    """``{"type": "input_file", "filename": ..., "file_data": <data URL>}`` (or ``file_url``/``file_id``)."""

    type: Literal["input_file"] = "input_file"
    filename: str | None = None
    file_data: str | None = None
    file_url: str | None = None
    file_id: str | None = None


ContentPart = InputText | InputImage | InputFile | dict[str, Any]


class InputMessage(WireModel):
    """A ``message`` input item; roles ``user|assistant|system|developer`` (reference §8)."""

    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[ContentPart]


class FunctionCallItem(WireModel):
    """A ``function_call`` the model made earlier, sent back as input (``call_id`` links the output)."""

    type: Literal["function_call"] = "function_call"
    call_id: str
    name: str
    arguments: str
    id: str | None = None

    @field_validator("arguments", mode="before")
    @classmethod
    def _args_to_str(cls, value: Any) -> Any:
        return json.dumps(value) if isinstance(value, (dict, list)) else value


class FunctionCallOutputItem(WireModel):
    """A tool result: ``{"type": "function_call_output", "call_id": ..., "output": ...}``."""

    type: Literal["function_call_output"] = "function_call_output"
    call_id: str
    output: str


InputItem = InputMessage | FunctionCallItem | FunctionCallOutputItem | dict[str, Any]


class FunctionTool(WireModel):
    """A function tool in Responses shape (flat, not nested under ``function`` as in chat)."""

    type: Literal["function"] = "function"
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ReasoningConfig(WireModel):
    """``reasoning``: ``effort`` and whether to return a ``summary`` (``auto|concise|detailed``)."""

    effort: str | None = None
    summary: str | None = None


class TextConfig(WireModel):
    """``text``: ``format`` (e.g. ``{"type": "json_schema", "name", "schema", "strict"}``) and ``verbosity``."""

    format: dict[str, Any] | None = None
    verbosity: str | None = None

    @field_validator("format")
    @classmethod
    def _schema_named(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if (
            value is not None
            and value.get("type") == "json_schema"
            and (not value.get("name") or not isinstance(value.get("schema"), dict))
        ):
            raise ValueError("text.format json_schema needs a 'name' and a 'schema' object")
        return value


class ResponsesRequest(WireModel):
    """A ``POST /responses`` body (reference §8), validated before any request is sent.

    Unknown fields pass through (NanoGPT extensions such as ``provider`` or ``billing_mode``).
    Combinations the API rejects are rejected here with a ``ValueError``: ``background`` with
    streaming, ``previous_response_id`` or ``background`` with ``store=False`` or
    ``retention_days=0`` (nothing would be stored to thread from or to poll), and
    ``max_output_tokens`` below 16.
    """

    model: str
    input: str | list[InputItem] | None = None
    instructions: str | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = Field(default=None, ge=1)
    temperature: float | None = None
    top_p: float | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    tools: list[FunctionTool | dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    store: bool | None = None
    retention_days: int | None = Field(default=None, ge=0, le=365)
    background: bool | None = None
    stream: bool | None = None
    reasoning: ReasoningConfig | None = None
    text: TextConfig | None = None
    metadata: dict[str, str] | None = None
    truncation: Literal["auto", "disabled"] | None = None
    user: str | None = None
    prompt_cache_key: str | None = None
    service_tier: str | None = None

    @field_validator("max_output_tokens")
    @classmethod
    def _min_output(cls, value: int | None) -> int | None:
        if value is not None and value < MIN_MAX_OUTPUT_TOKENS:
            raise ValueError(f"max_output_tokens must be at least {MIN_MAX_OUTPUT_TOKENS}; got {value}")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        # reference §8: at most 16 keys, keys up to 64 characters, values up to 512.
        if value is None:
            return value
        if len(value) > 16:
            raise ValueError(f"metadata may have at most 16 keys; got {len(value)}")
        for key, item in value.items():
            if len(key) > 64:
                raise ValueError(f"metadata key longer than 64 characters: {key[:70]!r}")
            if len(item) > 512:
                raise ValueError(f"metadata value for {key!r} is longer than 512 characters")
        return value

    @model_validator(mode="after")
    def _combinations(self) -> ResponsesRequest:
        self.check(stream=bool(self.stream))
        return self

    def check(self, *, stream: bool) -> None:
        """Raise ``ValueError`` for field combinations NanoGPT rejects (reference §8)."""
        no_store = self.store is False or self.retention_days == 0
        if self.background and stream:
            raise ValueError("background=True cannot be combined with streaming; poll responses_get instead")
        if self.previous_response_id and no_store:
            raise ValueError(
                "previous_response_id needs stored responses: do not pass store=False or retention_days=0"
            )
        if self.background and no_store:
            raise ValueError(
                "background=True needs a stored response: do not pass store=False or retention_days=0"
            )
        if self.input is None and self.previous_response_id is None:
            raise ValueError("input is required (or previous_response_id to continue a conversation)")

    def to_wire(self, *, stream: bool = False) -> dict[str, Any]:
        """The JSON body; ``stream`` sets ``"stream": true`` (validated against ``background``)."""
        self.check(stream=stream)
        body = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        body.pop("stream", None)
        if stream:
            body["stream"] = True
        return body

    @classmethod
    def of(cls, request: ResponsesRequest | Mapping[str, Any]) -> ResponsesRequest:
        """Accept a request object or a plain dict (validated)."""
        return request if isinstance(request, ResponsesRequest) else cls.model_validate(dict(request))


# -- response -------------------------------------------------------------------------------------


class OutputContent(WireModel):
    """A part of an output ``message`` (``output_text`` with annotations, or ``refusal``)."""

    type: str = "output_text"
    text: str | None = None
    annotations: list[Any] | None = None
    logprobs: Any = None
    refusal: str | None = None


class OutputItem(WireModel):
    """One output item. Lenient on purpose: ``message``, ``function_call``, ``reasoning``,
    ``web_search_call``, ``image_generation_call``, ``tool_search_call``… share this model and
    unknown fields are kept (reference §8 lists the types, not all their fields)."""

    type: str
    id: str | None = None
    status: str | None = None
    role: str | None = None
    content: list[OutputContent] | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    summary: list[dict[str, Any]] | None = None
    encrypted_content: str | None = None

    @field_validator("arguments", mode="before")
    @classmethod
    def _args_to_str(cls, value: Any) -> Any:
        return json.dumps(value) if isinstance(value, (dict, list)) else value

    def text(self) -> str:
        """Concatenated ``output_text`` of a message item (reasoning text for a reasoning item)."""
        if self.type == "reasoning":
            parts = [c.text or "" for c in self.content or [] if c.text]
            if not parts:
                parts = [str(s.get("text") or "") for s in self.summary or []]
            return "".join(parts)
        return "".join(c.text or "" for c in self.content or [] if c.type == "output_text")


class _Responded(WireModel):
    _request_id: str | None = PrivateAttr(default=None)

    @property
    def request_id(self) -> str | None:
        """``X-Request-ID`` of the HTTP response."""
        return self._request_id


class ResponseObject(_Responded):
    """A Responses API ``response`` object (reference §8; every listed field may be null)."""

    id: str | None = None
    object: str | None = None
    created_at: int | None = None
    completed_at: int | None = None
    model: str | None = None
    status: str | None = None
    instructions: str | None = None
    previous_response_id: str | None = None
    output: list[OutputItem] = Field(default_factory=list)
    output_text_field: str | None = Field(default=None, alias="output_text")
    usage: Usage | None = None
    error: Any = None
    incomplete_details: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    store: bool | None = None
    background: bool | None = None
    tools: list[Any] | None = None
    text: Any = None
    reasoning: Any = None
    # reference §8: pricing follows "the normal Responses contract"; placement uncertain, read it
    # from the top level or, failing that, from inside ``usage`` (see :attr:`pricing`).
    x_nanogpt_pricing: Pricing | None = None

    @property
    def output_text(self) -> str:
        """The server's ``output_text`` when sent, else the text of every output message."""
        if self.output_text_field is not None:
            return self.output_text_field
        return "".join(item.text() for item in self.output if item.type == "message")

    @property
    def pricing(self) -> Pricing | None:
        """``x_nanogpt_pricing`` from the response, or from ``usage`` (placement is uncertain)."""
        if self.x_nanogpt_pricing is not None:
            return self.x_nanogpt_pricing
        nested = (self.usage.model_extra or {}).get("x_nanogpt_pricing") if self.usage else None
        return Pricing.model_validate(nested) if isinstance(nested, dict) else None

    @property
    def done(self) -> bool:
        """True once the status is terminal (completed / failed / incomplete / cancelled)."""
        return self.status in TERMINAL_STATUSES


class ResponseDeleted(_Responded):
    """``DELETE /responses/{id}`` → ``{"id", "object": "response.deleted", "deleted": true}``."""

    id: str | None = None
    object: str | None = None
    deleted: bool = False


class ResponseStreamEvent(WireModel):
    """One Responses stream event (reference §8 "Streaming"); unknown event types are kept."""

    type: str = ""
    sequence_number: int | None = None
    response: ResponseObject | None = None
    item: OutputItem | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    summary_index: int | None = None
    delta: Any = None
    text: str | None = None
    arguments: str | None = None
    part: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    error: Any = None
    x_nanogpt_pricing: Pricing | None = None


def raise_for_event(event: ResponseStreamEvent, request_id: str | None) -> None:
    """Raise :class:`StreamError` for ``response.failed`` and ``error`` events."""
    if event.type == "error":
        # OpenAI-style error event: code/message at the top level (no ``error`` object).
        raise stream_error_from_frame(
            {"error": {"code": event.code, "message": event.message, "param": event.param}}, request_id
        )
    if event.type == "response.failed":
        error = event.response.error if event.response is not None else None
        if not isinstance(error, dict):
            error = {"message": "NanoGPT reported the response as failed"}
        raise stream_error_from_frame({"error": error}, request_id)


def _eof_without_terminal(request_id: str | None) -> StreamError:
    return StreamError(
        "Responses stream ended without response.completed/incomplete/failed: the reply may be incomplete",
        request_id=request_id,
    )


class ResponseEventStream:
    """Typed Responses events over the chat :class:`Stream` machinery.

    ``response.failed`` and ``error`` events raise :class:`StreamError`; so does an end of stream
    before a terminal event. After a terminal event a missing ``[DONE]`` is tolerated (reference §8
    says streams end with ``[DONE]``; OpenAI's own Responses streams do not send it).
    """

    def __init__(self, stream: Stream[ResponseStreamEvent]) -> None:
        self._stream = stream
        self.request_id = stream.request_id

    @property
    def response(self) -> httpx.Response:
        """The underlying ``httpx.Response``."""
        return self._stream.response

    def __iter__(self) -> Iterator[ResponseStreamEvent]:
        terminal = False
        try:
            for event in self._stream:
                raise_for_event(event, self.request_id)
                if event.type in TERMINAL_EVENTS:
                    terminal = True
                yield event
        except StreamError:
            if not terminal:
                raise
            return
        if not terminal:
            raise _eof_without_terminal(self.request_id)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> ResponseEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncResponseEventStream:
    """Async twin of :class:`ResponseEventStream`."""

    def __init__(self, stream: AsyncStream[ResponseStreamEvent]) -> None:
        self._stream = stream
        self.request_id = stream.request_id

    @property
    def response(self) -> httpx.Response:
        """The underlying ``httpx.Response``."""
        return self._stream.response

    async def __aiter__(self) -> AsyncIterator[ResponseStreamEvent]:
        terminal = False
        try:
            async for event in self._stream:
                raise_for_event(event, self.request_id)
                if event.type in TERMINAL_EVENTS:
                    terminal = True
                yield event
        except StreamError:
            if not terminal:
                raise
            return
        if not terminal:
            raise _eof_without_terminal(self.request_id)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def __aenter__(self) -> AsyncResponseEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# -- one turn, however it arrived -----------------------------------------------------------------


def _finish_reason(status: str | None, incomplete: dict[str, Any] | None, has_calls: bool) -> str | None:
    if status == "incomplete":
        reason = (incomplete or {}).get("reason")
        return "length" if reason in (None, "max_output_tokens") else str(reason)
    if status == "completed":
        return "tool_calls" if has_calls else "stop"
    return status


def turn_from_response(response: ResponseObject) -> AssistantTurn:
    """A complete :class:`ResponseObject` → :class:`AssistantTurn` (the type chat replies become)."""
    turn = AssistantTurn(
        id=response.id,
        model=response.model,
        created=response.created_at,
        pricing=response.pricing,
        request_id=response.request_id,
    )
    turn.set_usage(response.usage, response.pricing)  # counts from pricing when usage is absent
    reasoning: list[str] = []
    for item in response.output:
        if item.type == "reasoning":
            reasoning.append(item.text())
        elif item.type == "function_call":
            turn.tool_calls.append(
                ToolCallResult(
                    id=item.call_id or item.id or f"call_{response.id or 'response'}_{len(turn.tool_calls)}",
                    name=item.name or "",
                    arguments=item.arguments or "",
                    index=len(turn.tool_calls),
                )
            )
        elif item.type == "message":
            for part in item.content or []:
                if part.annotations:
                    turn.annotations.extend(part.annotations)
                if part.type == "refusal" and part.refusal:
                    turn.refusal = (turn.refusal or "") + part.refusal
    turn.content = response.output_text
    turn.reasoning = "".join(reasoning)
    turn.finish_reason = _finish_reason(response.status, response.incomplete_details, bool(turn.tool_calls))
    return turn


class ResponsesAccumulator:
    """Merges Responses stream events into :class:`StreamDelta` s and one :class:`AssistantTurn`.

    Text comes from ``response.output_text.delta``; reasoning from ``response.reasoning.delta``
    (also ``response.reasoning_text.delta``, and ``response.reasoning_summary_text.delta`` when no
    raw reasoning is streamed: the summary is used only as a fallback); tool calls from
    ``output_item.added`` (id and name) plus ``function_call_arguments.delta``. The terminal
    event's ``response`` supplies usage, pricing and status, and fills anything not streamed.
    """

    def __init__(self, request_id: str | None = None) -> None:
        self.turn = AssistantTurn(request_id=request_id)
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._summary: list[str] = []
        self._calls: dict[str, ToolCallResult] = {}  # by item id (or output index)
        self._final: ResponseObject | None = None

    @staticmethod
    def _key(event: ResponseStreamEvent) -> str:
        if event.item is not None and event.item.id:
            return event.item.id
        if event.item_id:
            return event.item_id
        return f"#{event.output_index or 0}"

    def _call(self, event: ResponseStreamEvent) -> tuple[ToolCallResult, bool]:
        key = self._key(event)
        call = self._calls.get(key)
        if call is None and event.output_index is not None:
            call = self._calls.get(f"#{event.output_index}")
        if call is not None:
            return call, False
        call = ToolCallResult(id="", name="", arguments="", index=len(self._calls))
        self._calls[key] = call
        return call, True

    def _apply_response(self, response: ResponseObject, out: StreamDelta) -> None:
        turn = self.turn
        turn.id = turn.id or response.id
        turn.model = response.model or turn.model
        turn.created = turn.created or response.created_at
        pricing = response.pricing
        if response.usage is not None or pricing is not None:
            out.usage = turn.set_usage(response.usage, pricing or turn.pricing)
        if pricing is not None:
            out.pricing = pricing
            turn.pricing = pricing

    def add(self, event: ResponseStreamEvent) -> StreamDelta:
        """Merge one event and return what it added (raises on ``failed``/``error`` events)."""
        raise_for_event(event, self.turn.request_id)
        out = StreamDelta()
        kind = event.type
        delta = event.delta if isinstance(event.delta, str) else ""
        if event.response is not None:
            self._apply_response(event.response, out)
        if event.x_nanogpt_pricing is not None:
            out.pricing = event.x_nanogpt_pricing
            self.turn.pricing = out.pricing
        if kind == "response.output_text.delta" and delta:
            out.content = delta
            self._content.append(delta)
        elif kind in ("response.reasoning.delta", "response.reasoning_text.delta") and delta:
            out.reasoning = delta
            self._reasoning.append(delta)
        elif kind == "response.reasoning_summary_text.delta" and delta:
            self._summary.append(delta)
            if not self._reasoning:
                out.reasoning = delta
        elif kind in ("response.output_item.added", "response.output_item.done"):
            item = event.item
            if item is not None and item.type == "function_call":
                out.tool_calls.extend(self._call_item(event, item, kind.endswith("done")))
        elif kind == "response.function_call_arguments.delta" and delta:
            call, _ = self._call(event)
            call.arguments += delta
            out.tool_calls.append(ToolCallFragment(index=call.index, arguments=delta))
        elif kind == "response.function_call_arguments.done" and event.arguments:
            call, _ = self._call(event)
            if not call.arguments:
                call.arguments = event.arguments
                out.tool_calls.append(ToolCallFragment(index=call.index, arguments=event.arguments))
        elif kind in TERMINAL_EVENTS and event.response is not None:
            self._final = event.response
            out.finish_reason = _finish_reason(
                event.response.status, event.response.incomplete_details, bool(self._calls)
            )
            self.turn.finish_reason = out.finish_reason
        return out

    def _call_item(self, event: ResponseStreamEvent, item: OutputItem, done: bool) -> list[ToolCallFragment]:
        call, new = self._call(event)
        fragment = ToolCallFragment(index=call.index)
        if item.call_id and not call.id:
            call.id = fragment.id = item.call_id
        if item.name and not call.name:
            call.name = fragment.name = item.name
        if done and item.arguments and not call.arguments:
            call.arguments = fragment.arguments = item.arguments
        if new or fragment.id or fragment.name or fragment.arguments:
            return [fragment]
        return []

    def snapshot(self) -> AssistantTurn:
        """The merged turn so far."""
        turn = self.turn
        turn.content = "".join(self._content)
        turn.reasoning = "".join(self._reasoning) or "".join(self._summary)
        turn.tool_calls = [
            ToolCallResult(id=c.id, name=c.name, arguments=c.arguments, index=c.index)
            for c in sorted(self._calls.values(), key=lambda c: c.index)
        ]
        return turn

    def result(self) -> AssistantTurn:
        """The final turn; what the stream did not carry is taken from the terminal response."""
        turn = self.snapshot()
        final = self._final
        if final is not None:
            whole = turn_from_response(final)
            if not turn.content:
                turn.content = whole.content
            if not turn.reasoning:
                turn.reasoning = whole.reasoning
            if not turn.tool_calls:
                turn.tool_calls = whole.tool_calls
            turn.annotations = turn.annotations or whole.annotations
            turn.refusal = turn.refusal or whole.refusal
        for position, call in enumerate(turn.tool_calls):
            if not call.id:
                call.id = f"call_{turn.id or 'stream'}_{position}"
        return turn


# -- chat-completions body → Responses body (pure) ------------------------------------------------


def _part_to_input(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "input_text", "text": part}
    kind = part.get("type")
    if kind in ("text", "input_text"):
        return {"type": "input_text", "text": part.get("text") or ""}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        out: dict[str, Any] = {"type": "input_image", "image_url": url}
        if isinstance(image, dict) and image.get("detail"):
            out["detail"] = image["detail"]
        return out
    if kind == "file":
        file = dict(part.get("file") or {})
        return {"type": "input_file", **{k: v for k, v in file.items() if v is not None}}
    if kind == "video_url":
        video = part.get("video_url")
        return {"type": "input_video", "video_url": video.get("url") if isinstance(video, dict) else video}
    if kind in ("input_image", "input_file", "input_video"):
        return {k: v for k, v in part.items() if k != "cache_control"}
    raise ValueError(f"content part {kind!r} has no Responses API equivalent (reference §8 input items)")


def _content_to_input(content: Any) -> str | list[dict[str, Any]]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = [_part_to_input(p) for p in content]
    if all(p["type"] == "input_text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _text_of(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "\n".join(str(p.get("text") or "") for p in content if isinstance(p, dict))


def input_from_chat_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat ``messages`` → Responses ``input`` items (reference §8).

    Assistant tool calls become ``function_call`` items, ``tool`` messages ``function_call_output``
    items; ``cache_control`` markers and replayed reasoning have no Responses equivalent and are
    dropped.
    """
    items: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id") or "",
                    "output": _text_of(message.get("content")),
                }
            )
            continue
        if role == "assistant":
            text = _text_of(message.get("content"))
            if text:
                items.append({"type": "message", "role": "assistant", "content": text})
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.get("id") or "",
                        "name": function.get("name") or "",
                        "arguments": function.get("arguments") or "{}",
                    }
                )
            continue
        items.append(
            {"type": "message", "role": role or "user", "content": _content_to_input(message.get("content"))}
        )
    return items


def _tool_to_responses(tool: Any) -> Any:
    if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("function"), dict):
        function = tool["function"]
        out = {"type": "function", "name": function.get("name")}
        for key in ("description", "parameters", "strict"):
            if function.get(key) is not None:
                out[key] = function[key]
        return out
    return tool


def _tool_choice_to_responses(choice: Any) -> Any:
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "function", "name": choice["function"].get("name")}
    return choice


def _format_to_responses(response_format: Any) -> dict[str, Any] | None:
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        out = {
            "type": "json_schema",
            "name": spec.get("name") or "output",
            "schema": spec.get("schema") or {},
        }
        if spec.get("strict") is not None:
            out["strict"] = spec["strict"]
        return out
    return dict(response_format)


#: Chat-completions parameters with no Responses equivalent: refused rather than silently dropped.
_CHAT_ONLY = frozenset({"stop", "logit_bias", "n"})


def responses_body_from_chat(body: Mapping[str, Any]) -> dict[str, Any]:
    """A ``/chat/completions`` body → the equivalent ``/responses`` body (pure; validated).

    ``messages`` → ``input``; ``max_tokens``/``max_completion_tokens`` → ``max_output_tokens``;
    ``response_format`` → ``text.format``; ``reasoning_effort`` (and a ``reasoning`` object's
    ``effort``/``summary``) → ``reasoning``; chat-shaped tools and ``tool_choice`` → flat Responses
    shapes. ``stream``/``stream_options`` are dropped (the client sets streaming); every other key,
    NanoGPT extensions included, passes through unchanged.
    """
    out: dict[str, Any] = {}
    reasoning: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("stream", "stream_options"):
            continue
        if key in _CHAT_ONLY and value not in (None, [], False):
            raise ValueError(
                f"{key} is not supported by the Responses API (reference §8 lists no equivalent); "
                "remove it or use chat completions"
            )
        if key == "messages":
            out["input"] = input_from_chat_messages(list(value))
        elif key in ("max_tokens", "max_completion_tokens"):
            out["max_output_tokens"] = value
        elif key == "response_format":
            fmt = _format_to_responses(value)
            if fmt is not None:
                out.setdefault("text", {})["format"] = fmt
        elif key == "reasoning_effort":
            reasoning["effort"] = value
        elif key == "reasoning" and isinstance(value, dict):
            for sub in ("effort", "summary", "exclude"):
                if value.get(sub) is not None:
                    reasoning.setdefault(sub, value[sub])
        elif key == "tools":
            out["tools"] = [_tool_to_responses(t) for t in value or []]
        elif key == "tool_choice":
            out["tool_choice"] = _tool_choice_to_responses(value)
        else:
            out[key] = value
    if reasoning:
        out["reasoning"] = reasoning
    return ResponsesRequest.model_validate(out).to_wire()
