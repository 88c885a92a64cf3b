"""LlamaIndex chat messages → the core's neutral messages (pure, no I/O besides reading local files).

Content blocks map onto OpenAI-style parts; ``CachePoint`` blocks become ``cache_control`` on the
wire part before them, in every role including ``system`` (where llama-index-llms-anthropic drops
them), and ``message.additional_kwargs["cache_control"]`` marks the last part of a message.
Assistant ``ThinkingBlock`` s carry their text and ``reasoning_details``, and an assistant message
from the Responses API its ``response_id``. How all of that is sent (string or parts, which
reasoning fields) is the core's decision (:mod:`nanogpt_integrations.core.messages`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

__all__ = ["as_chat_messages", "cache_control_of", "message_to_wire", "messages_to_wire"]

WireMessage = dict[str, Any]
WirePart = dict[str, Any]

_ROLE_MAP = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "developer",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}


def cache_control_of(point: CachePoint | dict[str, Any]) -> dict[str, Any]:
    """The wire ``cache_control`` object of a ``CachePoint`` (or a dict given in additional_kwargs)."""
    if isinstance(point, CachePoint):
        control: dict[str, Any] = {"type": point.cache_control.type or "ephemeral"}
        if point.cache_control.ttl:
            control["ttl"] = point.cache_control.ttl
        return control
    control = dict(point)
    control.setdefault("type", "ephemeral")
    return control


def _image_part(block: ImageBlock) -> WirePart:
    if block.url is not None and block.image is None and block.path is None:
        url = str(block.url)  # http(s) or data: URL, passed through unfetched
    else:
        url = block.inline_url()  # base64 bytes or a local path → data URI
    image_url: dict[str, Any] = {"url": url}
    if block.detail:
        image_url["detail"] = block.detail
    return {"type": "image_url", "image_url": image_url}


def _document_part(block: DocumentBlock) -> WirePart:
    title = block.title or "input_document"
    if block.data is None and block.path is None and block.url:
        return {"type": "file", "file": {"filename": title, "file_data": block.url}}
    filename = Path(str(block.path)).name if block.path else title
    return {"type": "file", "file": {"filename": filename, "file_data": block.inline_url()}}


def _audio_part(block: AudioBlock) -> WirePart:
    data = block.resolve_audio(as_base64=True).read().decode("utf-8")
    fmt = block.format or (Path(str(block.path or block.url or "")).suffix.lstrip(".") or "wav")
    return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}


def _video_part(block: VideoBlock) -> WirePart:
    if block.url is not None and block.video is None and block.path is None:
        url = str(block.url)
    else:
        url = block.inline_url()
    video_url: dict[str, Any] = {"url": url}
    if block.detail:
        video_url["detail"] = block.detail
    return {"type": "video_url", "video_url": video_url}


def _citable_parts(block: CitableBlock) -> list[WirePart]:
    header = {"type": "text", "text": f"Source: {block.title} ({block.source})"}
    return [header, *(_block_part(inner) for inner in block.content)]


def _block_part(block: Any) -> WirePart:
    """One non-text-only wire part (used for nested citable content too)."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ImageBlock):
        return _image_part(block)
    if isinstance(block, DocumentBlock):
        return _document_part(block)
    if isinstance(block, AudioBlock):
        return _audio_part(block)
    if isinstance(block, VideoBlock):
        return _video_part(block)
    raise ValueError(f"Unsupported content block type for NanoGPT: {type(block).__name__}")


def blocks_to_parts(blocks: Sequence[ContentBlock], role: str) -> list[WirePart]:
    """Content blocks → wire parts, with each ``CachePoint`` marking the part before it.

    ``ThinkingBlock`` and ``ToolCallBlock`` are not content parts (see :func:`message_to_wire`).
    """
    parts: list[WirePart] = []
    for block in blocks:
        if isinstance(block, CachePoint):
            if not parts:
                raise ValueError(
                    f"CachePoint must come after at least one content block (in a {role} message)"
                )
            parts[-1]["cache_control"] = cache_control_of(block)
        elif isinstance(block, (ThinkingBlock, ToolCallBlock)):
            continue
        elif isinstance(block, CitableBlock):
            parts.extend(_citable_parts(block))
        elif isinstance(block, CitationBlock):
            parts.append(_block_part(block.cited_content))
        else:
            parts.append(_block_part(block))
    return parts


