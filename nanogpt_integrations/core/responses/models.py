"""Responses API wire models (api-reference/endpoint/responses.mdx): the validated request, the
response object, its items and the stream events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..errors import NanoGPTError
from ..types import Pricing, Usage, WireModel

MIN_MAX_OUTPUT_TOKENS = 16
#: Statuses after which a background response no longer changes (api-reference/endpoint/responses.mdx).
TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})
#: Stream events that end a Responses stream (api-reference/endpoint/responses.mdx "Streaming").
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponseTimeoutError(NanoGPTError, TimeoutError):
    """A background response did not reach a terminal status within the allowed wait."""

    def __init__(self, message: str, *, last: ResponseObject | None = None) -> None:
        super().__init__(message, request_id=last.request_id if last is not None else None)
        self.last = last


# -- request --------------------------------------------------------------------------------------


class InputText(WireModel):
    """``{"type": "input_text", "text": ...}`` (api-reference/endpoint/responses.mdx input items)."""

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
    """A ``message`` input item; roles ``user|assistant|system|developer`` (api-reference/endpoint/responses.mdx)."""

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
    """A ``POST /responses`` body (api-reference/endpoint/responses.mdx), validated before any request is sent.

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
        # api-reference/endpoint/responses.mdx: at most 16 keys, keys up to 64 characters, values up to 512.
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
        """Raise ``ValueError`` for field combinations NanoGPT rejects (api-reference/endpoint/responses.mdx)."""
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
    unknown fields are kept (api-reference/endpoint/responses.mdx lists the types, not all their fields)."""

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
    """A Responses API ``response`` object (api-reference/endpoint/responses.mdx; every listed field may be null)."""

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
    # api-reference/endpoint/responses.mdx: pricing follows "the normal Responses contract"; placement uncertain, read it
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
    """One Responses stream event (api-reference/endpoint/responses.mdx "Streaming"); unknown event types are kept."""

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
