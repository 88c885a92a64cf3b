"""LangChain messages → the core's neutral messages (pure functions, no I/O).

Covers system / human / AI / tool / generic chat messages; string or block content in every format
LangChain users send (LangChain v1 standard blocks, legacy v0 blocks, OpenAI Chat Completions parts,
Anthropic-format blocks); ``cache_control`` kept wherever a user put it (on a block, in a block's
``extras``, or hoisted from ``ToolMessage`` content to the tool message); an AI message's reasoning
(text and structured details) and Responses API id carried along. How all of that is sent (string or
parts, which reasoning fields) is the core's decision (:mod:`nanogpt_integrations.core.messages`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

__all__ = ["convert_content", "convert_message", "convert_messages", "data_url"]

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "developer": "developer"}
#: Block types that only describe the assistant's own output and never go back as content.
_AI_SKIPPED = frozenset(
    {
        "tool_use",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "server_tool_call",
        "server_tool_result",
    }
)
_REASONING_TYPES = frozenset({"reasoning", "thinking", "redacted_thinking"})


def data_url(mime_type: str, data: str) -> str:
    """``data:<mime>;base64,<data>``."""
    return f"data:{mime_type};base64,{data}"


def _cache_control(block: Mapping[str, Any]) -> Any:
    """A block's cache marker: on the block itself, or in its ``extras`` / legacy ``metadata``."""
    if "cache_control" in block:
        return block["cache_control"]
    for holder in ("extras", "metadata"):
        extra = block.get(holder)
        if isinstance(extra, Mapping) and "cache_control" in extra:
            return extra["cache_control"]
    return None


