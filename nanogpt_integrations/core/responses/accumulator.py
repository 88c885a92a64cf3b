"""Responses API replies → the neutral :class:`~nanogpt_integrations.core.accumulator.AssistantTurn`
(whole responses and stream events), the same type chat replies become."""

from __future__ import annotations

from typing import Any

from ..accumulator import AssistantTurn, StreamDelta, ToolCallFragment, ToolCallResult
from .models import TERMINAL_EVENTS, OutputItem, ResponseObject, ResponseStreamEvent
from .streams import raise_for_event


def _finish_reason(status: str | None, incomplete: dict[str, Any] | None, has_calls: bool) -> str | None:
    if status == "incomplete":
        reason = (incomplete or {}).get("reason")
        return "length" if reason in (None, "max_output_tokens") else str(reason)
    if status == "completed":
        return "tool_calls" if has_calls else "stop"
    return status


def turn_from_response(response: ResponseObject) -> AssistantTurn:
    """A complete :class:`ResponseObject` → :class:`AssistantTurn` (the type chat replies become)."""
    turn = AssistantTurn(
        id=response.id,
        model=response.model,
        created=response.created_at,
        pricing=response.pricing,
        request_id=response.request_id,
    )
    turn.set_usage(response.usage, response.pricing)  # counts from pricing when usage is absent
    reasoning: list[str] = []
    for item in response.output:
        if item.type == "reasoning":
            reasoning.append(item.text())
        elif item.type == "function_call":
            turn.tool_calls.append(
                ToolCallResult(
                    id=item.call_id or item.id or f"call_{response.id or 'response'}_{len(turn.tool_calls)}",
                    name=item.name or "",
                    arguments=item.arguments or "",
                    index=len(turn.tool_calls),
                )
            )
        elif item.type == "message":
            for part in item.content or []:
                if part.annotations:
                    turn.annotations.extend(part.annotations)
                if part.type == "refusal" and part.refusal:
                    turn.refusal = (turn.refusal or "") + part.refusal
    turn.content = response.output_text
    turn.reasoning = "".join(reasoning)
    turn.finish_reason = _finish_reason(response.status, response.incomplete_details, bool(turn.tool_calls))
    return turn


class ResponsesAccumulator:
    """Merges Responses stream events into :class:`StreamDelta` s and one :class:`AssistantTurn`.

    Text comes from ``response.output_text.delta``; reasoning from ``response.reasoning.delta``
    (also ``response.reasoning_text.delta``, and ``response.reasoning_summary_text.delta`` when no
    raw reasoning is streamed: the summary is used only as a fallback); tool calls from
    ``output_item.added`` (id and name) plus ``function_call_arguments.delta``. The terminal
    event's ``response`` supplies usage, pricing and status, and fills anything not streamed.
    """

    def __init__(self, request_id: str | None = None) -> None:
        self.turn = AssistantTurn(request_id=request_id)
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._summary: list[str] = []
        self._calls: dict[str, ToolCallResult] = {}  # by item id (or output index)
        self._final: ResponseObject | None = None

    @staticmethod
    def _key(event: ResponseStreamEvent) -> str:
        if event.item is not None and event.item.id:
            return event.item.id
        if event.item_id:
            return event.item_id
        return f"#{event.output_index or 0}"

    def _call(self, event: ResponseStreamEvent) -> tuple[ToolCallResult, bool]:
        key = self._key(event)
        call = self._calls.get(key)
        if call is None and event.output_index is not None:
            call = self._calls.get(f"#{event.output_index}")
        if call is not None:
            return call, False
        call = ToolCallResult(id="", name="", arguments="", index=len(self._calls))
        self._calls[key] = call
        return call, True

    def _apply_response(self, response: ResponseObject, out: StreamDelta) -> None:
        turn = self.turn
        turn.id = turn.id or response.id
        turn.model = response.model or turn.model
        turn.created = turn.created or response.created_at
        pricing = response.pricing
        if response.usage is not None or pricing is not None:
            out.usage = turn.set_usage(response.usage, pricing or turn.pricing)
        if pricing is not None:
            out.pricing = pricing
            turn.pricing = pricing

    def add(self, event: ResponseStreamEvent) -> StreamDelta:
        """Merge one event and return what it added (raises on ``failed``/``error`` events)."""
        raise_for_event(event, self.turn.request_id)
        out = StreamDelta()
        kind = event.type
        delta = event.delta if isinstance(event.delta, str) else ""
        if event.response is not None:
            self._apply_response(event.response, out)
        if event.x_nanogpt_pricing is not None:
            out.pricing = event.x_nanogpt_pricing
            self.turn.pricing = out.pricing
        if kind == "response.output_text.delta" and delta:
            out.content = delta
            self._content.append(delta)
        elif kind in ("response.reasoning.delta", "response.reasoning_text.delta") and delta:
            out.reasoning = delta
            self._reasoning.append(delta)
        elif kind == "response.reasoning_summary_text.delta" and delta:
            self._summary.append(delta)
            if not self._reasoning:
                out.reasoning = delta
        elif kind in ("response.output_item.added", "response.output_item.done"):
            item = event.item
            if item is not None and item.type == "function_call":
                out.tool_calls.extend(self._call_item(event, item, kind.endswith("done")))
        elif kind == "response.function_call_arguments.delta" and delta:
            call, _ = self._call(event)
            call.arguments += delta
            out.tool_calls.append(ToolCallFragment(index=call.index, arguments=delta))
        elif kind == "response.function_call_arguments.done" and event.arguments:
            call, _ = self._call(event)
            if not call.arguments:
                call.arguments = event.arguments
                out.tool_calls.append(ToolCallFragment(index=call.index, arguments=event.arguments))
        elif kind in TERMINAL_EVENTS and event.response is not None:
            self._final = event.response
            out.finish_reason = _finish_reason(
                event.response.status, event.response.incomplete_details, bool(self._calls)
            )
            self.turn.finish_reason = out.finish_reason
        return out

    def _call_item(self, event: ResponseStreamEvent, item: OutputItem, done: bool) -> list[ToolCallFragment]:
        call, new = self._call(event)
        fragment = ToolCallFragment(index=call.index)
        if item.call_id and not call.id:
            call.id = fragment.id = item.call_id
        if item.name and not call.name:
            call.name = fragment.name = item.name
        if done and item.arguments and not call.arguments:
            call.arguments = fragment.arguments = item.arguments
        if new or fragment.id or fragment.name or fragment.arguments:
            return [fragment]
        return []

    def snapshot(self) -> AssistantTurn:
        """The merged turn so far."""
        turn = self.turn
        turn.content = "".join(self._content)
        turn.reasoning = "".join(self._reasoning) or "".join(self._summary)
        turn.tool_calls = [
            ToolCallResult(id=c.id, name=c.name, arguments=c.arguments, index=c.index)
            for c in sorted(self._calls.values(), key=lambda c: c.index)
        ]
        return turn

    def result(self) -> AssistantTurn:
        """The final turn; what the stream did not carry is taken from the terminal response."""
        turn = self.snapshot()
        final = self._final
        if final is not None:
            whole = turn_from_response(final)
            if not turn.content:
                turn.content = whole.content
            if not turn.reasoning:
                turn.reasoning = whole.reasoning
            if not turn.tool_calls:
                turn.tool_calls = whole.tool_calls
            turn.annotations = turn.annotations or whole.annotations
            turn.refusal = turn.refusal or whole.refusal
        for position, call in enumerate(turn.tool_calls):
            if not call.id:
                call.id = f"call_{turn.id or 'stream'}_{position}"
        return turn


# -- chat-completions body → Responses body (pure) ------------------------------------------------
