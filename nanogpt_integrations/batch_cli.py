"""``nanogpt-batch``: submit, watch and collect NanoGPT Batch API jobs from a shell.

    nanogpt-batch submit rows.jsonl [--wait] [--save-handle job.json]
    nanogpt-batch status ID | wait ID | results ID -o out.jsonl | cancel ID | list

``rows.jsonl`` holds OpenAI-style rows (``{"custom_id", "method", "url", "body"}``), validated before
anything is uploaded. ``ID`` is a batch id or a handle file saved by ``submit --save-handle``.
On a terminal, progress is a line on stderr (rows done / total, elapsed); otherwise every event is
a JSON line on stdout for scripts. The key comes from ``NANOGPT_API_KEY`` (or ``--api-key``), the
URL from ``--base-url`` / ``NANOGPT_BASE_URL`` (default: the Batch API host).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

from .core.batch import Batch, BatchClient, BatchJob, BatchJobHandle, BatchResult
from .core.errors import NanoGPTError

__all__ = ["main"]

PROG = "nanogpt-batch"


class Output:
    """Human text and a progress line on a terminal; JSON lines on stdout otherwise."""

    def __init__(self, out: TextIO, err: TextIO, machine: bool | None = None) -> None:
        self.out, self.err = out, err
        self.machine = not err.isatty() if machine is None else machine
        self._width = 0
        self.started = time.monotonic()

    def event(self, kind: str, text: str, **data: Any) -> None:
        """One result: a JSON line (machine) or ``text`` (terminal)."""
        self.clear_progress()
        if self.machine:
            self.out.write(json.dumps({"event": kind, **data}, default=str) + "\n")
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def progress(self, batch: Batch) -> None:
        """Rows done / total and elapsed time: redrawn in place on a terminal, a JSON line otherwise."""
        counts = batch.counts
        done, total = counts.completed + counts.failed, counts.total
        elapsed = time.monotonic() - self.started
        if self.machine:
            self.event("progress", "", id=batch.id, status=batch.status, done=done, total=total,
                       failed=counts.failed, elapsed=round(elapsed, 1))  # fmt: skip
            return
        share = done / total if total else 0.0
        filled = int(share * 24)
        minutes, seconds = divmod(int(elapsed), 60)
        line = (
            f"\r[{'#' * filled}{'.' * (24 - filled)}] {done:,}/{total:,} rows {share:6.1%} "
            f"{batch.status or '?':<11} {minutes:02d}:{seconds:02d}"
        )
        self._width = max(self._width, len(line) - 1)
        self.err.write(line.ljust(self._width + 1))
        self.err.flush()

    def clear_progress(self) -> None:
        if self._width and not self.machine:
            self.err.write("\r" + " " * self._width + "\r")
            self.err.flush()
            self._width = 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Run NanoGPT Batch API jobs (half price, within 24 h)."
    )
    parser.add_argument("--api-key", default=None, help="default: $NANOGPT_API_KEY")
    parser.add_argument("--base-url", default=None, help="default: $NANOGPT_BASE_URL or the Batch API host")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout even on a terminal")
    commands = parser.add_subparsers(dest="command", required=True)
    submit = commands.add_parser("submit", help="validate and submit a JSONL file of rows")
    submit.add_argument("rows", type=Path)
    submit.add_argument(
        "--endpoint", default=None, help="/v1/chat/completions or /v1/responses (default: the rows' url)"
    )
    submit.add_argument("--workflow", choices=["auto", "file", "inline"], default="auto")
    submit.add_argument("--save-handle", type=Path, default=None, help="write the job handle (JSON) here")
    submit.add_argument("--wait", action="store_true", help="then wait until the batch finishes")
    for name, text in (
        ("status", "show a batch"),
        ("wait", "wait until a batch finishes"),
        ("cancel", "cancel a batch"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("id", help="batch id or saved handle file")
    results = commands.add_parser("results", help="write one JSON line per input row, in input order")
    results.add_argument("id", help="batch id or saved handle file")
    results.add_argument("-o", "--output", type=Path, default=None, help="default: stdout")
    listing = commands.add_parser("list", help="list file-backed batches, newest first")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--after", default=None)
    for command in (submit, commands.choices["wait"]):
        command.add_argument("--timeout", type=float, default=25 * 3600.0, help="seconds (default 25 h)")
        command.add_argument("--poll", type=float, default=2.0, help="first poll interval in seconds")
    return parser


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    """The file's rows, one at a time (never the whole file in memory)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise ValueError(f"{path}:{number}: not a JSON line") from None


