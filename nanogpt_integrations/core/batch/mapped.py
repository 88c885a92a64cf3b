"""A batch job as a framework adapter presents it: rows built by the one request builder, replies
converted to the framework's type, in input order, from sync or async code.

LangChain's and LlamaIndex's ``NanoGPTBatchJob`` subclass :class:`MappedBatchJob` and only say how
the rows' replies become their objects (:meth:`MappedBatchJob._convert`). What both need lives here:
turning each input's finished request into a row (:func:`wire_rows`, errors naming the row), status,
cancel, waiting and re-attaching from either a sync or an async client, results read once and kept,
rows refused before upload put back in place, and the totals of usage and cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, overload

from .api import AsyncBatchClient, BatchClient
from .errors import BatchValidationError
from .job import DEFAULT_WAIT_TIMEOUT, AsyncBatchJob, BatchJob, BatchJobHandle
from .results import BatchResult
from .rows import BatchRequest
from .validation import RowValidator

if TYPE_CHECKING:
    from ..accumulator import AssistantTurn
    from ..async_client import AsyncNanoGPTClient
    from ..client import NanoGPTClient
    from ..request import WireRequest
    from .models import Batch, Workflow

__all__ = ["BatchTotals", "MappedBatchJob", "RowOutcome", "wire_rows"]

T = TypeVar("T")
X = TypeVar("X")


@dataclass(frozen=True)
class RowOutcome:
    """One submitted row once read: the core result, its reply as a turn, or its error."""

    result: BatchResult
    turn: AssistantTurn | None = None
    error: BaseException | None = None

    @classmethod
    def of(cls, result: BatchResult) -> RowOutcome:
        if result.error is not None:
            return cls(result, error=result.error)
        try:
            return cls(result, turn=result.turn())
        except Exception as exc:  # a reply the turn builders refuse is that row's error
            return cls(result, error=exc)


@dataclass(frozen=True)
class BatchTotals:
    """Rows, tokens and the cost NanoGPT reported (batch price) over a job's results."""

    rows: int = 0
    succeeded: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    cost: float = 0.0

    @classmethod
    def of(cls, outcomes: Iterable[RowOutcome], refused: int = 0) -> BatchTotals:
        """Totals of ``outcomes`` (``refused`` rows never sent count as failed)."""
        counts = dict.fromkeys(
            (
                "input_tokens",
                "output_tokens",
                "total_tokens",
                "cache_read_tokens",
                "cache_creation_tokens",
                "reasoning_tokens",
            ),
            0,
        )
        rows = succeeded = 0
        cost = 0.0
        for outcome in outcomes:
            rows += 1
            turn = outcome.turn
            if turn is None:
                continue
            succeeded += 1
            if turn.usage is not None:
                for name in counts:
                    counts[name] += getattr(turn.usage, name)
            cost += turn.cost or 0.0
        return cls(rows + refused, succeeded, rows - succeeded + refused, **counts, cost=cost)


def _custom_id(custom_ids: Sequence[str] | None, index: int) -> str:
    if custom_ids is None:
        return f"row-{index}"
    if index >= len(custom_ids):
        raise BatchValidationError(
            f"there are more inputs than custom_ids ({len(custom_ids)})",
            rule="invalid_custom_id",
            index=index,
        )
    return custom_ids[index]