def _tool_calls_to_wire(message: ChatMessage) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            args = block.tool_kwargs
            calls.append(
                {
                    "id": block.tool_call_id or f"call_{len(calls)}",
                    "type": "function",
                    "function": {
                        "name": block.tool_name,
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
            )
    if calls:
        return calls
    legacy = message.additional_kwargs.get("tool_calls") or []
    for call in legacy:
        data = call.model_dump() if hasattr(call, "model_dump") else dict(call)
        function = dict(data.get("function") or {})
        arguments = function.get("arguments")
        calls.append(
            {
                "id": data.get("id") or f"call_{len(calls)}",
                "type": "function",
                "function": {
                    "name": function.get("name") or "",
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments or {}),
                },
            }
        )
    return calls


def _reasoning_fields(message: ChatMessage) -> dict[str, Any]:
    """``reasoning`` / ``reasoning_details`` to send back for an assistant message."""
    thinking = [b for b in message.blocks if isinstance(b, ThinkingBlock)]
    out: dict[str, Any] = {}
    text = "".join(b.content or "" for b in thinking)
    if text:
        out["reasoning"] = text
    details: list[Any] = []
    for block in thinking:
        details.extend(block.additional_information.get("reasoning_details") or [])
    if details:
        out["reasoning_details"] = details
    return out


def as_chat_messages(messages: Any) -> list[ChatMessage]:
    """``messages`` as ``ChatMessage`` s: dicts (``{"role": ..., "content": ...}``) are validated the
    way LlamaIndex validates them elsewhere; anything else is a ``TypeError`` naming the argument."""
    if isinstance(messages, (str, bytes, ChatMessage)) or not isinstance(messages, Sequence):
        raise TypeError(
            "messages must be a list of ChatMessage (or dicts with role and content); "
            f"got {type(messages).__name__}"
        )
    out: list[ChatMessage] = []
    for position, message in enumerate(messages):
        if isinstance(message, ChatMessage):
            out.append(message)
        elif isinstance(message, dict):
            try:
                out.append(ChatMessage.model_validate(message))
            except ValueError as exc:
                raise ValueError(f"messages[{position}] is not a valid chat message: {exc}") from None
        else:
            raise TypeError(
                f"messages[{position}] must be a ChatMessage or a dict with role and content; "
                f"got {type(message).__name__}"
            )
    return out


def message_to_wire(message: ChatMessage) -> WireMessage:
    """One LlamaIndex message → one neutral message."""
    role = _ROLE_MAP.get(message.role, str(message.role.value))
    parts = blocks_to_parts(message.blocks, role)
    marker = message.additional_kwargs.get("cache_control")
    if marker:
        if not parts:
            raise ValueError(f"cache_control in additional_kwargs of an empty {role} message")
        parts[-1]["cache_control"] = cache_control_of(marker)
    wire: WireMessage = {"role": role, "content": parts}
    if role == "assistant":
        calls = _tool_calls_to_wire(message)
        if calls:
            wire["tool_calls"] = calls
        wire.update(_reasoning_fields(message))
        response_id = message.additional_kwargs.get("response_id")
        if isinstance(response_id, str) and response_id:
            wire["response_id"] = response_id
        return wire
    if role == "tool":
        call_id = message.additional_kwargs.get("tool_call_id")
        if call_id:
            wire["tool_call_id"] = call_id
    name = message.additional_kwargs.get("name")
    if isinstance(name, str) and name and role in ("user", "tool"):
        wire["name"] = name
    return wire


def messages_to_wire(messages: Sequence[ChatMessage]) -> list[WireMessage]:
    """A LlamaIndex conversation → neutral messages for the core's request builder."""
    return [message_to_wire(m) for m in messages]
