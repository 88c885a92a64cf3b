"""Rows → a validated, encoded batch and the workflow it goes through; no I/O but a temporary file.

:func:`prepare_batch` reads the rows once, in order: each is validated (:mod:`.validation`),
encoded as an OpenAI-style JSONL line and spooled (:mod:`.spool`). The workflow is then chosen:
``"inline"`` when the job fits the inline limits (10,000 rows, 20 MiB, 250,000 requested output
tokens), else ``"file"``; a caller may force either, and forcing ``"inline"`` on a job that does not
fit raises before anything is sent, suggesting the file-backed workflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from .._base import encode_json
from .errors import BatchValidationError
from .models import Workflow
from .rows import RowInput
from .spool import RowSpool
from .validation import INLINE_MAX_BYTES, INLINE_MAX_OUTPUT_TOKENS, INLINE_MAX_ROWS, RowValidator

__all__ = ["PreparedBatch", "WorkflowChoice", "prepare_batch"]

#: ``"auto"`` picks inline when the job fits its limits, else the file-backed workflow.
WorkflowChoice = Literal["auto", "file", "inline"]


@dataclass
class PreparedBatch:
    """A validated job ready to send: endpoint, model, ids in input order, encoded rows."""

    endpoint: str
    model: str
    workflow: Workflow
    custom_ids: list[str]
    output_tokens: int
    spool: RowSpool = field(repr=False)

    @property
    def rows(self) -> int:
        return self.spool.rows

    @property
    def size_bytes(self) -> int:
        """Bytes of the JSONL."""
        return self.spool.bytes

    def inline_body(self) -> dict[str, Any]:
        """``POST /api/beta/batches``: ``{endpoint, model, requests: [{custom_id, body}]}``.

        The model moves to the batch ("the batch-level model is inherited by every request body",
        api-reference/endpoint/batches.mdx), so it is left out of each body, as in the page's example.
        """
        requests = []
        for line in self.spool.lines():
            row = json.loads(line)
            body = {k: v for k, v in row["body"].items() if k != "model"}
            requests.append({"custom_id": row["custom_id"], "body": body})
        return {"endpoint": self.endpoint, "model": self.model, "requests": requests}

    def jsonl_file(self) -> IO[bytes]:
        """The JSONL to upload, positioned at its start."""
        return self.spool.file()

    def close(self) -> None:
        """Delete the spooled rows."""
        self.spool.close()

    def __enter__(self) -> PreparedBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _inline_limit_error(index: int, custom_id: str, what: str) -> BatchValidationError:
    return BatchValidationError(
        f"the job exceeds the inline limit of {what} (api-reference/endpoint/batches.mdx); "
        'use workflow="file" (or "auto"), the file-backed workflow has no such limit',
        rule="inline_limit_exceeded",
        index=index,
        custom_id=custom_id,
    )


def prepare_batch(
    rows: Iterable[RowInput],
    *,
    endpoint: str | None = None,
    workflow: WorkflowChoice = "auto",
) -> PreparedBatch:
    """Validate and encode ``rows`` (any iterable, read once) and choose the workflow."""
    if workflow not in ("auto", "file", "inline"):
        raise ValueError(f'workflow must be "auto", "file" or "inline"; got {workflow!r}')
    validator = RowValidator(endpoint)
    spool = RowSpool(in_memory=workflow != "file")
    ids: list[str] = []
    tokens = 0
    try:
        for index, row in enumerate(rows):
            checked = validator.check(row, index)
            line = {
                "custom_id": checked.custom_id,
                "method": "POST",
                "url": checked.endpoint,
                "body": checked.body,
            }
            try:
                encoded = encode_json(line) + b"\n"
            except (TypeError, ValueError) as exc:
                raise BatchValidationError(
                    f"body is not JSON-serialisable: {exc}",
                    rule="invalid_row",
                    index=index,
                    custom_id=checked.custom_id,
                ) from None
            spool.add(encoded)
            ids.append(checked.custom_id)
            tokens += checked.output_tokens
            if workflow == "inline":
                if spool.rows > INLINE_MAX_ROWS:
                    raise _inline_limit_error(index, checked.custom_id, f"{INLINE_MAX_ROWS:,} rows")
                if spool.bytes > INLINE_MAX_BYTES:
                    raise _inline_limit_error(index, checked.custom_id, "20 MiB of input")
                if tokens > INLINE_MAX_OUTPUT_TOKENS:
                    raise _inline_limit_error(
                        index, checked.custom_id, f"{INLINE_MAX_OUTPUT_TOKENS:,} requested output tokens"
                    )
        if not ids:
            raise BatchValidationError("a batch needs at least one row", rule="empty_batch")
    except BaseException:
        spool.close()
        raise
    fits_inline = (
        spool.rows <= INLINE_MAX_ROWS
        and spool.bytes <= INLINE_MAX_BYTES
        and tokens <= INLINE_MAX_OUTPUT_TOKENS
    )
    chosen: Workflow = "inline" if workflow == "inline" or (workflow == "auto" and fits_inline) else "file"
    assert validator.endpoint is not None and validator.model is not None
    return PreparedBatch(
        endpoint=validator.endpoint,
        model=validator.model,
        workflow=chosen,
        custom_ids=ids,
        output_tokens=tokens,
        spool=spool,
    )