def wire_rows(
    items: Iterable[X],
    build: Callable[[X], WireRequest],
    *,
    custom_ids: Sequence[str] | None = None,
    refused: dict[int, BaseException] | None = None,
) -> Iterator[BatchRequest]:
    """Each item's finished request (``build``: the adapter's request path) as a batch row, lazily.

    Rows are ``row-<index>`` unless ``custom_ids`` names them. A ``ValueError`` / ``TypeError`` from
    ``build`` becomes a :class:`BatchValidationError` naming the row (rule ``invalid_request``).
    With ``refused`` (a dict), a row that cannot be built or breaks a Batch API rule is recorded
    there under its index and left out, instead of failing the job (``return_exceptions=True``).
    """
    validator = RowValidator() if refused is not None else None
    count = 0
    for index, item in enumerate(items):
        count += 1
        custom_id = _custom_id(custom_ids, index)
        try:
            try:
                wire = build(item)
            except BatchValidationError:
                raise
            except (ValueError, TypeError) as exc:
                raise BatchValidationError(
                    str(exc), rule="invalid_request", index=index, custom_id=custom_id
                ) from exc
            row = BatchRequest(wire.body, custom_id=custom_id, endpoint=wire.route, headers=wire.headers)
            if validator is not None:
                validator.check(row, index)
        except BatchValidationError as exc:
            if refused is None:
                raise
            refused[index] = exc
            continue
        yield row
    if custom_ids is not None and count != len(custom_ids):
        raise BatchValidationError(
            f"{len(custom_ids)} custom_ids for {count} inputs; give one per input", rule="invalid_custom_id"
        )


