"""``NanoGPTLLM`` over NanoGPT's Batch API (api-reference/endpoint/batches.mdx): lists of message
lists (or prompts) as one half-price job, results as ``ChatResponse`` (or ``CompletionResponse``).

Each row is built by ``NanoGPTLLM._wire(..., batch_row=True)``, the path ``chat`` uses (tools and
structured output included), so what the Batch API forbids is refused before anything is
uploaded, naming the row. When results are read, each row goes through the LLM's callback manager
and instrumentation as a ``chat`` / ``complete`` call would (``CBEventType.LLM`` start and end,
``LLMChatStartEvent`` / ``LLMChatEndEvent``), so token counters see the batch. Waiting, ordering,
re-attaching and totals are the core's (:class:`~nanogpt_integrations.core.batch.MappedBatchJob`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index_instrumentation import get_dispatcher

from nanogpt_integrations.core.batch import (
    AsyncBatchClient,
    BatchClient,
    BatchJobHandle,
    MappedBatchJob,
    RowOutcome,
    WorkflowChoice,
    wire_rows,
)
from nanogpt_integrations.core.request import WireRequest

from ._responses import chat_to_completion, turn_to_response
from ._structured import schema_format
from ._tools import tool_choice_to_wire, tool_selections, trim_to_one_tool_call

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool
    from pydantic import BaseModel

    from nanogpt_integrations.core.batch import AsyncBatchJob, BatchJob, BatchRequest

    from .llms import NanoGPTLLM

__all__ = ["BatchKind", "NanoGPTBatchJob", "asubmit", "submit"]

dispatcher = get_dispatcher(__name__)

#: ``"chat"``: rows are message lists, results ``ChatResponse``; ``"complete"``: prompts, ``CompletionResponse``.
BatchKind = Literal["chat", "complete"]


@dataclass
class _Shape:
    """What every row of a job asks for beyond its messages, and how replies are read back."""

    kind: BatchKind = "chat"
    kwargs: dict[str, Any] = field(default_factory=dict)
    output_cls: type[BaseModel] | None = None
    #: Structured output through a forced tool call (the model has no json_schema support).
    tool_mode: bool = False
    #: Keep every tool call of a reply (``chat_with_tools``' ``allow_parallel_tool_calls``).
    parallel: bool = True


class NanoGPTBatchJob(MappedBatchJob[Any]):
    """A NanoGPT batch job of a ``NanoGPTLLM``: ``ChatResponse`` (or ``CompletionResponse``) per
    input, in input order, with usage and cost in ``additional_kwargs``; with ``output_cls``, the
    parsed object is the response's ``raw`` (as LlamaIndex's structured LLM returns it).

    ``job.status()`` / ``job.cancel()`` / ``job.wait()`` / ``job.results()`` and the async
    ``astatus()`` / ``acancel()`` / ``await_completion()`` / ``aresults()`` / ``await_results()``.
    ``job.id`` and ``job.handle.to_json()`` re-attach it with :meth:`retrieve`.
    """

    def __init__(
        self,
        job: BatchJob | AsyncBatchJob,
        llm: NanoGPTLLM,
        shape: _Shape,
        *,
        inputs: Mapping[int, Any] | None = None,
    ) -> None:
        super().__init__(job, sync_client=lambda: llm.client, async_client=lambda: llm.async_client)
        self._llm = llm
        self._shape = shape
        self._inputs = dict(inputs or {})

    @classmethod
    def retrieve(
        cls,
        job: str | BatchJobHandle,
        llm: NanoGPTLLM,
        *,
        kind: BatchKind = "chat",
        output_cls: type[BaseModel] | None = None,
    ) -> NanoGPTBatchJob:
        """Re-attach a job by batch id or saved handle; ``kind`` and ``output_cls`` as submitted."""
        core = BatchClient(llm.client).attach(job)
        return cls(core, llm, _Shape(kind, output_cls=output_cls, tool_mode=_tool_mode(llm, output_cls)))

    @classmethod
    async def aretrieve(
        cls,
        job: str | BatchJobHandle,
        llm: NanoGPTLLM,
        *,
        kind: BatchKind = "chat",
        output_cls: type[BaseModel] | None = None,
    ) -> NanoGPTBatchJob:
        """Async :meth:`retrieve`."""
        core = await AsyncBatchClient(llm.async_client).attach(job)
        if output_cls is not None:
            await llm.amodel_info()
        return cls(core, llm, _Shape(kind, output_cls=output_cls, tool_mode=_tool_mode(llm, output_cls)))

    # -- per row ----------------------------------------------------------------------------------

    def _response(self, outcome: RowOutcome) -> ChatResponse | BaseException:
        if outcome.turn is None:
            assert outcome.error is not None
            return outcome.error
        response = turn_to_response(outcome.turn, outcome.result.reply)
        response.additional_kwargs["batch_id"] = self.id
        response.additional_kwargs["custom_id"] = outcome.result.custom_id
        if not self._shape.parallel:
            trim_to_one_tool_call(response.message)
        cls = self._shape.output_cls
        if cls is None:
            return response
        try:
            if self._shape.tool_mode:
                calls = tool_selections(response.message)
                if not calls:
                    raise ValueError(
                        f"row {outcome.result.custom_id!r}: the reply has no {cls.__name__} tool call"
                    )
                parsed = cls.model_validate(calls[0].tool_kwargs)
            else:
                parsed = cls.model_validate_json(response.message.content or "")
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            return exc
        message = ChatMessage(role=MessageRole.ASSISTANT, content=parsed.model_dump_json())
        return ChatResponse(message=message, raw=parsed, additional_kwargs=response.additional_kwargs)

    def _convert(self, outcomes: list[RowOutcome]) -> list[Any]:
        responses = [self._response(outcome) for outcome in outcomes]
        outputs: list[Any] = [
            chat_to_completion(r) if self._shape.kind == "complete" and isinstance(r, ChatResponse) else r
            for r in responses
        ]
        self._notify(outputs)
        return outputs

    def _notify(self, outputs: list[Any]) -> None:
        """Each row through the callback manager and instrumentation, as a call would go."""
        manager = self._llm.callback_manager
        payload = self._llm.to_payload()
        chat = self._shape.kind == "chat"
        with manager.as_trace("batch"):
            for index, output in enumerate(outputs):
                given = self._inputs.get(index, [] if chat else "")
                start: dict[str, Any] = {EventPayload.SERIALIZED: payload}
                if chat:
                    dispatcher.event(
                        LLMChatStartEvent(model_dict=payload, messages=given, additional_kwargs={})
                    )
                    start[EventPayload.MESSAGES] = given
                else:
                    dispatcher.event(
                        LLMCompletionStartEvent(model_dict=payload, prompt=given, additional_kwargs={})
                    )
                    start[EventPayload.PROMPT] = given
                event_id = manager.on_event_start(CBEventType.LLM, payload=start)
                end: dict[str, Any] = {}
                if isinstance(output, BaseException):
                    end[EventPayload.EXCEPTION] = output
                elif chat:
                    end.update({EventPayload.MESSAGES: given, EventPayload.RESPONSE: output})
                    dispatcher.event(LLMChatEndEvent(messages=given, response=output))
                else:
                    end.update({EventPayload.PROMPT: given, EventPayload.COMPLETION: output})
                    dispatcher.event(LLMCompletionEndEvent(prompt=given, response=output))
                manager.on_event_end(CBEventType.LLM, payload=end, event_id=event_id)


# -- submitting -------------------------------------------------------------------------------------


def _tool_mode(llm: NanoGPTLLM, output_cls: type[BaseModel] | None) -> bool:
    """Structured output by a forced tool call unless the model takes json_schema (as ``structured_predict``)."""
    return output_cls is not None and not llm._json_schema_mode()


def _shape(
    llm: NanoGPTLLM,
    kind: BatchKind,
    *,
    tools: Sequence[BaseTool | Mapping[str, Any]] | None = None,
    tool_required: bool = False,
    tool_choice: str | dict[str, Any] | None = None,
    allow_parallel_tool_calls: bool = False,
    output_cls: type[BaseModel] | None = None,
    **kwargs: Any,
) -> _Shape:
    """What every row asks for: the call's kwargs plus tools (LlamaIndex tools, as in
    ``chat_with_tools``, or wire-form dicts, as in ``chat``) or a structured-output request."""
    if kind == "complete" and llm.use_completions_endpoint:
        raise ValueError(
            "use_completions_endpoint=True: the legacy /completions endpoint cannot be a batch row "
            "(api-reference/endpoint/batches.mdx); turn it off to batch prompts through chat"
        )
    if tools and output_cls is not None:
        raise ValueError("pass tools or output_cls, not both")
    shape = _Shape(kind, kwargs, output_cls, parallel=allow_parallel_tool_calls or not tools)
    if output_cls is not None:
        shape.tool_mode = _tool_mode(llm, output_cls)
        if not shape.tool_mode:
            shape.kwargs["response_format"] = schema_format(output_cls)
            return shape
        from llama_index.core.program.function_program import get_function_tool

        tool = get_function_tool(output_cls)
        tools, tool_choice, shape.parallel = [tool], tool.metadata.name, False
    if tools and all(isinstance(tool, Mapping) for tool in tools):
        # Wire-form tool dicts, as ``chat(messages, tools=[...])`` sends them.
        shape.kwargs.update(
            tools=list(tools), tool_choice=tool_choice_to_wire(tool_choice, tool_required=tool_required)
        )
    elif tools:
        if any(isinstance(tool, Mapping) for tool in tools):
            raise TypeError("tools: pass LlamaIndex tools or wire-form tool dicts, not a mix of both")
        prepared = llm._prepare_chat_with_tools(
            cast("Sequence[BaseTool]", tools), tool_required=tool_required, tool_choice=tool_choice
        )
        shape.kwargs.update(tools=prepared["tools"], tool_choice=prepared["tool_choice"])
    return shape


@dataclass
class _Rows:
    """Builds each row through ``NanoGPTLLM._wire`` and keeps what it was built from (for callbacks)."""

    llm: NanoGPTLLM
    shape: _Shape
    row_kwargs: Sequence[Mapping[str, Any]] | None
    inputs: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls, llm: NanoGPTLLM, kind: BatchKind, values: Sequence[Any], options: dict[str, Any]
    ) -> tuple[_Rows, Iterator[BatchRequest]]:
        """The rows of one submission (lazily built) from ``submit``'s options."""
        row_kwargs = options.pop("row_kwargs", None)
        custom_ids = options.pop("custom_ids", None)
        if row_kwargs is not None and len(row_kwargs) != len(values):
            raise ValueError(
                f"row_kwargs has {len(row_kwargs)} entries for {len(values)} inputs; give one per input"
            )
        rows = cls(llm, _shape(llm, kind, **options), row_kwargs)
        return rows, wire_rows(enumerate(values), rows.build, custom_ids=custom_ids)

    def build(self, item: tuple[int, Any]) -> WireRequest:
        index, value = item
        if self.shape.kind == "chat":
            if isinstance(value, (str, ChatMessage)) or not isinstance(value, Sequence):
                raise TypeError(f"each chat input is a list of ChatMessage; got {type(value).__name__}")
            messages = list(value)
        else:
            if not isinstance(value, str):
                raise TypeError(f"each prompt is a str; got {type(value).__name__}")
            messages = [ChatMessage(role=MessageRole.USER, content=value)]
        call = dict(self.shape.kwargs)
        if self.row_kwargs is not None:
            call.update(self.row_kwargs[index])
        wire = self.llm._wire(messages, call, stream=False, batch_row=True)
        self.inputs[index] = messages if self.shape.kind == "chat" else value
        return wire


