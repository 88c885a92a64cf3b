"""``ChatNanoGPT`` over NanoGPT's Batch API (api-reference/endpoint/batches.mdx): the methods on the
model and its bindings, and how a runnable built from the model is taken apart.

- ``batch_submit`` / ``abatch_submit`` (on the model, on the bindings it creates, and as functions
  for any runnable built from it, :mod:`._batch_job`) send a list of inputs as one job and return a
  ``NanoGPTBatchJob``.
- ``use_batch_api=True`` (a ``ChatNanoGPT`` field, or per call) makes ``batch()`` / ``abatch()``
  submit one job and block until its results are in.

This module is imported with ``ChatNanoGPT`` and stays light; the jobs (and the HTTP core) load
on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableSequence

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import _ChatModelBinding as _ChatBinding

    from ._batch_job import NanoGPTBatchJob
    from .chat_models import ChatNanoGPT
else:
    try:  # what BaseChatModel.bind returns in recent langchain-core; older: RunnableBinding
        from langchain_core.language_models.chat_models import _ChatModelBinding as _ChatBinding
    except ImportError:  # pragma: no cover
        _ChatBinding = RunnableBinding

__all__ = ["BatchMethods", "NanoGPTBinding", "Plan", "plan_of"]


# -- what a runnable does around its ChatNanoGPT ---------------------------------------------------


@dataclass
class Plan:
    """A runnable taken apart: steps before the model, its bindings (outer first), steps after."""

    model: ChatNanoGPT
    kwargs: dict[str, Any] = field(default_factory=dict)
    bindings: list[RunnableBinding[Any, Any]] = field(default_factory=list)
    pre: list[Runnable[Any, Any]] = field(default_factory=list)
    post: list[Runnable[Any, Any]] = field(default_factory=list)

    def config(self, config: RunnableConfig) -> RunnableConfig:
        """The config the model sees: each binding's config (and factories) applied, outer first."""
        for binding in self.bindings:
            config = binding._merge_configs(config)
        return config

    @staticmethod
    def chain(steps: list[Runnable[Any, Any]]) -> Runnable[Any, Any] | None:
        if not steps:
            return None
        return steps[0] if len(steps) == 1 else RunnableSequence(*steps)


_SUPPORTED = (
    "a ChatNanoGPT, a binding of it (.bind, .bind_tools, .with_config), or a sequence with one such step "
    "(.with_structured_output(...), prompt | llm | parser)"
)


def plan_of(runnable: Runnable[Any, Any]) -> Plan:
    """Find the ``ChatNanoGPT`` in ``runnable`` and what is bound to it; ``TypeError`` if there is none."""
    from .chat_models import ChatNanoGPT

    if isinstance(runnable, ChatNanoGPT):
        return Plan(runnable)
    if isinstance(runnable, RunnableBinding):
        inner = plan_of(runnable.bound)
        if runnable.kwargs and inner.pre:
            raise TypeError(
                "keyword arguments bound to a sequence go to its first step, which is not the model; "
                "bind them to the model instead"
            )
        inner.kwargs = {**inner.kwargs, **runnable.kwargs}  # the outer binding wins, as in invoke
        inner.bindings.insert(0, runnable)
        return inner
    if isinstance(runnable, RunnableSequence):
        steps = runnable.steps
        found: tuple[int, Plan] | None = None
        for position, step in enumerate(steps):
            try:
                plan = plan_of(step)
            except TypeError:
                continue
            if found is not None:
                raise TypeError("the sequence calls more than one ChatNanoGPT; submit one model per job")
            found = (position, plan)
        if found is not None:
            position, plan = found
            plan.pre = [*steps[:position], *plan.pre]
            plan.post = [*plan.post, *steps[position + 1 :]]
            return plan
    raise TypeError(f"cannot submit {type(runnable).__name__} as a NanoGPT batch job; pass {_SUPPORTED}")


# -- methods on the model and on its bindings ---------------------------------------------------------

_Configs = RunnableConfig | Sequence[RunnableConfig] | None


