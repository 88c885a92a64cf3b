"""Reading a chat request: message text, attachments, tool results, numbers, quoted strings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_TEXT_PARTS = frozenset({"text", "input_text"})
# api-reference/endpoint/chat-completion.mdx content part types, grouped by the attachment kind they carry.
_ATTACHMENT_KINDS: dict[str, str] = {
    "image_url": "image",
    "image": "image",
    "input_image": "image",
    "input_audio": "audio",
    "audio": "audio",
    "file": "file",
    "input_file": "file",
    "document": "file",
    "video_url": "video",
    "input_video": "video",
    "video": "video",
}
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_QUOTED = re.compile(r"\"([^\"\n]+)\"|(?<!\w)'([^'\n]+)'(?!\w)|“([^”\n]+)”|‘([^’\n]+)’|「([^」\n]+)」")
_CAPITALISED_RUN = re.compile(r"[A-Z][\w-]*(?:[ \t]+[A-Z][\w-]*)*")
_WORD = re.compile(r"[^\W\d_][\w'-]*")
# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for", "from", "give",
    "has", "have", "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "please", "should",
    "tell", "that", "the", "their", "then", "there", "this", "to", "use", "using", "was", "what", "when",
    "where", "which", "who", "why", "will", "with", "would", "you", "your", "tool", "tools", "call", "value",
})
# fmt: on


@dataclass(frozen=True)
class Segment:
    """A piece of prompt text with its cache marker, for token counting and the cache prefix."""

    text: str
    cache_control: dict[str, Any] | None
    message_index: int | None  # None for tool definitions


def content_text(content: Any) -> str:
    """The text of a message `content` (a string or a list of api-reference/endpoint/chat-completion.mdx parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    texts = [_part_text(part) for part in content]
    return "\n".join(text for text in texts if text)


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = part.get("type")
    if kind in _TEXT_PARTS or (kind is None and isinstance(part.get("text"), str)):
        return str(part.get("text") or "")
    if kind == "tool_result":
        return content_text(part.get("content"))
    if kind == "tool_use":
        return json.dumps(part.get("input") or {}, ensure_ascii=False)
    return ""


def attachment_counts(content: Any) -> dict[str, int]:
    """How many images, audio clips, files and videos a message content carries."""
    counts: dict[str, int] = {}
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict):
                kind = _ATTACHMENT_KINDS.get(str(part.get("type")))
                if kind is not None:
                    counts[kind] = counts.get(kind, 0) + 1
                elif part.get("type") == "tool_result":
                    for key, value in attachment_counts(part.get("content")).items():
                        counts[key] = counts.get(key, 0) + value
    return counts


def describe_attachments(counts: dict[str, int]) -> str:
    """E.g. `[1 image, 2 files]`, or "" when there is nothing."""
    plural = {"image": "images", "audio": "audio clips", "file": "files", "video": "videos"}
    words = [f"{n} {kind if n == 1 else plural[kind]}" for kind, n in counts.items() if n]
    return f"[{', '.join(words)}]" if words else ""


def messages_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's messages that are JSON objects."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [message for message in messages if isinstance(message, dict)]


def last_user_message(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last message with role `user`."""
    return next((message for message in reversed(messages) if message.get("role") == "user"), None)


def is_tool_result_message(message: dict[str, Any]) -> bool:
    """A `role: tool` message, or a user message made only of `tool_result` parts."""
    if message.get("role") == "tool":
        return True
    content = message.get("content")
    if message.get("role") == "user" and isinstance(content, list) and content:
        return all(isinstance(part, dict) and part.get("type") == "tool_result" for part in content)
    return False


def trailing_tool_results(messages: list[dict[str, Any]]) -> list[str]:
    """Texts of the tool results that end the conversation (empty when it does not end with one)."""
    results: list[str] = []
    for message in reversed(messages):
        if not is_tool_result_message(message):
            break
        text = content_text(message.get("content"))
        extra = describe_attachments(attachment_counts(message.get("content")))
        results.append(" ".join(piece for piece in (text, extra) if piece))
    return list(reversed(results))


def numbers_in(text: str) -> list[int | float]:
    """Numbers in reading order (ints unless written with a decimal point)."""
    out: list[int | float] = []
    for match in _NUMBER.finditer(text):
        token = match.group(0)
        out.append(float(token) if "." in token else int(token))
    return out


def quoted_in(text: str) -> list[str]:
    """Quoted strings in reading order ("...", '...', “...”, ‘...’, 「...」)."""
    return [next(group for group in match.groups() if group) for match in _QUOTED.finditer(text)]


def key_phrase(text: str) -> str | None:
    """A short phrase naming the subject: the first capitalised run not opening a sentence
    (e.g. "San Francisco"), else the last content word; None when the text has no words."""
    for match in _CAPITALISED_RUN.finditer(text):
        start = match.start()
        before = text[:start].rstrip()
        opens_sentence = not before or before[-1] in ".!?\n:"
        phrase = match.group(0)
        words = phrase.split()
        if opens_sentence:
            words = words[1:]
        if words and words[0].lower() not in _STOPWORDS:
            return " ".join(words)
    words = [word for word in _WORD.findall(text) if word.lower() not in _STOPWORDS and len(word) > 2]
    return words[-1] if words else None


def prompt_segments(body: dict[str, Any]) -> list[Segment]:
    """Tool definitions then message pieces, in the order a provider caches them (api-reference/miscellaneous/prompt-caching.mdx)."""
    segments: list[Segment] = []
    tools = body.get("tools")
    if isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict):
                marker = tool.get("cache_control")
                text = json.dumps(tool, sort_keys=True, ensure_ascii=False)
                segments.append(Segment(text, marker if isinstance(marker, dict) else None, None))
    for index, message in enumerate(messages_of(body)):
        segments.extend(_message_segments(index, message))
    return segments


def _message_segments(index: int, message: dict[str, Any]) -> list[Segment]:
    segments: list[Segment] = []
    content = message.get("content")
    if isinstance(content, list):
        for part in content:
            marker = part.get("cache_control") if isinstance(part, dict) else None
            segments.append(Segment(_part_text(part), marker if isinstance(marker, dict) else None, index))
    else:
        segments.append(Segment(content_text(content), None, index))
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict):
            function = call.get("function") or {}
            if isinstance(function, dict):
                text = f"{function.get('name', '')}{function.get('arguments', '')}"
                segments.append(Segment(text, None, index))
    marker = message.get("cache_control")
    if isinstance(marker, dict) and segments:
        last = segments[-1]
        segments[-1] = Segment(last.text, marker, index)
    return segments
