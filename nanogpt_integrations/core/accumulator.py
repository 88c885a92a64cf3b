"""The one stream accumulator, and the framework-neutral assistant turn both frameworks translate.

:class:`StreamAccumulator` turns raw chunks into clean per-chunk :class:`StreamDelta` objects
(tool-call deltas with a resolved index; id and name sent once per call, so framework-side merging
never concatenates them) and, at the end, the merged :class:`AssistantTurn`. A non-streaming
response becomes the same :class:`AssistantTurn` through :func:`turn_from_completion`.
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
    "AssistantTurn",
    "StreamAccumulator",
    "StreamDelta",
    "ToolCallFragment",
    "ToolCallResult",
    "turn_from_completion",
]


@dataclass(slots=True)
class ToolCallFragment:
    """A piece of one tool call in a stream; ``id``/``name`` appear only on the first piece."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class ToolCallResult:
    """A complete tool call; ``arguments`` is the raw JSON text the model produced."""

    id: str
    name: str
    arguments: str
    index: int = 0


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
    pricing: Pricing | None = None
    request_id: str | None = None
    annotations: list[Any] = field(default_factory=list)
    refusal: str | None = None
    content_parts: list[Any] | None = None

    @property
    def cost(self) -> float | None:
        """The server-reported charge for this reply, if NanoGPT sent one."""
        return self.pricing.charged if self.pricing else None

    def set_usage(self, usage: Usage) -> TokenUsage:
        """Record ``usage`` as sent (``raw_usage``) and normalised (``usage``); returns the latter."""
        self.usage = usage.normalized()
        self.raw_usage = usage.model_dump(exclude_none=True)
        return self.usage


def _content_text(content: Any) -> tuple[str, list[Any] | None]:
    """Flatten message content (string or list of parts) to text, keeping non-text parts aside."""
    if content is None:
        return "", None
    if isinstance(content, str):
        return content, None
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(texts), content
    return str(content), None


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
    if completion.usage is not None:
        turn.set_usage(completion.usage)
    if completion.choices:
        choice = completion.choices[0]
        message = choice.message
        turn.finish_reason = choice.finish_reason
        turn.content, turn.content_parts = _content_text(message.content)
        turn.reasoning = message.reasoning or message.reasoning_content or ""
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
        self._last_index: int | None = None

    def _resolve_index(self, delta: ToolCallDelta) -> int:
        """Index of the call a delta belongs to, tolerating missing or repeated indices and ids."""
        if delta.id and delta.id in self._id_to_index:
            return self._id_to_index[delta.id]
        if delta.index is not None:
            return delta.index
        if delta.id or self._last_index is None:
            # A new id (or the very first fragment) without an index starts a new call.
            return len(self._calls) if not self._calls else max(self._calls) + 1
        return self._last_index

    def _merge_meta(self, chunk: ChatCompletionChunk | Completion) -> StreamDelta:
        """Id, model, usage and pricing: taken from whichever chunk carries them (the last wins)."""
        out = StreamDelta()
        turn = self.turn
        turn.id = turn.id or chunk.id
        turn.model = chunk.model or turn.model
        turn.created = turn.created or chunk.created
        if chunk.usage is not None:
            out.usage = turn.set_usage(chunk.usage)
        if chunk.x_nanogpt_pricing is not None:
            out.pricing = chunk.x_nanogpt_pricing
            turn.pricing = out.pricing
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
            if delta.content:
                out.content = delta.content
                self._content.append(delta.content)
            reasoning = delta.reasoning or delta.reasoning_content
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
                out.tool_calls.append(self._merge_tool_call(tc))
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

    def _merge_tool_call(self, tc: ToolCallDelta) -> ToolCallFragment:
        index = self._resolve_index(tc)
        self._last_index = index
        name = tc.function.name if tc.function else None
        args = (tc.function.arguments if tc.function else None) or ""
        call = self._calls.get(index)
        fragment = ToolCallFragment(index=index, arguments=args)
        if call is None:
            call = ToolCallResult(id=tc.id or "", name=name or "", arguments="", index=index)
            self._calls[index] = call
            fragment.id = call.id or None
            fragment.name = call.name or None
        else:
            if tc.id and not call.id:
                call.id = tc.id
                fragment.id = tc.id
            if name and not call.name:
                call.name = name
                fragment.name = name
        if tc.id:
            self._id_to_index[tc.id] = index
        call.arguments += args
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
                ToolCallResult(id=c.id, name=c.name, arguments=c.arguments, index=c.index)
                for _, c in sorted(calls.items())
            ]
            if calls
            else []
        )
        return turn

    def result(self) -> AssistantTurn:
        """The final turn: like :meth:`snapshot`, and calls that never received an id get a
        unique fallback id (some OpenAI-compatible upstreams omit them)."""
        turn = self.snapshot()
        for position, call in enumerate(turn.tool_calls):
            if not call.id:
                call.id = f"call_{turn.id or 'stream'}_{position}"
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
