"""A chat-completions body → the equivalent ``/responses`` body (pure; validated), so the one
request builder serves both endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import ResponsesRequest


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
    raise ValueError(
        f"content part {kind!r} has no Responses API equivalent (api-reference/endpoint/responses.mdx input items)"
    )


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
    """Chat ``messages`` → Responses ``input`` items (api-reference/endpoint/responses.mdx).

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
                f"{key} is not supported by the Responses API (api-reference/endpoint/responses.mdx lists no equivalent); "
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
