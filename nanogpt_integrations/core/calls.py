"""Running a finished request on its route: the one place that knows what each route needs.

A :class:`~.request.WireRequest` says its route; :func:`complete` / :func:`acomplete` send it and
return a :class:`Reply` (the neutral :class:`~.accumulator.AssistantTurn`, the wire object and, for
TEE-verified calls, the verification); :class:`ReplyStream` / :class:`AsyncReplyStream` send it on
first iteration and yield the wire items (chat chunks or Responses events) while their
``accumulator`` merges them. Adapters only translate turns and deltas into framework objects.

- ``chat``: ``POST /chat/completions``;
- ``responses``: ``POST /responses`` (api-reference/endpoint/responses.mdx); a ``background``
  response is polled until it finishes; ``failed``/``cancelled`` raise;
- ``tee``: chat completions with the exact bytes captured, then checked against the attestation
  and signature (api-reference/tee-verification.mdx); the check runs once the reply is complete;
- ``completions``: the legacy ``POST /completions``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .accumulator import AssistantTurn, StreamAccumulator, turn_from_completion
from .errors import NanoGPTError
from .model_ids import base_model
from .request import WireRequest

if TYPE_CHECKING:
    from .async_client import AsyncNanoGPTClient
    from .client import NanoGPTClient
    from .responses import ResponseObject, ResponsesAccumulator
    from .tee import RawExchange, TEEVerification
    from .types import Completion

__all__ = ["AsyncReplyStream", "Reply", "ReplyStream", "acomplete", "complete", "turn_from_text"]


@dataclass
class Reply:
    """One finished reply: the neutral turn, the parsed wire object, and a TEE verification."""

    turn: AssistantTurn
    raw: Any
    verification: TEEVerification | None = None


def turn_from_text(completion: Completion) -> AssistantTurn:
    """A legacy ``/completions`` reply as an :class:`AssistantTurn`."""
    choice = completion.choices[0] if completion.choices else None
    turn = AssistantTurn(
        id=completion.id,
        model=completion.model,
        content=(choice.text or "") if choice else "",
        finish_reason=choice.finish_reason if choice else None,
        pricing=completion.x_nanogpt_pricing,
        request_id=completion.request_id,
    )
    turn.set_usage(completion.usage, completion.x_nanogpt_pricing)
    return turn


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return bool(isinstance(options, dict) and options.get("include_usage"))


def _finished(response: ResponseObject) -> AssistantTurn:
    from .responses import turn_from_response

    if response.status in ("failed", "cancelled"):
        detail = response.error if response.error is not None else "no error details"
        raise NanoGPTError(
            f"response {response.id} {response.status}: {detail}", request_id=response.request_id
        )
    return turn_from_response(response)


def _pending(response: ResponseObject) -> bool:
    return bool(response.background) and not response.done and bool(response.id)


def _tee_model(request: WireRequest) -> str:
    # Attestation and signature are fetched for the model without suffixes (":online" etc.).
    return base_model(request.model)


def _new_exchange() -> RawExchange:
    from .tee import RawExchange

    return RawExchange()


def complete(client: NanoGPTClient, request: WireRequest) -> Reply:
    """Send a non-streaming ``request`` on its route and return the finished reply."""
    body, headers = request.body, request.headers
    if request.route == "responses":
        response = client.responses_create(body, headers=headers)
        if _pending(response):
            response = client.responses_wait(str(response.id), headers=headers)
        return Reply(_finished(response), response)
    if request.route == "completions":
        completion = client.completions(body, headers=headers)
        return Reply(turn_from_text(completion), completion)
    if request.route == "tee":
        exchange = _new_exchange()
        chat = client.chat(body, headers=headers, capture=exchange)
        verification = client.tee_verify(exchange, model=_tee_model(request), completion_id=chat.id or "")
        return Reply(turn_from_completion(chat), chat, verification)
    chat = client.chat(body, headers=headers)
    return Reply(turn_from_completion(chat), chat)


async def acomplete(client: AsyncNanoGPTClient, request: WireRequest) -> Reply:
    """Async :func:`complete`."""
    body, headers = request.body, request.headers
    if request.route == "responses":
        response = await client.responses_create(body, headers=headers)
        if _pending(response):
            response = await client.responses_wait(str(response.id), headers=headers)
        return Reply(_finished(response), response)
    if request.route == "completions":
        completion = await client.completions(body, headers=headers)
        return Reply(turn_from_text(completion), completion)
    if request.route == "tee":
        exchange = _new_exchange()
        chat = await client.chat(body, headers=headers, capture=exchange)
        verification = await client.tee_verify(
            exchange, model=_tee_model(request), completion_id=chat.id or ""
        )
        return Reply(turn_from_completion(chat), chat, verification)
    chat = await client.chat(body, headers=headers)
    return Reply(turn_from_completion(chat), chat)


def _check_streamable(request: WireRequest) -> None:
    if request.route == "responses" and request.body.get("background"):
        raise ValueError("background=True cannot be streamed: use invoke/chat, which polls until it finishes")


class _StreamBase:
    """What both stream classes share: the accumulator for the route, and the result."""

    def __init__(self, request: WireRequest) -> None:
        _check_streamable(request)
        self.request = request
        self.accumulator: StreamAccumulator | ResponsesAccumulator
        if request.route == "responses":
            from .responses import ResponsesAccumulator

            self.accumulator = ResponsesAccumulator()
        else:
            self.accumulator = StreamAccumulator()
        self.exchange: RawExchange | None = _new_exchange() if request.route == "tee" else None
        self.verification: TEEVerification | None = None
        self.request_id: str | None = None

    @property
    def turn(self) -> AssistantTurn:
        """The turn merged so far (its id is known once the first item arrived)."""
        return self.accumulator.turn

    def _opened(self, request_id: str | None) -> None:
        self.request_id = request_id
        self.accumulator.turn.request_id = request_id

    def add(self, item: Any) -> Any:
        """Merge one wire item into the accumulator; returns its :class:`StreamDelta`."""
        if self.request.route == "completions":
            return self.accumulator.add_completion(item)  # type: ignore[union-attr]
        return self.accumulator.add(item)

    def result(self) -> AssistantTurn:
        return self.accumulator.result()


class ReplyStream(_StreamBase):
    """A streamed reply, sent on first iteration (a stream that is never iterated holds nothing).

    Iterating yields the parsed wire items; :meth:`add` merges them (the caller decides when, so it
    can translate each delta); :meth:`result` is the final turn; ``verification`` is set after the
    last item for TEE-verified streams.
    """

    def __init__(self, client: NanoGPTClient, request: WireRequest) -> None:
        super().__init__(request)
        self._client = client

    def __iter__(self) -> Iterator[Any]:
        client, request = self._client, self.request
        body, headers = request.body, request.headers
        if request.route == "responses":
            events = client.responses_stream(body, headers=headers)
            self._opened(events.request_id)
            with events:
                yield from events
            return
        if request.route == "completions":
            text = client.stream_completions(body, headers=headers, include_usage=_include_usage(body))
            self._opened(text.request_id)
            with text:
                yield from text
            return
        stream = client.stream_chat(
            body, headers=headers, include_usage=_include_usage(body), capture=self.exchange
        )
        self._opened(stream.request_id)
        with stream:
            yield from stream
        if self.exchange is not None:
            self.verification = client.tee_verify(
                self.exchange, model=_tee_model(request), completion_id=self.accumulator.turn.id or ""
            )


class AsyncReplyStream(_StreamBase):
    """Async :class:`ReplyStream`."""

    def __init__(self, client: AsyncNanoGPTClient, request: WireRequest) -> None:
        super().__init__(request)
        self._client = client

    async def __aiter__(self) -> AsyncIterator[Any]:
        client, request = self._client, self.request
        body, headers = request.body, request.headers
        if request.route == "responses":
            events = await client.responses_stream(body, headers=headers)
            self._opened(events.request_id)
            async with events:
                async for event in events:
                    yield event
            return
        if request.route == "completions":
            text = await client.stream_completions(body, headers=headers, include_usage=_include_usage(body))
            self._opened(text.request_id)
            async with text:
                async for piece in text:
                    yield piece
            return
        stream = await client.stream_chat(
            body, headers=headers, include_usage=_include_usage(body), capture=self.exchange
        )
        self._opened(stream.request_id)
        async with stream:
            async for chunk in stream:
                yield chunk
        if self.exchange is not None:
            self.verification = await client.tee_verify(
                self.exchange, model=_tee_model(request), completion_id=self.accumulator.turn.id or ""
            )
