"""Wire types of the Batch API (``api-reference/endpoint/batches.mdx``): files, batches, result lines.

The page documents the routes, the statuses and the JSONL rules but not every field of the objects;
the file-backed workflow is "OpenAI-compatible", so the fields follow OpenAI's ``file`` and ``batch``
objects. Unknown keys are kept (``model_extra``); every field may be missing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .._wire import WireModel

__all__ = [
    "CHAT_ENDPOINT",
    "ENDPOINTS",
    "RESPONSES_ENDPOINT",
    "STATUSES",
    "TERMINAL_STATUSES",
    "Batch",
    "BatchErrorItem",
    "BatchList",
    "BatchOutputLine",
    "BatchRequestCounts",
    "Endpoint",
    "FileObject",
    "OutputResponse",
    "Workflow",
]

#: The two endpoints a batch row may target (``api-reference/endpoint/batches.mdx``).
CHAT_ENDPOINT = "/v1/chat/completions"
RESPONSES_ENDPOINT = "/v1/responses"
ENDPOINTS: tuple[str, ...] = (CHAT_ENDPOINT, RESPONSES_ENDPOINT)
Endpoint = Literal["/v1/chat/completions", "/v1/responses"]

#: ``"file"``: JSONL upload on ``/api/v1``; ``"inline"``: requests in the body on ``/api/beta``.
Workflow = Literal["file", "inline"]

STATUSES: tuple[str, ...] = (
    "validating",
    "in_progress",
    "finalizing",
    "completed",
    "failed",
    "expired",
    "cancelling",
    "cancelled",
)
TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


class FileObject(WireModel):
    """``POST /files`` and ``GET /files/{id}``."""

    id: str
    object: str | None = None
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None


class BatchRequestCounts(WireModel):
    """Rows in total, done and failed so far."""

    total: int = 0
    completed: int = 0
    failed: int = 0


class BatchErrorItem(WireModel):
    """One batch-level error (a whole file rejected at validation, OpenAI's ``errors.data[]``)."""

    code: str | None = None
    message: str | None = None
    param: str | None = None
    line: int | None = None


class OutputResponse(WireModel):
    """``response`` of a result line: the HTTP status and JSON body the row would have had."""

    status_code: int | None = None
    request_id: str | None = None
    body: Any = None


class BatchOutputLine(WireModel):
    """One line of an output or error file, or one entry of an inline batch's ``results``."""

    id: str | None = None
    custom_id: str | None = None
    response: OutputResponse | None = None
    error: BatchErrorItem | None = None


class Batch(WireModel):
    """A batch of either workflow; ``results`` only on a finished inline batch."""

    id: str
    object: str | None = None
    endpoint: str | None = None
    model: str | None = None
    status: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    completion_window: str | None = None
    created_at: int | None = None
    in_progress_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    expires_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    errors: Any = None
    metadata: dict[str, Any] | None = None
    results: list[BatchOutputLine] | None = None

    @property
    def done(self) -> bool:
        """True once the status is terminal (completed, failed, expired or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @property
    def counts(self) -> BatchRequestCounts:
        """``request_counts``, zeros when the server sent none."""
        return self.request_counts or BatchRequestCounts()

    def error_items(self) -> list[BatchErrorItem]:
        """Batch-level errors, from OpenAI's ``{"data": [...]}`` list or a bare list."""
        raw = self.errors
        if isinstance(raw, dict):
            raw = raw.get("data")
        if not isinstance(raw, list):
            return []
        return [BatchErrorItem.model_validate(item) for item in raw if isinstance(item, dict)]


class BatchList(WireModel):
    """``GET /batches?limit=&after=``: one page, newest first; pass ``last_id`` as ``after``."""

    data: list[Batch] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False