def submit(
    llm: NanoGPTLLM,
    kind: BatchKind,
    values: Sequence[Any],
    *,
    workflow: WorkflowChoice = "auto",
    metadata: Mapping[str, str] | None = None,
    **options: Any,
) -> NanoGPTBatchJob:
    """Submit ``values`` (message lists or prompts) as one Batch API job; ``options`` are those of
    ``NanoGPTLLM.batch_submit_chat`` (``row_kwargs``, ``custom_ids``, ``tools``, ``output_cls``, ...)
    and the call's kwargs."""
    rows, lines = _Rows.of(llm, kind, values, options)
    core = BatchClient(llm.client).submit(lines, workflow=workflow, metadata=metadata)
    return NanoGPTBatchJob(core, llm, rows.shape, inputs=rows.inputs)


async def asubmit(
    llm: NanoGPTLLM,
    kind: BatchKind,
    values: Sequence[Any],
    *,
    workflow: WorkflowChoice = "auto",
    metadata: Mapping[str, str] | None = None,
    **options: Any,
) -> NanoGPTBatchJob:
    """Async :func:`submit`."""
    if options.get("output_cls") is not None and llm.supports_structured_output is None:
        await llm.amodel_info()  # the json_schema decision reads the catalogue; fetch it without blocking
    rows, lines = _Rows.of(llm, kind, values, options)
    core = await AsyncBatchClient(llm.async_client).submit(lines, workflow=workflow, metadata=metadata)
    return NanoGPTBatchJob(core, llm, rows.shape, inputs=rows.inputs)
