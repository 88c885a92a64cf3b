"""Batch jobs of ``ChatNanoGPT`` (api-reference/endpoint/batches.mdx): submitting any runnable built
from the model, the job, and ``batch()`` through the Batch API.

Each row is built by ``ChatNanoGPT._wire(..., batch_row=True)``, the path ``invoke`` uses, so
whatever a runnable sends synchronously goes into the row; what the Batch API forbids is refused
before anything is uploaded, naming the row. Steps before the model (a prompt) run locally at
submission; steps after it (output parsers) run locally on each reply when results are read. The
LangChain callbacks of each row (``on_chat_model_start`` then ``on_llm_end`` / ``on_llm_error``)
fire when the results are read, so ``get_nanogpt_callback`` and tracers see the batch's usage and
cost. Waiting, ordering, re-attaching and totals are the core's
(:class:`~nanogpt_integrations.core.batch.MappedBatchJob`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult, LLMResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import get_config_list

from ..core.batch import (
    AsyncBatchClient,
    AsyncBatchJob,
    BatchClient,
    BatchJob,
    BatchJobHandle,
    BatchRequest,
    BatchValidationError,
    MappedBatchJob,
    RowOutcome,
    WorkflowChoice,
    wire_rows,
)
from ._batch import Plan, plan_of
from ._responses import chat_result

if TYPE_CHECKING:
    from .chat_models import ChatNanoGPT

__all__ = ["NanoGPTBatchJob", "abatch_submit", "arun_batch", "batch_submit", "run_batch"]

logger = logging.getLogger("nanogpt_integrations")

#: LangChain's own per-call keys that ``generate`` removes before ``_generate``: tracing only.
_TRACE_ONLY = ("ls_structured_output_format", "structured_output_format")


# -- the job ----------------------------------------------------------------------------------------


class NanoGPTBatchJob(MappedBatchJob[Any]):
    """A NanoGPT batch job whose results are what the submitted runnable returns for each input
    (``AIMessage`` s with ``usage_metadata`` and ``response_metadata["cost"]`` for a model, parsed
    objects after ``with_structured_output``), in input order.

    ``job.status()`` / ``job.cancel()`` / ``job.wait()`` / ``job.results()`` and the async
    ``astatus()`` / ``acancel()`` / ``await_completion()`` / ``aresults()`` /
    ``await_results()`` (wait, then results). ``job.id`` and ``job.handle.to_json()`` re-attach it
    later with :meth:`retrieve`. ``job.totals`` holds rows, tokens and cost once results are read.
    """

    def __init__(
        self,
        job: BatchJob | AsyncBatchJob,
        plan: Plan,
        *,
        configs: Sequence[RunnableConfig],
        kwargs: Mapping[str, Any] | None = None,
        messages: Mapping[int, list[BaseMessage]] | None = None,
        refused: Mapping[int, BaseException] | None = None,
    ) -> None:
        model = plan.model
        super().__init__(
            job, sync_client=model._sync_client, async_client=model._async_client_get, refused=refused
        )
        self._plan = plan
        self._configs = list(configs)
        self._kwargs = {k: v for k, v in (kwargs or {}).items() if k not in _TRACE_ONLY}
        self._messages = dict(messages or {})

    @classmethod
    def retrieve(
        cls, job: str | BatchJobHandle, runnable: Runnable[Any, Any], *, config: RunnableConfig | None = None
    ) -> NanoGPTBatchJob:
        """Re-attach a job by batch id or saved handle (another process, another day). ``runnable``
        is the one that submitted it (its client, and the steps that run on each reply)."""
        plan = plan_of(runnable)
        core = BatchClient(plan.model._sync_client()).attach(job)
        return cls(core, plan, configs=[plan.config(config or {})], kwargs=plan.kwargs)

    @classmethod
    async def aretrieve(
        cls, job: str | BatchJobHandle, runnable: Runnable[Any, Any], *, config: RunnableConfig | None = None
    ) -> NanoGPTBatchJob:
        """Async :meth:`retrieve`."""
        plan = plan_of(runnable)
        core = await AsyncBatchClient(plan.model._async_client_get()).attach(job)
        return cls(core, plan, configs=[plan.config(config or {})], kwargs=plan.kwargs)

    # -- per row ----------------------------------------------------------------------------------

    def _positions(self, count: int) -> list[int]:
        """The input index of each submitted row (rows refused before upload are skipped)."""
        if not self._refused:
            return list(range(count))
        return [i for i in range(count + len(self._refused)) if i not in self._refused]

    def _config(self, index: int) -> RunnableConfig:
        return self._configs[index] if index < len(self._configs) else self._configs[-1]

    def _result(self, outcome: RowOutcome) -> ChatResult | BaseException:
        if outcome.turn is None:
            assert outcome.error is not None
            return outcome.error
        result = chat_result(outcome.turn)
        meta = result.generations[0].message.response_metadata
        meta["batch_id"] = self.id
        meta["custom_id"] = outcome.result.custom_id
        return result

    def _runs(
        self,
        results: list[ChatResult | BaseException],
        manager_type: type[CallbackManager | AsyncCallbackManager],
    ) -> Iterator[tuple[Any, dict[str, Any], ChatResult | BaseException]]:
        """For each row with callbacks to call: its manager, the ``on_chat_model_start`` arguments
        (what ``BaseChatModel.generate`` passes) and its result or error."""
        model = self._plan.model
        kwargs = dict(self._kwargs)
        stop = kwargs.pop("stop", None)
        params = model._get_invocation_params(stop=stop, **kwargs)
        meta = {**model._get_ls_params(stop=stop, **kwargs), "nanogpt_batch_id": self.id}
        for result, index in zip(results, self._positions(len(results)), strict=True):
            config = self._config(index)
            manager = manager_type.configure(
                config.get("callbacks"),
                model.callbacks,
                model.verbose,
                config.get("tags"),
                model.tags,
                {**(config.get("metadata") or {}), **meta},
                model.metadata,
            )
            if not manager.handlers:
                continue
            start = {
                "serialized": model._serialized,
                "messages": [self._messages.get(index, [])],
                "invocation_params": params,
                "options": {"stop": stop},
                "name": config.get("run_name"),
                "batch_size": len(results),
            }
            yield manager, start, result

    def _steps_after(
        self, results: list[ChatResult | BaseException]
    ) -> Iterator[tuple[Runnable[Any, Any] | None, BaseMessage | BaseException, RunnableConfig]]:
        """Each row's message (or error), the steps that still run on it, and its config."""
        post = Plan.chain(self._plan.post)
        for result, index in zip(results, self._positions(len(results)), strict=True):
            value = result if isinstance(result, BaseException) else result.generations[0].message
            yield post, value, self._config(index)

    def _convert(self, outcomes: list[RowOutcome]) -> list[Any]:
        results = [self._result(outcome) for outcome in outcomes]
        for manager, start, result in self._runs(results, CallbackManager):
            (run,) = manager.on_chat_model_start(**start)
            if isinstance(result, BaseException):
                run.on_llm_error(result)
            else:
                run.on_llm_end(_llm_result(result))
        outputs: list[Any] = []
        for post, value, config in self._steps_after(results):
            if isinstance(value, BaseException) or post is None:
                outputs.append(value)
                continue
            try:
                outputs.append(post.invoke(value, config))
            except Exception as exc:
                outputs.append(exc)
        return outputs

    async def _aconvert(self, outcomes: list[RowOutcome]) -> list[Any]:
        results = [self._result(outcome) for outcome in outcomes]
        for manager, start, result in self._runs(results, AsyncCallbackManager):
            (run,) = await manager.on_chat_model_start(**start)
            if isinstance(result, BaseException):
                await run.on_llm_error(result)
            else:
                await run.on_llm_end(_llm_result(result))
        outputs: list[Any] = []
        for post, value, config in self._steps_after(results):
            if isinstance(value, BaseException) or post is None:
                outputs.append(value)
                continue
            try:
                outputs.append(await post.ainvoke(value, config))
            except Exception as exc:
                outputs.append(exc)
        return outputs


