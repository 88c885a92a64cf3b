"""NanoGPTLLM on the Responses API and TEE verification: translation only (pure, no I/O).

The chat request is built as usual (same options, tools, structured output) and mapped onto a
``/responses`` body by the core (:func:`responses_body_from_chat`); replies become the core
``AssistantTurn`` and then the same LlamaIndex responses as chat (``_responses``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatResponse

from ._payload import WireRequest
from ._responses import turn_to_message, usage_kwargs

if TYPE_CHECKING:  # the Responses/TEE core loads on the first call that uses it
    from nanogpt_integrations.core import (
        AssistantTurn,
        ResponseObject,
        ResponseStreamEvent,
        TEEVerification,
    )

__all__ = [
    "CallMode",
    "ResponsesStreamState",
    "attach_tee",
    "call_mode",
    "response_to_chat",
    "to_responses_request",
]


@dataclass(frozen=True)
class CallMode:
    """Which endpoint a call uses and whether its TEE signature is verified."""

    responses: bool = False
    verify_tee: bool = False
    raise_on_failure: bool = False


def call_mode(
    kwargs: dict[str, Any], *, model: str, responses: bool, verify: bool, raise_on_failure: bool
) -> CallMode:
    """Pop the per-call switches from ``kwargs`` (instance values as defaults) and validate them
    before any request: TEE verification needs a ``TEE/`` model and chat completions."""
    from nanogpt_integrations.core.tee import require_tee_model

    mode = CallMode(
        responses=bool(kwargs.pop("use_responses_api", responses)),
        verify_tee=bool(kwargs.pop("verify_tee", verify)),
        raise_on_failure=bool(kwargs.pop("tee_raise_on_failure", raise_on_failure)),
    )
    if mode.verify_tee:
        require_tee_model(str(kwargs.get("model") or model))
        if mode.responses:
            raise ValueError(
                "verify_tee applies to chat completions (TEE signatures cover the chat request and "
                "response bytes); turn off use_responses_api for TEE-verified calls"
            )
    return mode


def to_responses_request(request: WireRequest) -> WireRequest:
    """The chat request mapped onto a ``/responses`` body (validated: ``max_tokens`` ≥ 16 etc.)."""
    from nanogpt_integrations.core import responses_body_from_chat

    return WireRequest(responses_body_from_chat(request.body), dict(request.headers))


def _kwargs(turn: AssistantTurn) -> dict[str, Any]:
    out = usage_kwargs(turn.usage, turn.pricing)
    if turn.finish_reason:
        out["finish_reason"] = turn.finish_reason
    if turn.request_id:
        out["request_id"] = turn.request_id
    if turn.id:
        out["response_id"] = turn.id
    return out


def response_to_chat(response: ResponseObject) -> ChatResponse:
    """A complete Responses reply → ``ChatResponse`` (reasoning as ``ThinkingBlock``, usage and cost
    in ``additional_kwargs``, the response id as ``response_id``)."""
    from nanogpt_integrations.core import turn_from_response

    turn = turn_from_response(response)
    return ChatResponse(message=turn_to_message(turn), raw=response, additional_kwargs=_kwargs(turn))


class ResponsesStreamState:
    """Turns each Responses stream event into the cumulative ``ChatResponse`` LlamaIndex expects."""

    def __init__(self, request_id: str | None) -> None:
        from nanogpt_integrations.core import ResponsesAccumulator

        self.accumulator = ResponsesAccumulator(request_id)

    def step(self, event: ResponseStreamEvent) -> ChatResponse | None:
        """The response to yield for ``event``, or None when it added nothing visible."""
        delta = self.accumulator.add(event)
        if delta.is_empty:
            return None
        turn = self.accumulator.result() if delta.finish_reason else self.accumulator.snapshot()
        kwargs = _kwargs(turn)
        if delta.reasoning:
            kwargs["thinking_delta"] = delta.reasoning
        return ChatResponse.model_construct(
            message=turn_to_message(turn),
            delta=delta.content,
            raw=event,
            additional_kwargs=kwargs,
            logprobs=None,
        )


def attach_tee(response: ChatResponse, verification: TEEVerification, raise_on_failure: bool) -> ChatResponse:
    """Put the verification (as a dict) in ``additional_kwargs["tee_verification"]``; raise
    :class:`TEEVerificationError` for a ``failed`` result when asked to (``unavailable`` never raises)."""
    from nanogpt_integrations.core import TEEVerificationError

    response.additional_kwargs["tee_verification"] = verification.to_dict()
    if raise_on_failure and verification.status == "failed":
        raise TEEVerificationError(verification)
    return response
