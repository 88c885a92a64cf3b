"""`/api/v1/responses` (ref §8): create (plain, background, streamed), GET, DELETE, endpoint info.

Replies come from the chat brain (or the scripted `ChatReply` queue): the request is translated to a
chat body (`input` items → messages, previous thread prepended, `text.format` → `response_format`,
`reasoning.effort` → `reasoning_effort`, flat function tools → chat tools), answered with
`brain.chat_reply`, and the reply is presented as a Responses object.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .accounting import Usage, chat_usage_for
from .brain import chat_reply
from .errors import ApiError, invalid, json_object_body, missing
from .recording import RecordedRequest
from .replies import ChatReply
from .responses import DONE_FRAME, Response, StreamResponse, json_response, sse_frame
from .routing import plan_route, resolve_model

MIN_OUTPUT_TOKENS = 16  # ref §8 ([wire] C-openclaw): "max_output_tokens must be at least 16"


@dataclass
class StoredResponse:
    """A stored response: its JSON, the chat thread it ends (for threading), background progress."""

    payload: dict[str, Any]
    thread: list[dict[str, Any]]
    polls_left: int = 0


@dataclass
class ResponseStore:
    """In-memory stored responses (ref §8 "Storage"); thread-safe."""

    background_polls: int = 2
    _items: dict[str, StoredResponse] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, response_id: str, stored: StoredResponse) -> None:
        with self._lock:
            self._items[response_id] = stored

    def get(self, response_id: str) -> StoredResponse | None:
        with self._lock:
            return self._items.get(response_id)

    def poll(self, response_id: str) -> dict[str, Any] | None:
        """The response as a GET sees it; background ones advance queued → in_progress → final."""
        with self._lock:
            stored = self._items.get(response_id)
            if stored is None:
                return None
            if stored.polls_left > 0:
                stored.polls_left -= 1
                status = "in_progress" if stored.polls_left > 0 else None
                if status is not None:
                    return {**_pending(stored.payload), "status": status}
            return stored.payload

    def delete(self, response_id: str) -> bool:
        with self._lock:
            return self._items.pop(response_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _pending(payload: dict[str, Any]) -> dict[str, Any]:
    """A background response before it finishes: no output, usage or completion time (ref §8)."""
    return {**payload, "output": [], "output_text": "", "usage": None, "completed_at": None}


# -- request → chat body -----------------------------------------------------------------------------


def _part_to_chat(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part.get("text") or ""}
    if kind == "input_image":
        return {"type": "image_url", "image_url": {"url": part.get("image_url") or part.get("file_id") or ""}}
    if kind == "input_file":
        return {
            "type": "file",
            "file": {"filename": part.get("filename"), "file_data": part.get("file_data")},
        }
    if kind == "input_video":
        return {"type": "video_url", "video_url": {"url": part.get("video_url")}}
    raise invalid("input", f"Unsupported content part type: {kind}")


def _items_to_messages(items: Any) -> list[dict[str, Any]]:
    """ref §8 input items → chat messages (message / function_call / function_call_output)."""
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    if not isinstance(items, list):
        raise invalid("input", "input must be a string or an array of items")
    messages: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise invalid("input", "input items must be objects")
        kind = item.get("type", "message")
        if kind == "message":
            content = item.get("content")
            if isinstance(content, list):
                content = [_part_to_chat(p) for p in content]
            messages.append({"role": item.get("role") or "user", "content": content})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or "{}"},
            }
            last = messages[-1] if messages else None
            if last is not None and last.get("role") == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            messages.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": text})
        elif kind == "reasoning":
            continue  # replayed reasoning items carry nothing the brain uses
        else:
            raise invalid("input", f"Unsupported input item type: {kind}")
    return messages


def _chat_body(body: dict[str, Any], thread: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat body the brain answers: `instructions` as a system message, then the thread."""
    chat: dict[str, Any] = {"model": body["model"], "messages": list(thread)}
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        chat["messages"].insert(0, {"role": "system", "content": instructions})
    tools = body.get("tools")
    if isinstance(tools, list):
        chat["tools"] = [
            {"type": "function", "function": {k: v for k, v in t.items() if k != "type"}}
            for t in tools
            if isinstance(t, dict) and t.get("type") == "function"
        ]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = body["tool_choice"]  # brain reads {"type":"function","name"} too
    if body.get("parallel_tool_calls") is not None:
        chat["parallel_tool_calls"] = body["parallel_tool_calls"]
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        # ref §8 `text.format` json_schema ↔ ref §2.6 `response_format`
        chat["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": fmt.get("name"), "schema": fmt.get("schema")},
        }
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        chat["response_format"] = {"type": "json_object"}
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort"):
        chat["reasoning_effort"] = reasoning["effort"]
    if isinstance(body.get("max_output_tokens"), int):
        chat["max_tokens"] = body["max_output_tokens"]
    return chat