def _llm_result(result: ChatResult) -> LLMResult:
    return LLMResult(generations=[result.generations], llm_output=result.llm_output)


# -- submitting -------------------------------------------------------------------------------------


@dataclass
class _Submission:
    """One submission's inputs as the model sees them, and the messages each row was built from."""

    plan: Plan
    configs: list[RunnableConfig]
    kwargs: dict[str, Any]
    row_kwargs: Sequence[Mapping[str, Any]] | None
    messages: dict[int, list[BaseMessage]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        runnable: Runnable[Any, Any],
        count: int,
        config: RunnableConfig | Sequence[RunnableConfig] | None,
        kwargs: Mapping[str, Any],
        row_kwargs: Sequence[Mapping[str, Any]] | None,
    ) -> _Submission:
        plan = plan_of(runnable)
        if row_kwargs is not None and len(row_kwargs) != count:
            raise ValueError(
                f"row_kwargs has {len(row_kwargs)} entries for {count} inputs; give one per input"
            )
        configs = [plan.config(c) for c in get_config_list(config, count)] if count else []
        return cls(plan, configs, {**plan.kwargs, **kwargs}, row_kwargs)

    def build(self, item: tuple[int, LanguageModelInput]) -> Any:
        """Row ``index``: its messages and kwargs through ``ChatNanoGPT._wire`` (the invoke path)."""
        index, value = item
        model = self.plan.model
        messages = model._convert_input(value).to_messages()
        call = dict(self.kwargs)
        if self.row_kwargs is not None:
            call.update(self.row_kwargs[index])
        for name in _TRACE_ONLY:
            call.pop(name, None)
        stop = call.pop("stop", None)
        wire = model._wire(messages, stop, call, stream=False, batch_row=True)
        self.messages[index] = messages
        return wire

    def rows(
        self,
        inputs: Sequence[Any],
        custom_ids: Sequence[str] | None,
        refused: dict[int, BaseException] | None,
    ) -> Iterator[BatchRequest]:
        return wire_rows(enumerate(inputs), self.build, custom_ids=custom_ids, refused=refused)

    def job(
        self, core: BatchJob | AsyncBatchJob, refused: Mapping[int, BaseException] | None
    ) -> NanoGPTBatchJob:
        return NanoGPTBatchJob(
            core, self.plan, configs=self.configs, kwargs=self.kwargs, messages=self.messages, refused=refused
        )


