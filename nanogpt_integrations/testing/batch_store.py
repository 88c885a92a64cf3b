"""The emulator's Batch API state: uploaded files, batches of both workflows, their progression.

A batch moves ``validating → in_progress → finalizing → completed`` (or ``failed`` at validation,
``cancelling → cancelled``, ``expired``), as listed in ``api-reference/endpoint/batches.mdx``.
By default each phase lasts :attr:`BatchStore.phase_seconds` of real time, checked whenever the
batch is read; with ``auto = False`` only :meth:`BatchStore.advance` moves it (deterministic tests).
Rows run (through the emulator's own chat and Responses handlers) when ``in_progress`` ends.

Supported batch token usage is "priced 50% below the equivalent synchronous request" (same page):
each row's ``x_nanogpt_pricing`` carries the halved charge; :class:`StoredBatch` keeps both totals
(``cost`` and ``sync_cost``) for tests and notebooks to compare.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .batch_rows import Row, execute_row, validate_rows

__all__ = ["BatchStore", "StoredBatch", "StoredFile"]

#: The completion window is 24 h (api-reference/endpoint/batches.mdx).
WINDOW_SECONDS = 24 * 3600
_ACTIVE = ("validating", "in_progress", "finalizing", "cancelling")


@dataclass
class StoredFile:
    """An uploaded input file or a generated output / error file."""

    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int = field(default_factory=lambda: int(time.time()))

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class StoredBatch:
    """One batch; ``rows`` are parsed at validation (file-backed) or creation (inline)."""

    id: str
    workflow: str  # "file" | "inline"
    endpoint: str
    model: str | None
    rows: list[Row]
    input_file_id: str | None = None
    metadata: dict[str, Any] | None = None
    status: str = "validating"
    created_at: int = field(default_factory=lambda: int(time.time()))
    stamps: dict[str, int] = field(default_factory=dict)
    entered: float = field(default_factory=time.monotonic)  # when the current phase began
    errors: list[dict[str, Any]] = field(default_factory=list)
    completed: int = 0
    failed: int = 0
    done_rows: int = 0  # rows run before a cancel or expiry
    output_file_id: str | None = None
    error_file_id: str | None = None
    results: list[dict[str, Any]] | None = None
    cost: float = 0.0
    sync_cost: float = 0.0
    seq: int = 0  # creation order (``created_at`` has one-second resolution)
    lines: int = 0  # non-empty input lines, the total shown before validation parses them

    def json(self, total_progress: int | None = None) -> dict[str, Any]:
        """The batch object (OpenAI-compatible fields; inline batches add ``model`` and ``results``)."""
        total = len(self.rows) or self.lines
        out: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "completion_window": "24h",
            "status": self.status,
            "created_at": self.created_at,
            "expires_at": self.created_at + WINDOW_SECONDS,
            **{f"{name}_at": self.stamps.get(name) for name in _STAMPS},
            "request_counts": {
                "total": total,
                "completed": self.completed if total_progress is None else total_progress,
                "failed": self.failed,
            },
            "metadata": self.metadata,
        }
        if self.workflow == "inline":
            out["model"] = self.model
            out["results"] = self.results
        else:
            out.update(
                input_file_id=self.input_file_id,
                output_file_id=self.output_file_id,
                error_file_id=self.error_file_id,
            )
        return out


_STAMPS = ("in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled")


def _shuffled(lines: list[tuple[str, bytes]]) -> list[bytes]:
    """Result lines in a stable order unrelated to the input order (clients must join by custom_id)."""
    return [line for _, line in sorted(lines, key=lambda item: hashlib.sha1(item[0].encode()).digest())]


class BatchStore:
    """Files and batches; thread-safe. ``state`` is the emulator state rows run against."""

    def __init__(self, state: Any) -> None:
        self._state = state
        self._lock = threading.RLock()
        self.phase_seconds = 0.2
        self.auto = True
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}

    def clear(self) -> None:
        """Forget every file and batch; back to timed progression."""
        with self._lock:
            self.files.clear()
            self.batches.clear()
            self.phase_seconds = 0.2
            self.auto = True

    # -- files ----------------------------------------------------------------------------------

    def add_file(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        stored = StoredFile(f"file-{uuid.uuid4().hex[:24]}", filename, purpose, data)
        with self._lock:
            self.files[stored.id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self.files.get(file_id)

    # -- batches --------------------------------------------------------------------------------

    def add_batch(self, batch: StoredBatch) -> StoredBatch:
        with self._lock:
            batch.seq = len(self.batches)
            self.batches[batch.id] = batch
        return batch

    def get(self, batch_id: str) -> StoredBatch | None:
        """The batch after applying any timed progress (None when unknown)."""
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is not None and self.auto:
                self._catch_up(batch)
            return batch

    def view(self, batch: StoredBatch) -> dict[str, Any]:
        """The batch's JSON; while running on a timer, ``completed`` grows with elapsed time."""
        with self._lock:
            progress = None
            if self.auto and batch.status == "in_progress" and self.phase_seconds > 0:
                share = min(1.0, (time.monotonic() - batch.entered) / self.phase_seconds)
                progress = int(len(batch.rows) * share)
            return batch.json(progress)

    def listing(self) -> list[StoredBatch]:
        """File-backed batches, newest first."""
        with self._lock:
            found = [b for b in self.batches.values() if b.workflow == "file"]
        return sorted(found, key=lambda b: b.seq, reverse=True)

    def advance(self, batch_id: str | None = None, *, to_end: bool = False) -> None:
        """Move one batch (or every active one) a phase on, or to a terminal status with ``to_end``."""
        with self._lock:
            targets = [self.batches[batch_id]] if batch_id else list(self.batches.values())
            for batch in targets:
                while batch.status in _ACTIVE:
                    self._step(batch)
                    if not to_end:
                        break

    def cancel(self, batch: StoredBatch) -> None:
        """``cancelling`` now (rows already run keep their results), ``cancelled`` a phase later."""
        with self._lock:
            if batch.status == "in_progress" and self.auto and self.phase_seconds > 0:
                share = min(1.0, (time.monotonic() - batch.entered) / self.phase_seconds)
                batch.done_rows = int(len(batch.rows) * share)
            self._enter(batch, "cancelling")

    def expire(self, batch_id: str) -> None:
        """End an active batch as ``expired`` (its 24 h window passed); rows not run get no result."""
        with self._lock:
            batch = self.batches[batch_id]
            if batch.status in _ACTIVE:
                self._finish(batch, "expired", batch.done_rows)

    # -- progression ----------------------------------------------------------------------------

    def _catch_up(self, batch: StoredBatch) -> None:
        if batch.status in _ACTIVE and time.time() >= batch.created_at + WINDOW_SECONDS:
            self._finish(batch, "expired", batch.done_rows)
        while batch.status in _ACTIVE and time.monotonic() - batch.entered >= self.phase_seconds:
            # A phase ends phase_seconds after it began, however rarely the batch is polled.
            self._step(batch, at=batch.entered + self.phase_seconds)

    def _enter(self, batch: StoredBatch, status: str, at: float | None = None) -> None:
        batch.status = status
        batch.entered = time.monotonic() if at is None else at
        if status in _STAMPS:
            batch.stamps[status] = int(time.time())

    def _step(self, batch: StoredBatch, at: float | None = None) -> None:
        if batch.status == "validating":
            if batch.workflow == "file" and not batch.rows:
                batch.rows, batch.errors = validate_rows(self._input(batch), batch.endpoint)
                if batch.errors:
                    batch.rows = []
                    self._enter(batch, "failed", at)
                    return
            self._enter(batch, "in_progress", at)
        elif batch.status == "in_progress":
            self._run(batch, len(batch.rows))
            self._enter(batch, "finalizing", at)
        elif batch.status == "finalizing":
            self._enter(batch, "completed", at)
        elif batch.status == "cancelling":
            self._run(batch, batch.done_rows)
            self._enter(batch, "cancelled", at)

    def _input(self, batch: StoredBatch) -> bytes:
        stored = self.files.get(batch.input_file_id or "")
        return stored.data if stored is not None else b""

    def _finish(self, batch: StoredBatch, status: str, rows_run: int) -> None:
        self._run(batch, rows_run)
        self._enter(batch, status)

    def _run(self, batch: StoredBatch, count: int) -> None:
        """Run the first ``count`` rows (once) and publish their results."""
        if batch.results is not None or batch.output_file_id or batch.error_file_id:
            return
        good: list[tuple[str, bytes]] = []
        bad: list[tuple[str, bytes]] = []
        entries: list[dict[str, Any]] = []
        for row in batch.rows[:count]:
            line, ok, full, charged = execute_row(self._state, batch, row)
            batch.sync_cost += full
            batch.cost += charged
            if batch.workflow == "inline":
                entries.append(line)
            (good if ok else bad).append(
                (row.custom_id, json.dumps(line, ensure_ascii=False).encode() + b"\n")
            )
        batch.completed, batch.failed, batch.done_rows = len(good), len(bad), count
        if batch.workflow == "inline":
            batch.results = sorted(entries, key=lambda e: hashlib.sha1(e["custom_id"].encode()).digest())
            return
        if good:
            batch.output_file_id = self.add_file(
                f"{batch.id}_output.jsonl", "batch_output", b"".join(_shuffled(good))
            ).id
        if bad:
            batch.error_file_id = self.add_file(
                f"{batch.id}_error.jsonl", "batch_output", b"".join(_shuffled(bad))
            ).id