def _validate(body: dict[str, Any], store: ResponseStore) -> None:
    """The ref §8 validation errors the emulator reproduces."""
    model = body.get("model")
    if not model:
        raise ApiError(400, "model is required", code="missing_required_parameter", param="model")  # ref §8
    if not isinstance(model, str):
        raise invalid("model", "model must be a string")
    if body.get("input") is None and not body.get("previous_response_id"):
        raise missing("input")
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or limit < MIN_OUTPUT_TOKENS):
        raise invalid("max_output_tokens", "max_output_tokens must be at least 16")
    retention = body.get("retention_days", body.get("retentionDays"))
    no_store = body.get("store") is False or retention == 0
    if body.get("background") and body.get("stream"):
        raise invalid("background", "background cannot be combined with stream")
    if body.get("background") and no_store:
        raise invalid("background", "background requires a stored response")
    previous = body.get("previous_response_id")
    if previous is not None:
        if no_store:
            raise invalid("previous_response_id", "previous_response_id requires store and retention > 0")
        if store.get(str(previous)) is None:
            raise ApiError(404, f"Response {previous} not found", code="response_not_found")


# -- reply → response object -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Built:
    payload: dict[str, Any]
    reasoning_id: str | None
    message_id: str | None


def _usage_json(usage: Usage) -> dict[str, Any]:
    """ref §8 usage: input/output/total + cached and reasoning token details."""
    return {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        "input_tokens_details": {"cached_tokens": usage.cache_read},
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _build(body: dict[str, Any], reply: ChatReply, usage: Usage, response_id: str, created: int) -> _Built:
    """The ref §8 response object (every listed field present, null when unset)."""
    output: list[dict[str, Any]] = []
    reasoning_id = message_id = None
    raw_reasoning = body.get("reasoning")
    reasoning_cfg: dict[str, Any] = raw_reasoning if isinstance(raw_reasoning, dict) else {}
    if reply.reasoning:
        reasoning_id = f"rs_{response_id[5:]}"
        summary: list[dict[str, Any]] = []
        if reasoning_cfg.get("summary"):
            summary = [{"type": "summary_text", "text": reply.reasoning.split(".")[0] + "."}]
        output.append(
            {
                "type": "reasoning",
                "id": reasoning_id,
                "status": "completed",
                "summary": summary,
                "content": [{"type": "reasoning_text", "text": reply.reasoning}],
                "encrypted_content": None,
            }
        )
    if reply.content:
        message_id = f"msg_{response_id[5:]}"
        part: dict[str, Any] = {
            "type": "output_text",
            "text": reply.content,
            "annotations": reply.annotations or [],
            "logprobs": [],
        }
        output.append(
            {
                "type": "message",
                "id": message_id,
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    for index, call in enumerate(reply.tool_calls):
        output.append(
            {
                "type": "function_call",
                "id": f"fc_{response_id[5:]}_{index}",
                "call_id": call.call_id(index, response_id),
                "name": call.name,
                "arguments": call.arguments_json(),
                "status": "completed",
            }
        )
    incomplete = reply.effective_finish_reason() == "length"
    payload: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "completed_at": created,
        "model": reply.model or body["model"],
        "status": "incomplete" if incomplete else "completed",
        "instructions": body.get("instructions"),
        "previous_response_id": body.get("previous_response_id"),
        "tools": body.get("tools") or [],
        "tool_choice": body.get("tool_choice", "auto"),
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "truncation": body.get("truncation", "disabled"),
        "text": body.get("text") or {"format": {"type": "text"}},
        "reasoning": body.get("reasoning"),
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "presence_penalty": body.get("presence_penalty"),
        "frequency_penalty": body.get("frequency_penalty"),
        "top_logprobs": body.get("top_logprobs"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "user": body.get("user"),
        "store": body.get("store", True) is not False,
        "background": bool(body.get("background")),
        "safety_identifier": body.get("safety_identifier"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "output": output,
        "output_text": reply.content or "",
        "usage": reply.usage if reply.usage is not None else _usage_json(usage),
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "metadata": body.get("metadata") or {},
        "service_tier": body.get("service_tier"),
        # ref §8: "follows the normal Responses contract" (placement uncertain): top level here.
        "x_nanogpt_pricing": reply.pricing if reply.pricing is not None else usage.pricing(),
    }
    return _Built(payload, reasoning_id, message_id)


def _thread_after(thread: list[dict[str, Any]], reply: ChatReply, response_id: str) -> list[dict[str, Any]]:
    """The thread including this reply, for `previous_response_id` (`instructions` do not carry
    over, as in OpenAI's semantics)."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": c.call_id(i, response_id),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_json()},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
    return [*thread, message]


# -- streaming -----------------------------------------------------------------------------------------


def _pieces(text: str, size: int) -> list[str]:
    size = max(size, 1)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def stream_events(built: _Built, chunk_size: int) -> list[dict[str, Any]]:
    """ref §8 streaming events in order; usage rides the terminal event's `response`."""
    payload = built.payload
    events: list[dict[str, Any]] = []
    start = {**_pending(payload), "status": "in_progress"}
    events.append({"type": "response.created", "response": start})
    events.append({"type": "response.in_progress", "response": start})
    for index, item in enumerate(payload["output"]):
        empty = {**item, "status": "in_progress"}
        if item["type"] == "message":
            empty["content"] = []
        elif item["type"] == "function_call":
            empty["arguments"] = ""
        elif item["type"] == "reasoning":
            empty["content"], empty["summary"] = [], []
        events.append({"type": "response.output_item.added", "output_index": index, "item": empty})
        if item["type"] == "reasoning":
            text = item["content"][0]["text"]
            for piece in _pieces(text, chunk_size):
                events.append(
                    {
                        "type": "response.reasoning.delta",
                        "item_id": item["id"],
                        "output_index": index,
                        "delta": piece,
                    }
                )
            events.append(
                {
                    "type": "response.reasoning.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "text": text,
                }
            )
        elif item["type"] == "message":
            part = item["content"][0]
            base = {"item_id": item["id"], "output_index": index, "content_index": 0}
            events.append({"type": "response.content_part.added", **base, "part": {**part, "text": ""}})
            for piece in _pieces(part["text"], chunk_size):
                events.append({"type": "response.output_text.delta", **base, "delta": piece, "logprobs": []})
            events.append({"type": "response.output_text.done", **base, "text": part["text"], "logprobs": []})
            events.append({"type": "response.content_part.done", **base, "part": part})
        elif item["type"] == "function_call":
            base = {"item_id": item["id"], "output_index": index}
            for piece in _pieces(item["arguments"], chunk_size):
                events.append({"type": "response.function_call_arguments.delta", **base, "delta": piece})
            events.append(
                {"type": "response.function_call_arguments.done", **base, "arguments": item["arguments"]}
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    terminal = "response.incomplete" if payload["status"] == "incomplete" else "response.completed"
    events.append({"type": terminal, "response": payload})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


# -- handlers ------------------------------------------------------------------------------------------


def handle_create(call: RecordedRequest, state: Any) -> Response | StreamResponse:
    """`POST /api/v1/responses` (ref §8)."""
    store: ResponseStore = state.responses
    body = json_object_body(call.raw_body)
    _validate(body, store)
    # endpoint/responses.mdx: `model_not_found`; provider selection by `X-Provider` only.
    plan = plan_route(call, {}, resolve_model(body["model"], state.accept_any_model), state.routes)
    previous = body.get("previous_response_id")
    prior = store.get(str(previous)) if previous else None
    new = _items_to_messages(body["input"]) if body.get("input") is not None else []
    thread = [*(prior.thread if prior is not None else []), *new]
    chat = _chat_body(body, thread)
    reply = state.next_reply() or chat_reply(chat)
    usage = chat_usage_for(
        chat, call.headers, reply, state.cache, mode=plan.spec.cache_mode, scope=plan.cache_scope
    )
    response_id = f"resp_{uuid.uuid4().hex[:24]}"
    built = _build(body, reply, usage, response_id, int(time.time()))
    stored = body.get("store") is not False and body.get("retention_days", body.get("retentionDays")) != 0
    if stored:
        polls = store.background_polls if body.get("background") else 0
        store.put(
            response_id, StoredResponse(built.payload, _thread_after(thread, reply, response_id), polls)
        )
    if body.get("stream"):
        frames = [sse_frame(event) for event in stream_events(built, reply.chunk_size)]
        return StreamResponse([*frames, DONE_FRAME], headers={"Cache-Control": "no-cache"})
    if body.get("background"):
        # ref §8: immediate 202 with status "queued"; poll GET until a terminal status.
        return json_response({**_pending(built.payload), "status": "queued"}, 202)
    return json_response(built.payload)


def _response_id(call: RecordedRequest) -> str:
    return call.path.rsplit("/", 1)[-1]


def handle_get(call: RecordedRequest, state: Any) -> Response:
    """`GET /api/v1/responses/{id}` (ref §8); 404 `response_not_found` when absent or not stored."""
    response_id = _response_id(call)
    if not response_id.startswith("resp_"):
        raise ApiError(400, f"Invalid response id: {response_id}", code="invalid_response_id")
    payload = state.responses.poll(response_id)
    if payload is None:
        raise ApiError(404, f"Response {response_id} not found", code="response_not_found")
    return json_response(payload)


def handle_delete(call: RecordedRequest, state: Any) -> Response:
    """`DELETE /api/v1/responses/{id}` → `{"id", "object": "response.deleted", "deleted": true}` (ref §8)."""
    response_id = _response_id(call)
    if not state.responses.delete(response_id):
        raise ApiError(404, f"Response {response_id} not found", code="response_not_found")
    return json_response({"id": response_id, "object": "response.deleted", "deleted": True})


def handle_info(call: RecordedRequest, state: Any) -> Response:
    """`GET /v1/responses`: endpoint information (ref §8; the shape is not documented)."""
    return json_response(
        {
            "object": "endpoint",
            "endpoint": "/api/v1/responses",
            "methods": ["POST", "GET", "DELETE"],
            "features": ["store", "previous_response_id", "background", "stream", "tools", "text.format"],
        }
    )
