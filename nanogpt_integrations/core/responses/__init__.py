"""The Responses API (``/responses``, api-reference/endpoint/responses.mdx): typed request, response, stream events, helpers.

Everything here is pure: the clients send :meth:`ResponsesRequest.to_wire` bodies and parse replies
into :class:`ResponseObject`; streams go through the same SSE decoder and error mapping as chat
(:class:`~nanogpt_integrations.core.streaming.Stream`), wrapped by :class:`ResponseEventStream`,
which also enforces a terminal event. :class:`ResponsesAccumulator` and :func:`turn_from_response`
produce the same :class:`~nanogpt_integrations.core.accumulator.AssistantTurn` as chat, so the
framework adapters translate one type. :func:`responses_body_from_chat` maps a chat-completions
body onto a Responses body, so adapters can reuse their chat request building.
"""

from __future__ import annotations

from .accumulator import ResponsesAccumulator, turn_from_response
from .from_chat import input_from_chat_messages, responses_body_from_chat
from .models import (
    MIN_MAX_OUTPUT_TOKENS,
    TERMINAL_EVENTS,
    TERMINAL_STATUSES,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionTool,
    InputFile,
    InputImage,
    InputMessage,
    InputText,
    OutputContent,
    OutputItem,
    ReasoningConfig,
    ResponseDeleted,
    ResponseObject,
    ResponsesRequest,
    ResponseStreamEvent,
    ResponseTimeoutError,
    TextConfig,
)
from .streams import AsyncResponseEventStream, ResponseEventStream, raise_for_event

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
    "input_from_chat_messages",
    "raise_for_event",
    "responses_body_from_chat",
    "turn_from_response",
]
