"""ChatNanoGPT on the Responses API (``POST /responses``, reference §8), and the per-call switches.

The chat request is built exactly as for chat completions (same options, tools, structured
output, headers) and mapped onto a ``/responses`` body by the core
(:func:`~nanogpt_integrations.core.responses.responses_body_from_chat`). Replies become the core
:class:`~nanogpt_integrations.core.AssistantTurn` and then the same LangChain messages as chat
(``_responses``): reasoning in ``additional_kwargs["reasoning_content"]``, usage in
``usage_metadata``, cost in ``response_metadata``, and the ``resp_...`` id as
``response_metadata["id"]``.

``use_previous_response_id``: only the messages after the last ``AIMessage`` whose
``response_metadata["id"]`` starts with ``resp_`` are sent, with ``previous_response_id`` set to
that id and ``store: true`` (the server threads the conversation). With no such message the whole
conversation is sent (the first turn), still with ``store: true`` so the next turn can thread.

``background=True`` (a per-call kwarg, like any body field): ``invoke`` posts the queued response
and polls ``GET /responses/{id}`` until it finishes; streaming with it is refused before any request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from ..core import NanoGPTError, ResponseObject, ResponsesAccumulator, turn_from_response
from ..core.responses import ResponsesRequest, responses_body_from_chat
from ..core.tee import require_tee_model
from ._chunks import agenerate_chunks, generate_chunks, last_chunk
from ._payload import Request
from ._responses import chat_result

if TYPE_CHECKING:
    from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun

    from ..core import AsyncNanoGPTClient, NanoGPTClient

__all__ = [
    "MODE_KWARGS",
    "CallMode",
    "ChatHost",
    "agenerate",
    "astream",
    "call_mode",
    "check_modes",
    "generate",
    "previous_response",
    "responses_request",
    "stream",
]

#: Per-call kwargs that choose the route of a call; never sent on the wire.
MODE_KWARGS = ("use_responses_api", "use_previous_response_id", "verify_tee", "tee_raise_on_failure")
_NO_STORE = "store=False or retention_days=0"


@dataclass(frozen=True)
class CallMode:
    """Which endpoint one call uses, whether it threads by response id, and TEE verification."""

    responses: bool = False
    previous_response_id: bool = False
    verify_tee: bool = False
    raise_on_failure: bool = False


def check_modes(mode: CallMode, model: str) -> None:
    """``ValueError`` for combinations that cannot work (before any request is sent)."""
    if mode.previous_response_id and not mode.responses:
        raise ValueError(
            "use_previous_response_id=True needs the Responses API: also pass use_responses_api=True"
        )
    if mode.verify_tee:
        require_tee_model(model)
        if mode.responses:
            raise ValueError(
                "verify_tee applies to chat completions (TEE signatures cover the chat request and "
                "response bytes; the Responses API does not serve TEE signatures): turn off "
                "use_responses_api for TEE-verified calls"
            )


def call_mode(kwargs: dict[str, Any], *, model: str, defaults: CallMode) -> CallMode:
    """Pop the per-call switches from ``kwargs`` (instance values as defaults) and validate them."""
    mode = CallMode(
        responses=bool(kwargs.pop("use_responses_api", defaults.responses)),
        previous_response_id=bool(kwargs.pop("use_previous_response_id", defaults.previous_response_id)),
        verify_tee=bool(kwargs.pop("verify_tee", defaults.verify_tee)),
        raise_on_failure=bool(kwargs.pop("tee_raise_on_failure", defaults.raise_on_failure)),
    )
    check_modes(mode, str(kwargs.get("model") or model))
    return mode


class ChatHost(Protocol):
    """What the Responses and TEE routes need from ``ChatNanoGPT``."""

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[Request, bool]: ...

    def _sync_client(self) -> NanoGPTClient: ...

    def _async_client_get(self) -> AsyncNanoGPTClient: ...


# -- request --------------------------------------------------------------------------------------


def previous_response(messages: Sequence[BaseMessage]) -> tuple[str | None, list[BaseMessage]]:
    """The id of the last ``AIMessage`` from the Responses API and the messages after it
    (``(None, all messages)`` when there is none)."""
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if isinstance(message, AIMessage):
            response_id = message.response_metadata.get("id")
            if isinstance(response_id, str) and response_id.startswith("resp_"):
                return response_id, list(messages[position + 1 :])
    return None, list(messages)


def responses_request(chat: Request, *, previous_id: str | None, thread: bool) -> Request:
    """The chat request mapped onto a validated ``/responses`` body (``max_tokens`` ≥ 16 etc.).

    ``thread``: ``use_previous_response_id`` is on, so ``store`` is forced true (an explicit
    ``store=False`` or ``retention_days=0`` is refused) and ``previous_response_id`` is set when
    an earlier response id was found.
    """
    body = responses_body_from_chat(chat.body)
    if thread:
        if body.get("store") is False or body.get("retention_days") == 0:
            raise ValueError(f"use_previous_response_id=True needs stored responses: do not pass {_NO_STORE}")
        body["store"] = True
        if previous_id is not None:
            body["previous_response_id"] = previous_id
    return Request(body=ResponsesRequest.model_validate(body).to_wire(), headers=dict(chat.headers))


def _build(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
) -> Request:
    previous_id: str | None = None
    if mode.previous_response_id:
        previous_id, messages = previous_response(messages)
    chat, _ = host._request(messages, stop, kwargs)
    return responses_request(chat, previous_id=previous_id, thread=mode.previous_response_id)


# -- replies --------------------------------------------------------------------------------------


def _finished(response: ResponseObject) -> ChatResult:
    if response.status in ("failed", "cancelled"):
        detail = response.error if response.error is not None else "no error details"
        raise NanoGPTError(
            f"response {response.id} {response.status}: {detail}", request_id=response.request_id
        )
    return chat_result(turn_from_response(response))


def _pending(response: ResponseObject) -> bool:
    return bool(response.background) and not response.done and bool(response.id)


# -- the four calls ---------------------------------------------------------------------------------


def generate(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
) -> ChatResult:
    request = _build(host, messages, stop, kwargs, mode)
    client = host._sync_client()
    response = client.responses_create(request.body, headers=request.headers)
    if _pending(response):
        response = client.responses_wait(str(response.id), headers=request.headers)
    return _finished(response)


async def agenerate(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
) -> ChatResult:
    request = _build(host, messages, stop, kwargs, mode)
    client = host._async_client_get()
    response = await client.responses_create(request.body, headers=request.headers)
    if _pending(response):
        response = await client.responses_wait(str(response.id), headers=request.headers)
    return _finished(response)


def stream(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
    run_manager: CallbackManagerForLLMRun | None = None,
) -> Iterator[ChatGenerationChunk]:
    request = _build(host, messages, stop, kwargs, mode)
    with host._sync_client().responses_stream(request.body, headers=request.headers) as events:
        accumulator = ResponsesAccumulator(events.request_id)
        yield from generate_chunks(accumulator, events, run_manager)
    yield last_chunk(accumulator.result())


async def astream(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
    run_manager: AsyncCallbackManagerForLLMRun | None = None,
) -> AsyncIterator[ChatGenerationChunk]:
    request = _build(host, messages, stop, kwargs, mode)
    events = await host._async_client_get().responses_stream(request.body, headers=request.headers)
    async with events:
        accumulator = ResponsesAccumulator(events.request_id)
        async for chunk in agenerate_chunks(accumulator, events, run_manager):
            yield chunk
    yield last_chunk(accumulator.result())
