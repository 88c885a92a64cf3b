"""The one stream accumulator, and the framework-neutral assistant turn both frameworks translate.

:class:`StreamAccumulator` turns raw chunks into clean per-chunk :class:`StreamDelta` objects
(tool-call deltas with a resolved index; id and name sent once per call, so framework-side merging
never concatenates them) and, at the end, the merged :class:`AssistantTurn`. A non-streaming
response becomes the same :class:`AssistantTurn` through :func:`turn_from_completion`.

Rules both frameworks rely on: content given as a list of parts is read the same way streamed or
not (text parts to content, ``thinking`` parts to reasoning); a tool call without a function name,
or repeating an earlier call's id, is kept with an ``error`` (an invalid tool call), never passed
off as a call; usage falls back to ``x_nanogpt_pricing`` token counts when ``usage`` is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the wire models load with the client (first request), not with the adapters
    from .types import (
        ChatCompletion,
        ChatCompletionChunk,
        Completion,
        Pricing,
        TokenUsage,
        ToolCallDelta,
        Usage,
    )

__all__ = [
    "USAGE_FROM_PRICING",
    "AssistantTurn",
    "StreamAccumulator",
    "StreamDelta",
    "ToolCallFragment",
    "ToolCallResult",
    "reported_usage",
    "split_content",
    "turn_from_completion",
]

#: ``AssistantTurn.usage_source`` when the counts came from ``x_nanogpt_pricing``, not ``usage``.
USAGE_FROM_PRICING = "x_nanogpt_pricing"


@dataclass(slots=True)
class ToolCallFragment:
    """A piece of one tool call in a stream; ``id``/``name`` appear only on the first piece."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class ToolCallResult:
    """A complete tool call; ``arguments`` is the raw JSON text the model produced.

    ``error`` is set when the call cannot be run as sent (no function name, or the id of an
    earlier call): frameworks report it as an invalid tool call.
    """

    id: str
    name: str
    arguments: str
    index: int = 0
    error: str | None = None


