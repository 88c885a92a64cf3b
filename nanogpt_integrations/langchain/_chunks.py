"""The stream loop every ChatNanoGPT route shares (chat completions, Responses API, TEE-verified).

An accumulator (the core's chat or Responses one) turns wire items into deltas; each delta that
shows something becomes a ``ChatGenerationChunk`` reported to the callbacks; the last chunk carries
usage, cost and the finish reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Protocol

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from .._fast_models import ValidatedTemplate
from ..core import AssistantTurn, StreamDelta
from ._responses import chunk_from_delta, final_chunk

__all__ = ["Accumulates", "agenerate_chunks", "generate_chunks", "last_chunk"]


class Accumulates(Protocol):
    """What both core accumulators offer (``StreamAccumulator`` and ``ResponsesAccumulator``)."""

    @property
    def turn(self) -> AssistantTurn: ...

    def add(self, item: Any, /) -> StreamDelta: ...

    def result(self) -> AssistantTurn: ...


#: ``ChatGenerationChunk(message=m)`` for string content (every chunk here): its validator sets
#: ``text`` to the message text, which for a string is the content itself.
_generation_chunk = ValidatedTemplate(ChatGenerationChunk, message=AIMessageChunk(content="t"), text="t")


def _chunk(accumulator: Accumulates, item: Any) -> ChatGenerationChunk | None:
    message = chunk_from_delta(accumulator.add(item), accumulator.turn.id)
    if message is None:
        return None
    content = message.content
    if type(content) is str:
        return _generation_chunk.build({"message": message, "text": content})
    return ChatGenerationChunk(message=message)


def generate_chunks(
    accumulator: Accumulates, items: Iterable[Any], run_manager: CallbackManagerForLLMRun | None
) -> Iterator[ChatGenerationChunk]:
    """One chunk per wire item that shows something, each reported as a new token."""
    for item in items:
        chunk = _chunk(accumulator, item)
        if chunk is None:
            continue
        if run_manager:
            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


async def agenerate_chunks(
    accumulator: Accumulates, items: AsyncIterable[Any], run_manager: AsyncCallbackManagerForLLMRun | None
) -> AsyncIterator[ChatGenerationChunk]:
    """Async :func:`generate_chunks`."""
    async for item in items:
        chunk = _chunk(accumulator, item)
        if chunk is None:
            continue
        if run_manager:
            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


def last_chunk(turn: AssistantTurn) -> ChatGenerationChunk:
    """The closing stream chunk: usage, cost, finish reason and the response id."""
    info = {"finish_reason": turn.finish_reason} if turn.finish_reason else None
    return ChatGenerationChunk(message=final_chunk(turn), generation_info=info)
