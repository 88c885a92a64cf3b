"""`POST /api/v1/chat/completions` (ref §2): validation and the JSON / SSE shapes."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from .accounting import Usage, chat_usage_for, uses_prompt_caching
from .brain import chat_reply
from .errors import ApiError, invalid, json_object_body, missing
from .recording import RecordedRequest
from .replies import ChatReply
from .responses import DONE_FRAME, Response, StreamResponse, json_response, sse_frame
from .routing import plan_route, resolve_model
from .state import EmulatorState

_MAX_TOOLS_BYTES = 200 * 1024  # ref §2.5


def handle_chat(call: RecordedRequest, state: EmulatorState) -> Response | StreamResponse:
    """Answer a chat completion: the next scripted reply, else the default brain."""
    body = json_object_body(call.raw_body)
    validate_chat(body)
    plan = plan_route(call, body, resolve_model(body["model"], state.accept_any_model), state.routes)
    reply = state.next_reply() or chat_reply(body)
    usage = chat_usage_for(
        body, call.headers, reply, state.cache, mode=plan.spec.cache_mode, scope=plan.cache_scope
    )
    view = _View.of(call, body, reply)
    if body.get("stream"):
        return StreamResponse(stream_frames(reply, usage, view), headers={"Cache-Control": "no-cache"})
    return json_response(completion_json(reply, usage, view))


def validate_chat(body: dict[str, Any]) -> None:
    """The ref §2.9 / §14 validation errors the emulator reproduces."""
    model = body.get("model")
    if model is None or model == "":
        raise missing("model")
    if not isinstance(model, str):
        raise invalid("model", "model must be a string")
    if "messages" not in body:
        raise missing("messages")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise invalid("messages", "messages must be a non-empty array of message objects")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
    ):
        raise invalid("max_tokens", "max_tokens must be an integer >= 1")
    _validate_tools(body.get("tools"))
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or not spec.get("name"):
            raise invalid("response_format", "response_format.json_schema.name is required")  # ref §2.6


def _validate_tools(tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise ApiError(400, "tools must be an array", code="invalid_tool_spec", param="tools")
    if len(json.dumps(tools)) > _MAX_TOOLS_BYTES:
        raise ApiError(400, "Serialized tools exceed 200 KB", code="tool_spec_too_large", param="tools")
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
            raise ApiError(
                400, f"tools[{index}] must be a function tool", code="invalid_tool_spec", param="tools"
            )
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise ApiError(
                400, f"tools[{index}].function.name is required", code="invalid_tool_spec", param="tools"
            )


@dataclass(frozen=True)
class _View:
    """How to present a reply for this request."""

    id: str
    created: int
    model: str
    reasoning_field: str
    show_reasoning: bool
    include_usage: bool
    service_tier: str | None
    seed: str

    @classmethod
    def of(cls, call: RecordedRequest, body: dict[str, Any], reply: ChatReply) -> _View:
        model = str(body.get("model"))
        raw_reasoning = body.get("reasoning")
        reasoning: dict[str, Any] = raw_reasoning if isinstance(raw_reasoning, dict) else {}
        legacy = (
            "/v1legacy/" in call.path
            or body.get("reasoning_content_compat") is True
            or body.get("reasoning_delta_field") == "reasoning_content"
            or reasoning.get("delta_field") == "reasoning_content"
        )  # ref §4
        hidden = reasoning.get("exclude") is True or ":reasoning-exclude" in model  # ref §4
        if body.get("stream"):
            stream_options = body.get("stream_options")
            include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
        else:
            include_usage = body.get("include_usage") is True
        digest = hashlib.sha256(call.raw_body).hexdigest()
        tier = body.get("service_tier")
        return cls(
            id=f"chatcmpl-{digest[:24]}",
            created=int(time.time()),
            model=reply.model or model,
            reasoning_field="reasoning_content" if legacy else "reasoning",
            show_reasoning=not hidden,
            # api-reference/endpoint/chat-completion.mdx: usage only when asked
            # (`stream_options.include_usage` / `include_usage`); prompt-caching helpers force it on.
            include_usage=include_usage or uses_prompt_caching(body),
            service_tier=tier if isinstance(tier, str) else None,
            seed=digest,
        )


def _tool_calls_json(reply: ChatReply, view: _View) -> list[dict[str, Any]]:
    return [
        {
            "id": call.call_id(index, view.seed),
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_json()},
        }
        for index, call in enumerate(reply.tool_calls)
    ]


def completion_json(reply: ChatReply, usage: Usage, view: _View) -> dict[str, Any]:
    """The non-streaming response (ref §2.7)."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if view.show_reasoning and reply.reasoning is not None:
        message[view.reasoning_field] = reply.reasoning
    if view.show_reasoning and reply.reasoning_details is not None:
        message["reasoning_details"] = reply.reasoning_details
    if reply.tool_calls:
        message["tool_calls"] = _tool_calls_json(reply, view)
    if reply.annotations is not None:
        message["annotations"] = reply.annotations  # ref §2.7 (annotations, client-observed)
    payload: dict[str, Any] = {
        "id": view.id,
        "object": "chat.completion",
        "created": view.created,
        "model": view.model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.effective_finish_reason()}],
    }
    if view.include_usage:
        payload["usage"] = reply.usage if reply.usage is not None else usage.chat_usage()
    if view.service_tier is not None:
        payload["service_tier"] = view.service_tier  # ref §2.1
    payload["x_nanogpt_pricing"] = reply.pricing if reply.pricing is not None else usage.pricing()
    return payload