class MappedBatchJob(Generic[T]):
    """A submitted (or re-attached) batch job whose rows come back as ``T``, in input order.

    Works from sync and async code alike, whichever submitted it: each call goes through the
    adapter's current sync or async core client (never closed here). ``results()`` downloads and
    converts once; later calls return the same objects (so callbacks and totals count them once).
    """

    def __init__(
        self,
        job: BatchJob | AsyncBatchJob,
        *,
        sync_client: Callable[[], NanoGPTClient],
        async_client: Callable[[], AsyncNanoGPTClient],
        refused: Mapping[int, BaseException] | None = None,
    ) -> None:
        self.handle: BatchJobHandle = job.handle
        self.last: Batch | None = job.last
        self._ids = job.custom_ids
        self._sync_client = sync_client
        self._async_client = async_client
        self._refused = dict(refused or {})
        self._outputs: list[T | BaseException] | None = None
        self._totals: BatchTotals | None = None

    # -- identity ---------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The batch id (re-attach with it, or with ``handle.to_json()``)."""
        return self.handle.batch_id

    @property
    def workflow(self) -> Workflow:
        return self.handle.workflow

    @property
    def totals(self) -> BatchTotals | None:
        """Rows, tokens and cost of the results, once they were read (None before)."""
        return self._totals

    def __repr__(self) -> str:
        status = self.last.status if self.last else None
        return f"{type(self).__name__}(id={self.id!r}, workflow={self.workflow!r}, status={status!r})"

    # -- the core job, from whichever client is asked -------------------------------------------

    def _sync(self) -> BatchJob:
        client = BatchClient(self._sync_client())
        return BatchJob(client, self.handle, custom_ids=self._ids, last=self.last)

    def _async(self) -> AsyncBatchJob:
        client = AsyncBatchClient(self._async_client())
        return AsyncBatchJob(client, self.handle, custom_ids=self._ids, last=self.last)

    def _seen(self, job: BatchJob | AsyncBatchJob) -> None:
        self.last = job.last
        self._ids = job.custom_ids

    # -- status, cancel, wait ------------------------------------------------------------------------

    def status(self) -> Batch:
        """Fetch the batch now (status, ``request_counts``)."""
        job = self._sync()
        batch = job.status()
        self._seen(job)
        return batch

    async def astatus(self) -> Batch:
        """Async :meth:`status`."""
        job = self._async()
        batch = await job.status()
        self._seen(job)
        return batch

    def cancel(self) -> Batch:
        """Ask NanoGPT to cancel (best effort; rows already done keep their results)."""
        job = self._sync()
        batch = job.cancel()
        self._seen(job)
        return batch

    async def acancel(self) -> Batch:
        """Async :meth:`cancel`."""
        job = self._async()
        batch = await job.cancel()
        self._seen(job)
        return batch

    def wait(
        self,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        on_poll: Callable[[Batch], None] | None = None,
    ) -> Batch:
        """Poll until the batch is terminal (interval x1.5 per poll up to ``max_poll_interval``);
        :class:`~.errors.BatchTimeoutError` past ``timeout`` seconds."""
        job = self._sync()
        try:
            return job.wait(
                timeout=timeout,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                on_poll=on_poll,
            )
        finally:
            self._seen(job)

    async def await_completion(
        self,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        on_poll: Callable[[Batch], None] | None = None,
    ) -> Batch:
        """Async :meth:`wait`."""
        job = self._async()
        try:
            return await job.wait(
                timeout=timeout,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                on_poll=on_poll,
            )
        finally:
            self._seen(job)

    # -- results --------------------------------------------------------------------------------------

    @overload
    def results(self, *, return_exceptions: Literal[False] = False) -> list[T]: ...
    @overload
    def results(self, *, return_exceptions: bool) -> list[T | BaseException]: ...

    def results(self, *, return_exceptions: bool = False) -> list[T] | list[T | BaseException]:
        """One output per input, in input order (a finished batch only; ``BatchNotReadyError`` while
        it runs). A failed row raises its error, or with ``return_exceptions=True`` is that error."""
        if self._outputs is None:
            job = self._sync()
            outcomes = [RowOutcome.of(result) for result in job.results()]
            self._seen(job)
            self._store(outcomes, self._convert(outcomes))
        return self._pick(return_exceptions)

    @overload
    async def aresults(self, *, return_exceptions: Literal[False] = False) -> list[T]: ...
    @overload
    async def aresults(self, *, return_exceptions: bool) -> list[T | BaseException]: ...

    async def aresults(self, *, return_exceptions: bool = False) -> list[T] | list[T | BaseException]:
        """Async :meth:`results`."""
        if self._outputs is None:
            job = self._async()
            outcomes = [RowOutcome.of(result) for result in await job.results()]
            self._seen(job)
            self._store(outcomes, await self._aconvert(outcomes))
        return self._pick(return_exceptions)

    def wait_results(
        self,
        *,
        return_exceptions: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        on_poll: Callable[[Batch], None] | None = None,
    ) -> list[T] | list[T | BaseException]:
        """:meth:`wait`, then :meth:`results`."""
        self.wait(
            timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval, on_poll=on_poll
        )
        return self.results(return_exceptions=return_exceptions)

    async def await_results(
        self,
        *,
        return_exceptions: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        on_poll: Callable[[Batch], None] | None = None,
    ) -> list[T] | list[T | BaseException]:
        """Async :meth:`wait_results`: ``await job.await_results()``."""
        await self.await_completion(
            timeout=timeout, poll_interval=poll_interval, max_poll_interval=max_poll_interval, on_poll=on_poll
        )
        return await self.aresults(return_exceptions=return_exceptions)

    def _store(self, outcomes: list[RowOutcome], converted: list[T | BaseException]) -> None:
        self._totals = BatchTotals.of(outcomes, refused=len(self._refused))
        if not self._refused:
            self._outputs = converted
            return
        pending = iter(converted)
        size = len(converted) + len(self._refused)
        self._outputs = [
            self._refused[index] if index in self._refused else next(pending) for index in range(size)
        ]

    def _pick(self, return_exceptions: bool) -> list[T] | list[T | BaseException]:
        assert self._outputs is not None
        if not return_exceptions:
            for output in self._outputs:
                if isinstance(output, BaseException):
                    raise output
        return list(self._outputs)

    # -- what an adapter provides -------------------------------------------------------------------

    def _convert(self, outcomes: list[RowOutcome]) -> list[T | BaseException]:
        """The adapter's object (or the row's error) for each outcome, in order."""
        raise NotImplementedError

    async def _aconvert(self, outcomes: list[RowOutcome]) -> list[T | BaseException]:
        """Async :meth:`_convert` (defaults to it)."""
        return self._convert(outcomes)