def _with_cache(part: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    marker = _cache_control(source)
    if marker is not None:
        part["cache_control"] = marker
    return part


def _base64_of(block: Mapping[str, Any]) -> str | None:
    """Base64 payload of a v1 (``base64``) or v0 (``source_type="base64"``, ``data``) block."""
    if "base64" in block:
        return str(block["base64"])
    if block.get("source_type") == "base64" and "data" in block:
        return str(block["data"])
    return None


def _url_of(block: Mapping[str, Any]) -> str | None:
    url = block.get("url")
    return str(url) if url else None


def _anthropic_source(block: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(url, mime) of an Anthropic ``source`` object: base64 becomes a data URL."""
    source = block.get("source")
    if not isinstance(source, Mapping):
        return None, None
    kind = source.get("type")
    mime = source.get("media_type")
    if kind == "base64" and mime and "data" in source:
        return data_url(str(mime), str(source["data"])), str(mime)
    if kind == "url" and source.get("url"):
        return str(source["url"]), None
    if kind == "text" and "data" in source:
        return None, "text/plain"
    return None, None


def _image(block: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(block.get("source"), Mapping):
        url, _ = _anthropic_source(block)
    else:
        b64 = _base64_of(block)
        mime = block.get("mime_type") or "image/png"
        url = data_url(str(mime), b64) if b64 is not None else _url_of(block)
    if url is None:
        raise ValueError(
            f"image block needs a url or base64 data (file ids are not supported by NanoGPT): {_keys(block)}"
        )
    image_url: dict[str, Any] = {"url": url}
    detail = block.get("detail") or (block.get("extras") or {}).get("detail")
    if detail:
        image_url["detail"] = detail
    return _with_cache({"type": "image_url", "image_url": image_url}, block)


def _file(block: Mapping[str, Any]) -> dict[str, Any]:
    if block.get("type") == "document" or isinstance(block.get("source"), Mapping):
        url, mime = _anthropic_source(block)
        source = block.get("source") or {}
        if mime == "text/plain" and url is None:
            return _with_cache({"type": "text", "text": str(source.get("data", ""))}, block)
        name = block.get("title") or block.get("name")
    else:
        b64 = _base64_of(block)
        mime = str(block.get("mime_type") or "application/pdf")
        url = data_url(mime, b64) if b64 is not None else _url_of(block)
        extras = block.get("extras") or block.get("metadata") or {}
        name = block.get("filename") or (extras.get("filename") if isinstance(extras, Mapping) else None)
    if url is None:
        raise ValueError(
            f"file block needs base64 data or a url (file ids are not supported by NanoGPT): {_keys(block)}"
        )
    file: dict[str, Any] = {"file_data": url}
    file["filename"] = str(name) if name else _default_filename(mime)
    return _with_cache({"type": "file", "file": file}, block)


def _default_filename(mime: str | None) -> str:
    extension = (mime or "application/pdf").rsplit("/", 1)[-1].split("+", 1)[0] or "bin"
    return f"document.{extension}"


def _audio(block: Mapping[str, Any]) -> dict[str, Any]:
    b64 = _base64_of(block)
    if b64 is None:
        raise ValueError("audio blocks need base64 data (NanoGPT takes input_audio, not audio URLs)")
    mime = str(block.get("mime_type") or "audio/wav")
    fmt = mime.rsplit("/", 1)[-1]
    fmt = {"mpeg": "mp3", "x-wav": "wav", "wave": "wav"}.get(fmt, fmt)
    return _with_cache({"type": "input_audio", "input_audio": {"data": b64, "format": fmt}}, block)


def _video(block: Mapping[str, Any]) -> dict[str, Any]:
    b64 = _base64_of(block)
    url = data_url(str(block.get("mime_type") or "video/mp4"), b64) if b64 is not None else _url_of(block)
    if url is None:
        raise ValueError(f"video block needs a url or base64 data: {_keys(block)}")
    return _with_cache({"type": "video_url", "video_url": {"url": url}}, block)


def _keys(block: Mapping[str, Any]) -> str:
    return "{" + ", ".join(sorted(str(k) for k in block)) + "}"


def _text(block: Mapping[str, Any]) -> dict[str, Any]:
    return _with_cache({"type": "text", "text": str(block.get("text", ""))}, block)


def _passthrough(block: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI-format parts go out as they are (minus LangChain-only bookkeeping keys)."""
    part = {k: v for k, v in block.items() if k not in ("id", "index", "extras", "metadata")}
    return _with_cache(part, block)


def convert_block(block: str | Mapping[str, Any]) -> dict[str, Any] | None:
    """One input content block → one NanoGPT content part (None: nothing to send)."""
    if isinstance(block, str):
        return {"type": "text", "text": block}
    kind = block.get("type")
    if kind in ("text", "input_text"):
        return _text(block)
    if kind == "text-plain":
        return _with_cache({"type": "text", "text": str(block.get("text", ""))}, block)
    if kind == "image":
        return _image(block)
    if kind in ("file", "document") and "file" not in block:
        return _file(block)
    if kind == "audio":
        return _audio(block)
    if kind == "video":
        return _video(block)
    if kind in _REASONING_TYPES or kind in _AI_SKIPPED or (kind == "non_standard" and not block.get("value")):
        return None
    if kind == "non_standard":
        value = block.get("value")
        return dict(value) if isinstance(value, Mapping) else None
    return _passthrough(block)


def convert_content(content: str | Sequence[str | Mapping[str, Any]]) -> str | list[dict[str, Any]]:
    """Message content → a string or a list of NanoGPT content parts."""
    if isinstance(content, str):
        return content
    parts = [part for block in content if (part := convert_block(block)) is not None]
    return parts


def _tool_call_wire(call_id: str | None, name: str, args: Any) -> dict[str, Any]:
    arguments = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _ai_tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    """Tool calls from ``tool_calls``, then ``invalid_tool_calls``, then orphan ``tool_use`` blocks."""
    calls = [_tool_call_wire(tc.get("id"), tc["name"], tc.get("args", {})) for tc in message.tool_calls]
    calls += [
        _tool_call_wire(tc.get("id"), tc.get("name") or "", tc.get("args") or "")
        for tc in message.invalid_tool_calls
    ]
    known = {call["id"] for call in calls}
    if isinstance(message.content, list):
        for block in message.content:
            if (
                isinstance(block, Mapping)
                and block.get("type") == "tool_use"
                and block.get("id") not in known
            ):
                calls.append(
                    _tool_call_wire(block.get("id"), str(block.get("name", "")), block.get("input", {}))
                )
    return calls


def _reasoning_detail(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """A structured reasoning block from message content → a ``reasoning_details`` entry (Anthropic
    thinking with its signature, redacted thinking, or a detail NanoGPT sent that was kept in extras)."""
    kind = block.get("type")
    if kind == "thinking" and block.get("signature"):
        return {
            "type": "reasoning.text",
            "text": str(block.get("thinking", "")),
            "signature": block["signature"],
            "format": "anthropic-claude-v1",
        }
    if kind == "redacted_thinking":
        return {"type": "reasoning.encrypted", "data": block.get("data"), "format": "anthropic-claude-v1"}
    if kind == "reasoning":
        extras = block.get("extras")
        if isinstance(extras, Mapping) and isinstance(extras.get("reasoning_detail"), Mapping):
            return dict(extras["reasoning_detail"])
    return None


def _reasoning_text(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "thinking":
        return str(block.get("thinking") or "")
    if kind == "reasoning":
        return str(block.get("reasoning") or "")
    return ""


def _ai_reasoning(message: AIMessage) -> tuple[str, list[Any]]:
    """The reasoning text and structured details an AI message came with (none invented):
    ``additional_kwargs`` (where this package puts them), else reasoning content blocks."""
    kwargs = message.additional_kwargs
    blocks = (
        [b for b in message.content if isinstance(b, Mapping)] if isinstance(message.content, list) else []
    )
    text = kwargs.get("reasoning_content")
    if not isinstance(text, str) or not text:
        text = "".join(_reasoning_text(b) for b in blocks)
    stored = kwargs.get("reasoning_details")
    if isinstance(stored, list) and stored:
        details = list(stored)
    else:
        details = [d for b in blocks if (d := _reasoning_detail(b)) is not None]
    return text, details


def _ai_content(message: AIMessage) -> str | list[dict[str, Any]]:
    """Only what the assistant said goes back as content: tool calls and reasoning travel apart."""
    content = message.content
    if isinstance(content, str):
        return content
    return [
        part
        for block in content
        if (isinstance(block, str) or block.get("type") not in _AI_SKIPPED | _REASONING_TYPES)
        and (part := convert_block(block)) is not None
    ]


def _convert_ai(message: AIMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": "assistant", "content": _ai_content(message)}
    calls = _ai_tool_calls(message)
    if calls:
        wire["tool_calls"] = calls
    reasoning, details = _ai_reasoning(message)
    if reasoning:
        wire["reasoning"] = reasoning
    if details:
        wire["reasoning_details"] = details
    response_id = message.response_metadata.get("id")
    if isinstance(response_id, str) and response_id.startswith("resp_"):
        wire["response_id"] = response_id
    return wire


def _tool_result_content(message: ToolMessage) -> tuple[str | list[dict[str, Any]], Any]:
    """Tool-result content and the cache marker hoisted from its blocks (reference: #34920)."""
    content = message.content
    if isinstance(content, str):
        return content, None
    parts = convert_content(content)
    marker = None
    assert isinstance(parts, list)
    for part in parts:
        if "cache_control" in part:
            marker = part.pop("cache_control")
    return parts, marker


def _error_prefixed(content: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Tool-result content marked as an error in its text (the wire format has no error flag)."""
    if isinstance(content, str):
        return content if content.lower().startswith("error") else f"Error: {content}"
    if content and content[0].get("type") == "text":
        text = str(content[0].get("text", ""))
        if not text.lower().startswith("error"):
            return [{**content[0], "text": f"Error: {text}"}, *content[1:]]
        return content
    return [{"type": "text", "text": "Error:"}, *content]


def _convert_tool(message: ToolMessage) -> dict[str, Any]:
    content, marker = _tool_result_content(message)
    if message.status == "error":
        # OpenAI-format tool results have no error flag: say it in the text so the model knows.
        content = _error_prefixed(content)
    wire: dict[str, Any] = {"role": "tool", "tool_call_id": message.tool_call_id, "content": content}
    if marker is not None:
        wire["cache_control"] = marker
    return wire


def convert_message(message: BaseMessage) -> dict[str, Any]:
    """One LangChain message → one NanoGPT chat message."""
    if isinstance(message, AIMessage):
        wire = _convert_ai(message)
    elif isinstance(message, ToolMessage):
        wire = _convert_tool(message)
    elif isinstance(message, (HumanMessage, SystemMessage)):
        wire = {"role": _ROLES[message.type], "content": convert_content(message.content)}
    elif isinstance(message, ChatMessage):
        wire = {"role": _ROLES.get(message.role, message.role), "content": convert_content(message.content)}
    elif isinstance(message, FunctionMessage):
        wire = {"role": "function", "name": message.name, "content": convert_content(message.content)}
    else:
        raise TypeError(f"ChatNanoGPT cannot send a {type(message).__name__}")
    name = message.name or message.additional_kwargs.get("name")
    if name and not isinstance(message, (ToolMessage, FunctionMessage)):
        wire["name"] = name
    return wire


def convert_messages(messages: Iterable[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages → neutral messages for the core's request builder."""
    return [convert_message(m) for m in messages]