def _pieces(text: str, size: int) -> list[str]:
    size = max(size, 1)
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_frames(reply: ChatReply, usage: Usage, view: _View) -> list[bytes]:
    """The SSE frames of a streamed reply (ref §2.8), ending with `data: [DONE]`."""

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        # ref §2.8 chunk shape
        payload: dict[str, Any] = {
            "id": view.id,
            "object": "chat.completion.chunk",
            "created": view.created,
            "model": view.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if view.service_tier is not None:
            payload["service_tier"] = view.service_tier
        return payload

    frames = [sse_frame(chunk({"role": "assistant", "content": ""}))]  # ref §2.8: first delta has role
    if view.show_reasoning and reply.reasoning:
        pieces = _pieces(reply.reasoning, reply.chunk_size)
        for number, piece in enumerate(pieces, start=1):
            delta: dict[str, Any] = {view.reasoning_field: piece}  # ref §2.8 reasoning chunks
            if number == len(pieces) and reply.reasoning_details is not None:
                delta["reasoning_details"] = reply.reasoning_details
            frames.append(sse_frame(chunk(delta)))
    for piece in _pieces(reply.content or "", reply.chunk_size):
        frames.append(sse_frame(chunk({"content": piece})))
    if reply.annotations is not None:
        frames.append(sse_frame(chunk({"annotations": reply.annotations})))  # ref §2.7 annotations
    frames.extend(sse_frame(chunk({"tool_calls": [delta]})) for delta in _tool_call_deltas(reply, view))
    finish = chunk({}, reply.effective_finish_reason())
    if view.include_usage:
        finish["usage"] = reply.usage if reply.usage is not None else usage.chat_usage()  # ref §2.8 W-usage
    finish["x_nanogpt_pricing"] = reply.pricing if reply.pricing is not None else usage.pricing()  # ref §2.8
    frames.append(sse_frame(finish))
    frames.append(DONE_FRAME)
    return frames


def _tool_call_deltas(reply: ChatReply, view: _View) -> list[dict[str, Any]]:
    """OpenAI-format tool call deltas (ref §2.5): name first, then argument pieces."""
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(reply.tool_calls):
        call_id = call.call_id(index, view.seed)
        head: dict[str, Any] = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        parts = [head]
        for piece in _pieces(call.arguments_json(), reply.chunk_size):
            part: dict[str, Any] = {"index": index, "function": {"arguments": piece}}
            if reply.repeat_tool_call_id:
                part["id"] = call_id
            parts.append(part)
        if reply.omit_tool_call_index:
            for part in parts:
                del part["index"]
        deltas.extend(parts)
    return deltas