def _attach(client: BatchClient, ref: str) -> BatchJob:
    path = Path(ref)
    if ref.endswith(".json") and path.is_file():
        return client.attach(BatchJobHandle.from_json(path.read_text()))
    return client.attach(ref)


def _describe(batch: Batch) -> str:
    counts = batch.counts
    text = f"{batch.id}  {batch.status}  {counts.completed + counts.failed}/{counts.total} rows"
    return text + (f" ({counts.failed} failed)" if counts.failed else "")


def _batch_event(output: Output, kind: str, batch: Batch) -> None:
    output.event(kind, _describe(batch), batch=batch.model_dump(mode="json", exclude_none=True))


def _wait(output: Output, job: BatchJob, timeout: float, poll: float) -> Batch:
    batch = job.wait(
        timeout=timeout, poll_interval=poll, max_poll_interval=max(poll, 30.0), on_poll=output.progress
    )
    _batch_event(output, "done", batch)
    return batch


def _row_json(row: BatchResult) -> dict[str, Any]:
    out: dict[str, Any] = {"index": row.index, "custom_id": row.custom_id, "status_code": row.status_code}
    if row.reply is not None:
        out["response"] = row.reply.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if row.error is not None:
        error = row.error
        out["error"] = {
            "message": error.message,
            "status": error.status,
            "code": error.code,
            "type": error.type,
        }
    return out


def _results(output: Output, job: BatchJob, target: IO[str]) -> None:
    ok = failed = 0
    cost = 0.0
    tokens = 0
    for row in job.results():
        target.write(json.dumps(_row_json(row), ensure_ascii=False) + "\n")
        ok, failed = ok + row.ok, failed + (not row.ok)
        cost += row.cost or 0.0
        tokens += row.usage.total_tokens if row.usage else 0
    target.flush()
    output.event(
        "results",
        f"{ok + failed:,} rows: {ok:,} ok, {failed:,} failed; {tokens:,} tokens, ${cost:.6f} (batch price)",
        id=job.id, rows=ok + failed, ok=ok, failed=failed, total_tokens=tokens, cost=round(cost, 10),
    )  # fmt: skip


def run(args: argparse.Namespace, output: Output) -> int:
    """Run one parsed command; returns the exit code."""
    with BatchClient(api_key=args.api_key, base_url=args.base_url) as client:
        if args.command == "submit":
            job = client.submit(_rows(args.rows), endpoint=args.endpoint, workflow=args.workflow)
            if args.save_handle is not None:
                args.save_handle.write_text(job.handle.to_json())
            assert job.last is not None
            output.event(
                "submitted",
                f"{_describe(job.last)}  ({job.workflow} workflow)",
                id=job.id, workflow=job.workflow, handle=job.handle.to_dict(),
            )  # fmt: skip
            if args.wait:
                _wait(output, job, args.timeout, args.poll)
        elif args.command == "status":
            _batch_event(output, "status", _attach(client, args.id).status())
        elif args.command == "wait":
            batch = _wait(output, _attach(client, args.id), args.timeout, args.poll)
            return 0 if batch.status == "completed" else 3
        elif args.command == "cancel":
            _batch_event(output, "cancelled", _attach(client, args.id).cancel())
        elif args.command == "results":
            job = _attach(client, args.id)
            if args.output is None:
                _results(output, job, output.out)
            else:
                with args.output.open("w", encoding="utf-8") as target:
                    _results(output, job, target)
        elif args.command == "list":
            page = client.list_batches(limit=args.limit, after=args.after)
            for batch in page.data:
                _batch_event(output, "batch", batch)
            if page.has_more:
                output.event("more", f"more: --after {page.last_id}", after=page.last_id)
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``nanogpt-batch``; returns the exit code (0 ok, 1 error, 3 batch not completed)."""
    args = _parser().parse_args(argv)
    stdout, stderr = out or sys.stdout, err or sys.stderr
    output = Output(stdout, stderr, machine=True if args.json else None)
    try:
        return run(args, output)
    except KeyboardInterrupt:
        output.clear_progress()
        stderr.write(f"{PROG}: interrupted\n")
        return 130
    except (NanoGPTError, ValueError, OSError) as exc:
        output.clear_progress()
        if output.machine:
            output.event(
                "error", "", type=type(exc).__name__, message=str(exc), code=getattr(exc, "code", None)
            )
        stderr.write(f"{PROG}: {type(exc).__name__}: {exc}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
