"""Neutral chat messages → NanoGPT wire messages: the rules both frameworks share.

Each adapter translates its framework's messages into *neutral messages*: plain dicts shaped like
NanoGPT chat messages, with content parts already in wire form, plus three keys that are not sent
as they are::

    {"role": "system" | "developer" | "user" | "assistant" | "tool" | "function",
     "content": str | [part, ...] | None,      # parts: text, image_url, file, input_audio, video_url
     "name": str,                              # optional
     "tool_calls": [{"id", "type": "function", "function": {"name", "arguments"}}],  # assistant
     "tool_call_id": str,                      # tool
     "cache_control": {...},                   # optional, on the message itself
     "reasoning": str,                         # assistant: the reasoning text it came with
     "reasoning_details": [...],               # assistant: structured reasoning, as received
     "response_id": "resp_..."}                # assistant: the Responses API id it came from

:func:`wire_messages` decides, for both frameworks alike:

- **multi-part text**: content made of a single unmarked text part is sent as a plain string (the
  most widely accepted form); several parts are sent as a list of parts, unchanged, so no boundary
  between parts is lost or invented (a joined string would need a separator the user never wrote);
- **reasoning replay**: an assistant message's ``reasoning`` text and ``reasoning_details`` go back
  under those names, the names NanoGPT uses in its replies
  (api-reference/endpoint/chat-completion.mdx), only when the message carried them (nothing is
  synthesised), and not at all when replay is off. The docs do not say how upstreams use replayed
  reasoning; providers that need it (thinking models calling tools) read one of the two;
- ``response_id`` is never sent; :func:`previous_response` uses it to thread Responses API calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["NEUTRAL_ONLY", "content_to_wire", "previous_response", "wire_messages"]

#: Keys of a neutral message that never go on the wire as they are.
NEUTRAL_ONLY = frozenset({"reasoning", "reasoning_details", "response_id"})
_REPLAY_KEYS = ("reasoning", "reasoning_details")


def content_to_wire(content: Any, *, empty: Any = "") -> Any:
    """A neutral message's content in the form sent (see the module docstring)."""
    if content is None or isinstance(content, str):
        return content if content else empty
    parts = list(content)
    if not parts:
        return empty
    if len(parts) == 1:
        part = parts[0]
        if isinstance(part, Mapping) and part.get("type") == "text" and "cache_control" not in part:
            return str(part.get("text") or "")
    return parts


def _message(message: Mapping[str, Any], replay_reasoning: bool) -> dict[str, Any]:
    role = message.get("role")
    if not isinstance(role, str) or not role:
        raise ValueError(f"every message needs a role; got {dict(message)!r}")
    out: dict[str, Any] = {}
    for key, value in message.items():
        if key not in NEUTRAL_ONLY:
            out[key] = value
    if role == "assistant":
        calls = message.get("tool_calls")
        if not calls:
            out.pop("tool_calls", None)
        out["content"] = content_to_wire(message.get("content"), empty=None if calls else "")
        if replay_reasoning:
            for key in _REPLAY_KEYS:
                value = message.get(key)
                if value:
                    out[key] = value
    else:
        out["content"] = content_to_wire(message.get("content"))
    return out


def wire_messages(
    messages: Sequence[Mapping[str, Any]], *, replay_reasoning: bool = True
) -> list[dict[str, Any]]:
    """Neutral messages → the ``messages`` array of a chat request (new dicts; inputs untouched)."""
    return [_message(m, replay_reasoning) for m in messages]


def previous_response(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[str | None, list[Mapping[str, Any]]]:
    """The id of the last assistant message that came from the Responses API and the messages
    after it; ``(None, all messages)`` when there is none (the first turn of a thread)."""
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        response_id = message.get("response_id")
        if (
            message.get("role") == "assistant"
            and isinstance(response_id, str)
            and response_id.startswith("resp_")
        ):
            return response_id, list(messages[position + 1 :])
    return None, list(messages)
