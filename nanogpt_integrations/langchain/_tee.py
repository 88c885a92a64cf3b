"""ChatNanoGPT with ``verify_tee=True`` (reference §13): chat completions on a ``TEE/`` model whose
exact request and response bytes are captured, then checked against the attestation and the
signature NanoGPT serves for the completion id.

The result (verified / failed with a reason / unavailable) goes into
``response_metadata["tee_verification"]`` as a plain dict: on the message for ``invoke``, on the
last chunk for ``stream`` (sent once the stream is exhausted, when the bytes are complete). With
``tee_raise_on_failure=True`` a ``failed`` result raises :class:`TEEVerificationError` (an
``unavailable`` one never raises: attestation or signature could not be fetched).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from ..core import StreamAccumulator, TEEVerification, TEEVerificationError, base_model, turn_from_completion
from ..core.tee import RawExchange
from ._chunks import agenerate_chunks, generate_chunks, last_chunk
from ._responses import chat_result
from ._responses_api import CallMode, ChatHost

if TYPE_CHECKING:
    from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun

__all__ = ["agenerate", "astream", "attach", "generate", "stream"]

KEY = "tee_verification"


def attach(metadata: dict[str, Any], verification: TEEVerification, raise_on_failure: bool) -> None:
    """Put the verification (as a dict) in ``metadata``; raise on ``failed`` when asked to."""
    metadata[KEY] = verification.to_dict()
    if raise_on_failure and verification.status == "failed":
        raise TEEVerificationError(verification)


def _model(body: Mapping[str, Any]) -> str:
    # Attestation and signature are fetched for the model without suffixes (":online" etc.).
    return base_model(str(body["model"]))


def generate(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
) -> ChatResult:
    request, _ = host._request(messages, stop, kwargs)
    client = host._sync_client()
    exchange = RawExchange()
    completion = client.chat(request.body, headers=request.headers, capture=exchange)
    result = chat_result(turn_from_completion(completion))
    verification = client.tee_verify(exchange, model=_model(request.body), completion_id=completion.id or "")
    attach(result.generations[0].message.response_metadata, verification, mode.raise_on_failure)
    return result


async def agenerate(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
) -> ChatResult:
    request, _ = host._request(messages, stop, kwargs)
    client = host._async_client_get()
    exchange = RawExchange()
    completion = await client.chat(request.body, headers=request.headers, capture=exchange)
    result = chat_result(turn_from_completion(completion))
    verification = await client.tee_verify(
        exchange, model=_model(request.body), completion_id=completion.id or ""
    )
    attach(result.generations[0].message.response_metadata, verification, mode.raise_on_failure)
    return result


def stream(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
    run_manager: CallbackManagerForLLMRun | None = None,
) -> Iterator[ChatGenerationChunk]:
    request, usage = host._request(messages, stop, kwargs)
    client = host._sync_client()
    exchange = RawExchange()
    with client.stream_chat(
        request.body, headers=request.headers, include_usage=usage, capture=exchange
    ) as raw:
        accumulator = StreamAccumulator(raw.request_id)
        yield from generate_chunks(accumulator, raw, run_manager)
    final = last_chunk(accumulator.result())
    verification = client.tee_verify(
        exchange, model=_model(request.body), completion_id=accumulator.turn.id or ""
    )
    attach(final.message.response_metadata, verification, mode.raise_on_failure)
    yield final


async def astream(
    host: ChatHost,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    mode: CallMode,
    run_manager: AsyncCallbackManagerForLLMRun | None = None,
) -> AsyncIterator[ChatGenerationChunk]:
    request, usage = host._request(messages, stop, kwargs)
    client = host._async_client_get()
    exchange = RawExchange()
    raw = await client.stream_chat(
        request.body, headers=request.headers, include_usage=usage, capture=exchange
    )
    async with raw:
        accumulator = StreamAccumulator(raw.request_id)
        async for chunk in agenerate_chunks(accumulator, raw, run_manager):
            yield chunk
    final = last_chunk(accumulator.result())
    verification = await client.tee_verify(
        exchange, model=_model(request.body), completion_id=accumulator.turn.id or ""
    )
    attach(final.message.response_metadata, verification, mode.raise_on_failure)
    yield final