@dataclass(slots=True)
class StreamDelta:
    """What one chunk added."""

    content: str = ""
    reasoning: str = ""
    reasoning_details: list[Any] = field(default_factory=list)
    tool_calls: list[ToolCallFragment] = field(default_factory=list)
    role: str | None = None
    finish_reason: str | None = None
    usage: TokenUsage | None = None
    pricing: Pricing | None = None
    annotations: list[Any] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the chunk carried nothing a caller would show (e.g. a keep-alive chunk)."""
        return not (
            self.content
            or self.reasoning
            or self.reasoning_details
            or self.tool_calls
            or self.finish_reason
            or self.usage
            or self.pricing
            or self.annotations
        )


@dataclass(slots=True)
class AssistantTurn:
    """One assistant reply, however it arrived."""

    content: str = ""
    reasoning: str = ""
    reasoning_details: list[Any] = field(default_factory=list)
    tool_calls: list[ToolCallResult] = field(default_factory=list)
    finish_reason: str | None = None
    id: str | None = None
    model: str | None = None
    created: int | None = None
    service_tier: str | None = None
    system_fingerprint: str | None = None
    usage: TokenUsage | None = None
    raw_usage: dict[str, Any] | None = None
    #: None when ``usage`` came from the ``usage`` object; :data:`USAGE_FROM_PRICING` when it
    #: came from ``x_nanogpt_pricing`` because ``usage`` was missing or all zero.
    usage_source: str | None = None
    pricing: Pricing | None = None
    request_id: str | None = None
    annotations: list[Any] = field(default_factory=list)
    refusal: str | None = None
    content_parts: list[Any] | None = None

    @property
    def cost(self) -> float | None:
        """The server-reported charge for this reply, if NanoGPT sent one."""
        return self.pricing.charged if self.pricing else None

    def set_usage(self, usage: Usage | None, pricing: Pricing | None = None) -> TokenUsage | None:
        """Record ``usage`` as sent (``raw_usage``) and the counts to report (``usage``, with
        ``usage_source``; see :func:`reported_usage`); returns the latter."""
        if usage is not None:
            self.raw_usage = usage.model_dump(exclude_none=True)
        self.usage, self.usage_source = reported_usage(usage, pricing)
        return self.usage


def reported_usage(usage: Usage | None, pricing: Pricing | None) -> tuple[TokenUsage | None, str | None]:
    """The token counts to report, and where they came from (None: the ``usage`` object).

    ``usage`` when it has a count that is not zero; otherwise the ``inputTokens`` / ``outputTokens``
    of ``x_nanogpt_pricing`` (NanoGPT backfills usage from them itself, "when provider usage is
    missing or zero": ``api-reference/miscellaneous/streaming-protocol.mdx``).
    """
    counts = usage.normalized() if usage is not None and usage.has_counts else None
    if (counts is None or not (counts.input_tokens or counts.output_tokens)) and pricing is not None:
        fallback = pricing.usage()
        if fallback is not None:
            return fallback, USAGE_FROM_PRICING
    return counts, None


def _parts_text(value: Any) -> str:
    """The text of a part's payload: a string, or a list of ``{"type": "text", "text": ...}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p["text"] for p in value if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def split_content(content: Any) -> tuple[str, str, list[Any]]:
    """Message or delta content → (text, thinking, other parts).

    A string is text. In a list of parts, ``text`` parts are text and ``thinking`` parts
    (Mistral: ``{"type": "thinking", "thinking": [{"type": "text", "text": ...}]}``, or a string)
    are reasoning; other parts (images, ...) are returned as they are.
    """
    if content is None:
        return "", "", []
    if isinstance(content, str):
        return content, "", []
    if not isinstance(content, list):
        return str(content), "", []
    text: list[str] = []
    thinking: list[str] = []
    other: list[Any] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            text.append(_parts_text(part.get("text")))
        elif kind == "thinking":
            thinking.append(_parts_text(part.get("thinking")))
        else:
            other.append(part)
    return "".join(text), "".join(thinking), other


def flag_invalid_calls(calls: list[ToolCallResult]) -> None:
    """Set ``error`` on calls that cannot be run as sent: no function name, or the id of an
    earlier call (tool results are matched by id, so a second call with it would be answered
    with the first one's result)."""
    seen: set[str] = set()
    for call in calls:
        if call.error is None:
            if not call.name:
                call.error = "the tool call has no function name"
            elif call.id in seen:
                call.error = f"duplicate tool call id {call.id!r} (already used by an earlier call)"
        seen.add(call.id)


def turn_from_completion(completion: ChatCompletion) -> AssistantTurn:
    """Normalise a non-streaming chat completion into an :class:`AssistantTurn`."""
    turn = AssistantTurn(
        id=completion.id,
        model=completion.model,
        created=completion.created,
        service_tier=completion.service_tier,
        system_fingerprint=completion.system_fingerprint,
        pricing=completion.x_nanogpt_pricing,
        request_id=completion.request_id,
    )
    turn.set_usage(completion.usage, completion.x_nanogpt_pricing)
    if completion.choices:
        choice = completion.choices[0]
        message = choice.message
        turn.finish_reason = choice.finish_reason
        turn.content, thinking, _ = split_content(message.content)
        turn.content_parts = message.content if isinstance(message.content, list) else None
        turn.reasoning = message.reasoning or message.reasoning_content or thinking
        turn.reasoning_details = list(message.reasoning_details or [])
        turn.refusal = message.refusal
        turn.annotations = list(message.annotations or [])
        for i, call in enumerate(message.tool_calls or []):
            turn.tool_calls.append(
                ToolCallResult(
                    id=call.id or f"call_{completion.id or 'nanogpt'}_{i}",
                    name=call.function.name or "",
                    arguments=call.function.arguments or "",
                    index=i,
                )
            )
        flag_invalid_calls(turn.tool_calls)
    return turn


class StreamAccumulator:
    """Merges chat-completion chunks; the only place in the package that does so."""

    def __init__(self, request_id: str | None = None) -> None:
        self.turn = AssistantTurn(request_id=request_id)
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._joined = (0, 0)  # lengths of _content/_reasoning already joined into turn
        self._calls: dict[int, ToolCallResult] = {}
        self._id_to_index: dict[str, int] = {}
        self._wire_to_index: dict[int, int] = {}  # the wire ``index`` -> the call now using it
        self._last_index: int | None = None
        self._nameless: set[int] = set()  # calls held back until their name arrives
        self._usage: Usage | None = None

    def _resolve_index(self, delta: ToolCallDelta) -> int | None:
        """Index of the call a delta belongs to, or None when it starts a new call.

        A known id names its call. A new id starts a new call, even at a wire ``index`` another
        id already uses (two calls sent at ``index: 0``), unless the call there has no id yet.
        Without an id: the call at the wire index, else the last call.
        """
        call_id, wire = delta.id, delta.index
        if call_id:
            known = self._id_to_index.get(call_id)
            if known is not None:
                return known
            current = self._wire_to_index.get(wire) if wire is not None else None
            if current is not None and not self._calls[current].id:
                return current  # the id of a call whose first fragments came without one
            return None
        if wire is not None:
            return self._wire_to_index.get(wire)
        return self._last_index

    def _merge_meta(self, chunk: ChatCompletionChunk | Completion) -> StreamDelta:
        """Id, model, usage and pricing: taken from whichever chunk carries them (the last wins)."""
        out = StreamDelta()
        turn = self.turn
        turn.id = turn.id or chunk.id
        turn.model = chunk.model or turn.model
        turn.created = turn.created or chunk.created
        pricing = chunk.x_nanogpt_pricing
        if chunk.usage is not None or pricing is not None:
            if pricing is not None:
                out.pricing = turn.pricing = pricing
            if chunk.usage is not None:
                self._usage = chunk.usage
            out.usage = turn.set_usage(self._usage, turn.pricing)
        return out

    def add(self, chunk: ChatCompletionChunk) -> StreamDelta:
        """Merge ``chunk`` and return what it added."""
        out = self._merge_meta(chunk)
        turn = self.turn
        turn.service_tier = chunk.service_tier or turn.service_tier
        turn.system_fingerprint = chunk.system_fingerprint or turn.system_fingerprint
        for choice in chunk.choices:
            if choice.index != 0:
                continue  # n > 1 is not used by this package
            delta = choice.delta
            out.role = delta.role
            content = delta.content
            thinking = ""
            if content and type(content) is not str:
                content, thinking, other = split_content(content)
                if other:
                    turn.content_parts = [*(turn.content_parts or []), *other]
            if content:
                out.content = content
                self._content.append(content)
            reasoning = delta.reasoning or delta.reasoning_content or thinking
            if reasoning:
                out.reasoning = reasoning
                self._reasoning.append(reasoning)
            if delta.reasoning_details:
                out.reasoning_details = list(delta.reasoning_details)
                _merge_reasoning_details(turn.reasoning_details, delta.reasoning_details)
            if delta.annotations:
                out.annotations = list(delta.annotations)
                turn.annotations.extend(delta.annotations)
            if delta.refusal:
                turn.refusal = (turn.refusal or "") + delta.refusal
            for tc in delta.tool_calls or []:
                fragment = self._merge_tool_call(tc)
                if fragment is not None:
                    out.tool_calls.append(fragment)
            if choice.finish_reason:
                out.finish_reason = choice.finish_reason
                turn.finish_reason = choice.finish_reason
        return out

    def add_completion(self, chunk: Completion) -> StreamDelta:
        """Merge a legacy ``/completions`` stream chunk (``choices[].text``) and return what it added."""
        out = self._merge_meta(chunk)
        turn = self.turn
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            if choice.text:
                out.content = choice.text
                self._content.append(choice.text)
            if choice.finish_reason:
                out.finish_reason = choice.finish_reason
                turn.finish_reason = choice.finish_reason
        return out

    def _merge_tool_call(self, tc: ToolCallDelta) -> ToolCallFragment | None:
        """Merge one tool-call delta; the fragment to show, or None while the call has no name
        (a nameless call is shown whole once its name arrives, else reported as invalid)."""
        function = tc.function
        name = function.name if function else None
        args = (function.arguments if function else None) or ""
        calls = self._calls
        index = self._resolve_index(tc)
        if index is None:
            wire = tc.index
            index = wire if wire is not None and wire not in calls else (max(calls) + 1 if calls else 0)
            call = calls[index] = ToolCallResult(id=tc.id or "", name=name or "", arguments=args, index=index)
            if wire is not None:
                self._wire_to_index[wire] = index
            if tc.id:
                self._id_to_index[tc.id] = index
            self._last_index = index
            if not name:
                self._nameless.add(index)
                return None
            return ToolCallFragment(index=index, id=call.id or None, name=name, arguments=args)
        self._last_index = index
        call = calls[index]
        call.arguments += args
        fragment = ToolCallFragment(index=index, arguments=args)
        if tc.id and not call.id:
            call.id = fragment.id = tc.id
            self._id_to_index[tc.id] = index
        if name and not call.name:
            call.name = fragment.name = name
        if index in self._nameless:
            if not call.name:
                return None
            # The name arrived: show the call from its start.
            self._nameless.discard(index)
            return ToolCallFragment(index=index, id=call.id or None, name=call.name, arguments=call.arguments)
        return fragment

    def snapshot(self) -> AssistantTurn:
        """The merged turn so far, without side effects; cheap to call after every chunk.

        Text is joined only when new pieces arrived; tool calls are copies, so a call whose id
        has not arrived yet keeps an empty id here (see :meth:`result`).
        """
        turn = self.turn
        content, reasoning = self._content, self._reasoning
        if self._joined != (len(content), len(reasoning)):
            turn.content = "".join(content)
            turn.reasoning = "".join(reasoning)
            # Keep one piece per text so the next join copies the text once, not every fragment.
            content[:] = [turn.content] if turn.content else []
            reasoning[:] = [turn.reasoning] if turn.reasoning else []
            self._joined = (len(content), len(reasoning))
        calls = self._calls
        turn.tool_calls = (
            [
                ToolCallResult(id=c.id, name=c.name, arguments=c.arguments, index=c.index, error=c.error)
                for _, c in sorted(calls.items())
            ]
            if calls
            else []
        )
        return turn

    def result(self) -> AssistantTurn:
        """The final turn: like :meth:`snapshot`; calls that never received an id get a unique
        fallback id (some OpenAI-compatible upstreams omit them), and calls that cannot be run
        (no name, a repeated id) carry an ``error``."""
        turn = self.snapshot()
        for position, call in enumerate(turn.tool_calls):
            if not call.id:
                call.id = f"call_{turn.id or 'stream'}_{position}"
        flag_invalid_calls(turn.tool_calls)
        return turn


_DETAIL_TEXT_KEYS = ("text", "summary", "data", "signature")


def _merge_reasoning_details(merged: list[Any], fragments: list[Any]) -> None:
    """Merge streamed ``reasoning_details`` fragments in place.

    Fragments that share an ``index`` and ``type`` with the last merged entry of that index are
    one detail split over chunks (OpenRouter-style): their text fields are concatenated, other
    keys updated. Anything else is appended as is, so nothing is dropped.
    """
    for fragment in fragments:
        if not isinstance(fragment, dict) or fragment.get("index") is None:
            merged.append(fragment)
            continue
        target = next(
            (
                d
                for d in reversed(merged)
                if isinstance(d, dict)
                and d.get("index") == fragment["index"]
                and d.get("type") == fragment.get("type")
            ),
            None,
        )
        if target is None:
            merged.append(dict(fragment))
            continue
        for key, value in fragment.items():
            if key in _DETAIL_TEXT_KEYS and isinstance(value, str) and isinstance(target.get(key), str):
                target[key] += value
            elif value is not None:
                target[key] = value


def usage_from_dict(raw: dict[str, Any] | None) -> TokenUsage | None:
    """Normalise a raw ``usage`` dict (helper for callers holding plain JSON)."""
    from .types import Usage

    return Usage.model_validate(raw).normalized() if raw else None
