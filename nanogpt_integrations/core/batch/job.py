"""A submitted batch: status, ``wait()`` with backoff and a deadline, results in input order, cancel.

:class:`BatchJobHandle` is what a job needs to be picked up again from another process or on
another day: the batch id, the workflow, the endpoint, and the input order (an inline job keeps its
≤ 10,000 ``custom_id`` s; a file-backed job names its input file, from which the order is read back).
It serialises to a small JSON object (:meth:`BatchJobHandle.to_json`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import IO, TYPE_CHECKING, Any

from .errors import BatchFailedError, BatchNotReadyError, BatchTimeoutError
from .models import CHAT_ENDPOINT, Batch, Workflow
from .results import BatchResult, join_files, join_lines, read_custom_ids
from .spool import new_temp_file

if TYPE_CHECKING:
    from .api import AsyncBatchClient, BatchClient

__all__ = ["DEFAULT_WAIT_TIMEOUT", "AsyncBatchJob", "BatchJob", "BatchJobHandle"]

#: A batch finishes or expires within its 24 h window; wait a little longer by default.
DEFAULT_WAIT_TIMEOUT = 25 * 3600.0
_BACKOFF = 1.5


@dataclass(frozen=True)
class BatchJobHandle:
    """The serialisable identity of a job (no key, no URL: re-attach with any configured client)."""

    batch_id: str
    workflow: Workflow
    endpoint: str | None = None
    input_file_id: str | None = None
    custom_ids: tuple[str, ...] | None = None

    @classmethod
    def inline(cls, batch_id: str, endpoint: str, custom_ids: Sequence[str]) -> BatchJobHandle:
        return cls(batch_id, "inline", endpoint, custom_ids=tuple(custom_ids))

    @classmethod
    def of(cls, batch: Batch, workflow: Workflow) -> BatchJobHandle:
        """The handle of a batch fetched by id (input order: its input file, if any)."""
        return cls(batch.id, workflow, batch.endpoint, input_file_id=batch.input_file_id)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.custom_ids is not None:
            out["custom_ids"] = list(self.custom_ids)
        return {k: v for k, v in out.items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchJobHandle:
        workflow = data.get("workflow")
        if not data.get("batch_id") or workflow not in ("file", "inline"):
            raise ValueError("a job handle needs batch_id and workflow ('file' or 'inline')")
        ids = data.get("custom_ids")
        return cls(
            batch_id=str(data["batch_id"]),
            workflow=workflow,
            endpoint=data.get("endpoint"),
            input_file_id=data.get("input_file_id"),
            custom_ids=tuple(str(i) for i in ids) if ids is not None else None,
        )

    @classmethod
    def from_json(cls, text: str) -> BatchJobHandle:
        return cls.from_dict(json.loads(text))


class _JobBase:
    """State and pure decisions shared by the sync and async jobs."""

    def __init__(self, handle: BatchJobHandle, custom_ids: Sequence[str] | None, last: Batch | None) -> None:
        self.handle = handle
        #: Input order; None until known (a re-attached file-backed job reads it from its input file).
        self._custom_ids: Sequence[str] | None = custom_ids if custom_ids is not None else handle.custom_ids
        self.last: Batch | None = last

    @property
    def id(self) -> str:
        return self.handle.batch_id

    @property
    def workflow(self) -> Workflow:
        return self.handle.workflow

    @property
    def custom_ids(self) -> Sequence[str] | None:
        """The input order, once known (a re-attached file-backed job learns it in ``results()``)."""
        return self._custom_ids

    @property
    def endpoint(self) -> str:
        return self.handle.endpoint or (self.last.endpoint if self.last else None) or CHAT_ENDPOINT

    def __repr__(self) -> str:
        status = self.last.status if self.last else None
        return f"{type(self).__name__}(id={self.id!r}, workflow={self.workflow!r}, status={status!r})"

    @staticmethod
    def _check_wait(timeout: float, poll_interval: float, max_poll_interval: float) -> None:
        if timeout <= 0 or poll_interval <= 0 or max_poll_interval < poll_interval:
            raise ValueError(
                "timeout and poll_interval must be > 0 and max_poll_interval >= poll_interval; "
                f"got {timeout}, {poll_interval}, {max_poll_interval}"
            )

    def _poller(
        self,
        timeout: float,
        poll_interval: float,
        max_poll_interval: float,
        on_poll: Callable[[Batch], None] | None,
    ) -> Callable[[Batch], float | None]:
        """A function called with each batch fetched: None once it is terminal, else the seconds to
        sleep (1.5x longer each time, capped); raises :class:`BatchTimeoutError` past the deadline."""
        self._check_wait(timeout, poll_interval, max_poll_interval)
        deadline = time.monotonic() + timeout
        interval = [poll_interval]

        def after(batch: Batch) -> float | None:
            if on_poll is not None:
                on_poll(batch)
            if batch.done:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout_error(batch, timeout)
            pause = min(interval[0], remaining)
            interval[0] = min(max_poll_interval, interval[0] * _BACKOFF)
            return pause

        return after

    def _timeout_error(self, batch: Batch, timeout: float) -> BatchTimeoutError:
        counts = batch.counts
        return BatchTimeoutError(
            f"batch {self.id} still {batch.status!r} after {timeout}s "
            f"({counts.completed + counts.failed}/{counts.total} rows done)",
            last=batch,
        )

    def _finished(self, batch: Batch) -> Batch:
        """``batch`` if its rows can be read; raises when it is still running or failed as a whole."""
        if not batch.done:
            raise BatchNotReadyError(
                f"batch {self.id} is {batch.status!r}; call wait() before results()", batch=batch
            )
        if batch.status == "failed":
            items = batch.error_items()
            detail = "; ".join(
                f"{e.code}: {e.message}" + (f" (line {e.line})" if e.line else "") for e in items
            )
            raise BatchFailedError(
                f"batch {self.id} failed: {detail or 'no reason given'}", batch=batch, errors=items
            )
        return batch

    def _terminal(self) -> Batch | None:
        """The batch last fetched if it is terminal (it no longer changes: no need to fetch again)."""
        return self.last if self.last is not None and self.last.done else None

    @staticmethod
    def _result_file_ids(batch: Batch) -> list[str]:
        """The files to download for a finished file-backed batch: output first, then errors."""
        return [file_id for file_id in (batch.output_file_id, batch.error_file_id) if file_id]

    def _input_file_id(self, batch: Batch) -> str:
        file_id = self.handle.input_file_id or batch.input_file_id
        if not file_id:
            raise BatchNotReadyError(
                f"batch {self.id} names no input file to read its row order from", batch=batch
            )
        return file_id

    def _inline_results(self, batch: Batch) -> Iterator[BatchResult]:
        return join_lines(self._custom_ids, batch.results or [], endpoint=self.endpoint, status=batch.status)

    def _file_results(
        self, batch: Batch, files: list[IO[bytes]], order: Sequence[str]
    ) -> Iterator[BatchResult]:
        try:
            yield from join_files(order, files, endpoint=self.endpoint, status=batch.status)
        finally:
            for handle in files:
                handle.close()


class BatchJob(_JobBase):
    """A batch job bound to a :class:`BatchClient`."""

    def __init__(
        self,
        client: BatchClient,
        handle: BatchJobHandle,
        *,
        custom_ids: Sequence[str] | None = None,
        last: Batch | None = None,
    ) -> None:
        super().__init__(handle, custom_ids, last)
        self._client = client

    def status(self) -> Batch:
        """Fetch the batch now (status, ``request_counts``, file ids)."""
        self.last = self._client.retrieve_batch(self.id, workflow=self.workflow)
        return self.last

    def cancel(self) -> Batch:
        """Ask NanoGPT to cancel (best effort; rows already done keep their results)."""
        self.last = self._client.cancel_batch(self.id, workflow=self.workflow)
        return self.last

    def wait(
        self,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        on_poll: Callable[[Batch], None] | None = None,
    ) -> Batch:
        """Poll until the batch is terminal; the interval grows 1.5x per poll up to ``max_poll_interval``.

        Past ``timeout`` seconds raises :class:`BatchTimeoutError` with the last status seen.
        ``on_poll`` is called with every batch fetched (progress displays).
        """
        after = self._poller(timeout, poll_interval, max_poll_interval, on_poll)
        while True:
            batch = self.status()
            pause = after(batch)
            if pause is None:
                return batch
            time.sleep(pause)

    def results(self) -> Iterator[BatchResult]:
        """One :class:`BatchResult` per input row, in input order (a finished batch only).

        File-backed results are downloaded to temporary files first and read back one row at a time.
        Raises :class:`BatchNotReadyError` while running, :class:`BatchFailedError` if the batch failed.
        """
        batch = self._finished(self._terminal() or self.status())
        if self.workflow == "inline":
            return self._inline_results(batch)
        files: list[IO[bytes]] = []
        try:
            for file_id in self._result_file_ids(batch):
                files.append(new_temp_file())
                self._client.download_file(file_id, files[-1])
            order = self._custom_ids if self._custom_ids is not None else self._input_order(batch)
        except BaseException:
            for handle in files:
                handle.close()
            raise
        self._custom_ids = order
        return self._file_results(batch, files, order)

    def _input_order(self, batch: Batch) -> list[str]:
        with new_temp_file() as handle:
            self._client.download_file(self._input_file_id(batch), handle)
            return read_custom_ids(handle)


class AsyncBatchJob(_JobBase):
    """A batch job bound to an :class:`AsyncBatchClient`."""

    def __init__(
        self,
        client: AsyncBatchClient,
        handle: BatchJobHandle,
        *,
        custom_ids: Sequence[str] | None = None,
        last: Batch | None = None,
    ) -> None:
        super().__init__(handle, custom_ids, last)
        self._client = client

    async def status(self) -> Batch:
        """Fetch the batch now."""
        self.last = await self._client.retrieve_batch(self.id, workflow=self.workflow)
        return self.last

    async def cancel(self) -> Batch:
        """Ask NanoGPT to cancel (best effort)."""
        self.last = await self._client.cancel_batch(self.id, workflow=self.workflow)
        return self.last

    async def wait(
        self,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = 2.0,
        max_poll_interval: float = 60.0,
        on_poll: Callable[[Batch], None] | None = None,
    ) -> Batch:
        """Poll until terminal, with backoff and a deadline (see :meth:`BatchJob.wait`)."""
        after = self._poller(timeout, poll_interval, max_poll_interval, on_poll)
        while True:
            batch = await self.status()
            pause = after(batch)
            if pause is None:
                return batch
            await asyncio.sleep(pause)

    async def results(self) -> Iterator[BatchResult]:
        """Download what is needed, then iterate rows in input order (see :meth:`BatchJob.results`)."""
        batch = self._finished(self._terminal() or await self.status())
        if self.workflow == "inline":
            return self._inline_results(batch)
        files: list[IO[bytes]] = []
        try:
            for file_id in self._result_file_ids(batch):
                files.append(new_temp_file())
                await self._client.download_file(file_id, files[-1])
            order = self._custom_ids if self._custom_ids is not None else await self._input_order(batch)
        except BaseException:
            for handle in files:
                handle.close()
            raise
        self._custom_ids = order
        return self._file_results(batch, files, order)

    async def _input_order(self, batch: Batch) -> list[str]:
        with new_temp_file() as handle:
            await self._client.download_file(self._input_file_id(batch), handle)
            return read_custom_ids(handle)