def _named(index: int, exc: Exception) -> BatchValidationError:
    return BatchValidationError(
        f"the steps before the model failed: {exc}", rule="invalid_input", index=index
    )


def _model_inputs(sub: _Submission, inputs: Sequence[Any]) -> list[Any]:
    """The inputs after the steps before the model (run locally, now); an error names its row."""
    pre = Plan.chain(sub.plan.pre)
    if pre is None:
        return list(inputs)
    values = pre.batch(list(inputs), sub.configs, return_exceptions=True)
    for index, value in enumerate(values):
        if isinstance(value, Exception):
            raise _named(index, value) from value
    return values


async def _amodel_inputs(sub: _Submission, inputs: Sequence[Any]) -> list[Any]:
    pre = Plan.chain(sub.plan.pre)
    if pre is None:
        return list(inputs)
    values = await pre.abatch(list(inputs), sub.configs, return_exceptions=True)
    for index, value in enumerate(values):
        if isinstance(value, Exception):
            raise _named(index, value) from value
    return values


def batch_submit(
    runnable: Runnable[Any, Any],
    inputs: Sequence[Any],
    config: RunnableConfig | Sequence[RunnableConfig] | None = None,
    *,
    row_kwargs: Sequence[Mapping[str, Any]] | None = None,
    custom_ids: Sequence[str] | None = None,
    workflow: WorkflowChoice = "auto",
    metadata: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> NanoGPTBatchJob:
    """Submit ``inputs`` through ``runnable`` (built from a ``ChatNanoGPT``) as one Batch API job.

    ``kwargs`` apply to every row (as in ``invoke``), ``row_kwargs[i]`` to row ``i`` only.
    ``custom_ids`` name the rows (default ``row-<index>``); ``workflow`` is ``"auto"`` (inline when
    the job fits the inline limits, else an uploaded file), ``"inline"`` or ``"file"``;
    ``metadata`` goes with a file-backed batch. Nothing is sent when a row breaks a Batch API rule:
    :class:`~nanogpt_integrations.core.batch.BatchValidationError` names the row and the rule.
    """
    sub = _Submission.of(runnable, len(inputs), config, kwargs, row_kwargs)
    values = _model_inputs(sub, inputs)
    batches = BatchClient(sub.plan.model._sync_client())
    core = batches.submit(sub.rows(values, custom_ids, None), workflow=workflow, metadata=metadata)
    return sub.job(core, None)


async def abatch_submit(
    runnable: Runnable[Any, Any],
    inputs: Sequence[Any],
    config: RunnableConfig | Sequence[RunnableConfig] | None = None,
    *,
    row_kwargs: Sequence[Mapping[str, Any]] | None = None,
    custom_ids: Sequence[str] | None = None,
    workflow: WorkflowChoice = "auto",
    metadata: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> NanoGPTBatchJob:
    """Async :func:`batch_submit` (the job's async methods then use the async client)."""
    sub = _Submission.of(runnable, len(inputs), config, kwargs, row_kwargs)
    values = await _amodel_inputs(sub, inputs)
    batches = AsyncBatchClient(sub.plan.model._async_client_get())
    core = await batches.submit(sub.rows(values, custom_ids, None), workflow=workflow, metadata=metadata)
    return sub.job(core, None)


# -- the drop-in: batch() / abatch() with use_batch_api=True ----------------------------------------


def _all_refused(
    exc: BatchValidationError, refused: dict[int, BaseException], count: int
) -> list[Any] | None:
    """Every row was refused before upload (``return_exceptions=True``): their errors, else None."""
    if exc.rule == "empty_batch" and refused and len(refused) == count:
        return [refused[index] for index in range(count)]
    return None


def _submitted(job: NanoGPTBatchJob, count: int) -> None:
    """Log the id at once: if the wait is interrupted, the job can still be re-attached."""
    logger.info(
        "NanoGPT batch %s submitted (%d rows, %s); re-attach with NanoGPTBatchJob.retrieve(%r, llm)",
        job.id,
        count,
        job.workflow,
        job.id,
    )


def run_batch(
    model: ChatNanoGPT,
    inputs: list[Any],
    config: RunnableConfig | Sequence[RunnableConfig] | None,
    *,
    return_exceptions: bool,
    kwargs: Mapping[str, Any],
) -> list[Any]:
    """``batch()`` through the Batch API: submit, wait, results (rows refused before upload are
    that row's error with ``return_exceptions=True``)."""
    sub = _Submission.of(model, len(inputs), config, kwargs, None)
    refused: dict[int, BaseException] | None = {} if return_exceptions else None
    batches = BatchClient(model._sync_client())
    try:
        core = batches.submit(sub.rows(inputs, None, refused))
    except BatchValidationError as exc:
        every = _all_refused(exc, refused or {}, len(inputs))
        if every is None:
            raise
        return every
    job = sub.job(core, refused)
    _submitted(job, len(inputs))
    job.wait()
    return job.results(return_exceptions=return_exceptions)


async def arun_batch(
    model: ChatNanoGPT,
    inputs: list[Any],
    config: RunnableConfig | Sequence[RunnableConfig] | None,
    *,
    return_exceptions: bool,
    kwargs: Mapping[str, Any],
) -> list[Any]:
    """Async :func:`run_batch`."""
    sub = _Submission.of(model, len(inputs), config, kwargs, None)
    refused: dict[int, BaseException] | None = {} if return_exceptions else None
    batches = AsyncBatchClient(model._async_client_get())
    try:
        core = await batches.submit(sub.rows(inputs, None, refused))
    except BatchValidationError as exc:
        every = _all_refused(exc, refused or {}, len(inputs))
        if every is None:
            raise
        return every
    job = sub.job(core, refused)
    _submitted(job, len(inputs))
    return await job.await_results(return_exceptions=return_exceptions)