class NanoGPTBinding(_ChatBinding):  # type: ignore[no-redef]  # pydantic plugin: the kwargs field
    """What ``ChatNanoGPT.bind`` (hence ``bind_tools``) and ``with_config`` return: the binding
    ``BaseChatModel.bind`` returns, plus ``batch_submit`` / ``abatch_submit`` with its bound kwargs
    and config (through a plain binding, ``batch_submit`` would reach the model without them).
    Serialises as a ``RunnableBinding``."""

    @classmethod
    def lc_id(cls) -> list[str]:
        return RunnableBinding.lc_id()

    def batch_submit(self, inputs: Sequence[Any], config: _Configs = None, **kwargs: Any) -> NanoGPTBatchJob:
        """:func:`~nanogpt_integrations.langchain.batch_submit` of this binding."""
        from ._batch_job import batch_submit

        return batch_submit(self, inputs, config, **kwargs)

    async def abatch_submit(
        self, inputs: Sequence[Any], config: _Configs = None, **kwargs: Any
    ) -> NanoGPTBatchJob:
        """:func:`~nanogpt_integrations.langchain.abatch_submit` of this binding."""
        from ._batch_job import abatch_submit

        return await abatch_submit(self, inputs, config, **kwargs)


def _model(mixin: BatchMethods) -> ChatNanoGPT:
    return cast("ChatNanoGPT", mixin)


def _wants_batch_api(model: ChatNanoGPT, kwargs: dict[str, Any]) -> bool:
    flag = kwargs.pop("use_batch_api", None)
    return bool(model.use_batch_api if flag is None else flag)


class BatchMethods:
    """Mixed into ``ChatNanoGPT`` (before ``BaseChatModel``): ``batch_submit`` / ``abatch_submit``,
    ``batch`` / ``abatch`` through the Batch API when ``use_batch_api`` is on, and bindings that
    keep ``batch_submit``."""

    def batch_submit(
        self, inputs: Sequence[LanguageModelInput], config: _Configs = None, **kwargs: Any
    ) -> NanoGPTBatchJob:
        """Submit ``inputs`` (anything ``invoke`` accepts) as one Batch API job; see
        :func:`~nanogpt_integrations.langchain.batch_submit`."""
        from ._batch_job import batch_submit

        return batch_submit(_model(self), inputs, config, **kwargs)

    async def abatch_submit(
        self, inputs: Sequence[LanguageModelInput], config: _Configs = None, **kwargs: Any
    ) -> NanoGPTBatchJob:
        """Async :meth:`batch_submit`."""
        from ._batch_job import abatch_submit

        return await abatch_submit(_model(self), inputs, config, **kwargs)

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any | None,
    ) -> list[Any]:
        """With ``use_batch_api`` (field or per call): one Batch API job, blocking until it is done;
        ``max_concurrency`` does not apply. Otherwise LangChain's concurrent ``invoke`` calls."""
        model = _model(self)
        if not inputs or not _wants_batch_api(model, kwargs):
            return cast(
                "list[Any]",
                super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs),  # type: ignore[misc]
            )
        from ._batch_job import run_batch

        return run_batch(model, inputs, config, return_exceptions=return_exceptions, kwargs=kwargs)

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any | None,
    ) -> list[Any]:
        """Async :meth:`batch`."""
        model = _model(self)
        if not inputs or not _wants_batch_api(model, kwargs):
            return cast(
                "list[Any]",
                await super().abatch(inputs, config, return_exceptions=return_exceptions, **kwargs),  # type: ignore[misc]
            )
        from ._batch_job import arun_batch

        return await arun_batch(model, inputs, config, return_exceptions=return_exceptions, kwargs=kwargs)

    def bind(self, **kwargs: Any) -> NanoGPTBinding:
        """``Runnable.bind``, returning a :class:`NanoGPTBinding`."""
        return NanoGPTBinding(bound=_model(self), kwargs=kwargs, config={})

    def with_config(
        self, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """``Runnable.with_config``, returning a :class:`NanoGPTBinding`."""
        return NanoGPTBinding(
            bound=_model(self), kwargs={}, config=cast("RunnableConfig", {**(config or {}), **kwargs})
        )
