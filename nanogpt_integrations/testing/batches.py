"""Batch API routes (``api-reference/endpoint/batches.mdx``): files and batches on ``/api/v1``,
inline batches on ``/api/beta``. State and progression live in :mod:`.batch_store`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from .batch_rows import ENDPOINTS, validate_inline
from .batch_store import StoredBatch
from .errors import ApiError, json_object_body, missing
from .recording import RecordedRequest
from .responses import Response, json_response

__all__ = ["batch_route"]

Handler = Callable[[RecordedRequest, Any], Response]
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(rb'filename="([^"]*)"', re.IGNORECASE)
_TERMINAL = ("completed", "failed", "expired", "cancelled")


def _multipart(call: RecordedRequest) -> dict[str, tuple[str | None, bytes]]:
    """``name → (filename, data)`` of a ``multipart/form-data`` body."""
    content_type = call.headers.get("content-type", "")
    match = _BOUNDARY.search(content_type)
    if "multipart/form-data" not in content_type.lower() or match is None:
        raise ApiError(
            400, "Upload the file as multipart/form-data", code="invalid_request_error", param="file"
        )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in call.raw_body.split(b"--" + match.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = _NAME.search(head)
        filename = _FILENAME.search(head)
        if name is not None:
            fields[name.group(1).decode()] = (
                filename.group(1).decode() if filename else None,
                data.removesuffix(b"\r\n"),
            )
    return fields


def _upload(call: RecordedRequest, state: Any) -> Response:
    fields = _multipart(call)
    purpose = fields.get("purpose", (None, b""))[1].decode()
    if not purpose:
        raise missing("purpose")
    if purpose != "batch":
        raise ApiError(
            400, f"Unsupported purpose {purpose}; use batch", code="invalid_parameter_value", param="purpose"
        )
    if "file" not in fields:
        raise missing("file")
    filename, data = fields["file"]
    return json_response(state.batches.add_file(filename or "upload.jsonl", purpose, data).json())


def _file_or_404(call: RecordedRequest, state: Any, segment: int) -> Any:
    file_id = call.path.split("/")[segment]
    stored = state.batches.file(file_id)
    if stored is None:
        raise ApiError(404, f"No such file: {file_id}", code="file_not_found", error_type="not_found_error")
    return stored


def _get_file(call: RecordedRequest, state: Any) -> Response:
    return json_response(_file_or_404(call, state, -1).json())


def _file_content(call: RecordedRequest, state: Any) -> Response:
    return Response(200, _file_or_404(call, state, -2).data, "application/octet-stream")


def _create_file_batch(call: RecordedRequest, state: Any) -> Response:
    body = json_object_body(call.raw_body)
    file_id = body.get("input_file_id")
    if not file_id:
        raise missing("input_file_id")
    endpoint = body.get("endpoint")
    if endpoint not in ENDPOINTS:
        raise ApiError(400, f"Unsupported endpoint {endpoint}", code="unsupported_endpoint", param="endpoint")
    if body.get("completion_window") != "24h":
        raise ApiError(
            400,
            "The only supported completion_window is 24h",
            code="invalid_parameter_value",
            param="completion_window",
        )
    stored = state.batches.file(str(file_id))
    if stored is None:
        raise ApiError(404, f"No such file: {file_id}", code="file_not_found", error_type="not_found_error")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
    batch = StoredBatch(_new_id(), "file", endpoint, None, [], input_file_id=str(file_id), metadata=metadata)
    batch.lines = sum(1 for line in stored.data.splitlines() if line.strip())
    return json_response(state.batches.add_batch(batch).json())


def _create_inline_batch(call: RecordedRequest, state: Any) -> Response:
    endpoint, model, rows = validate_inline(json_object_body(call.raw_body))
    batch = StoredBatch(_new_id(), "inline", endpoint, model, rows)
    return json_response(state.batches.add_batch(batch).json(), 202)  # "Creation returns 202 Accepted"


def _new_id() -> str:
    return f"batch_{uuid.uuid4().hex[:24]}"


def _batch_or_404(call: RecordedRequest, state: Any, workflow: str, segment: int) -> StoredBatch:
    batch_id = call.path.split("/")[segment]
    batch = state.batches.get(batch_id)
    if batch is None or batch.workflow != workflow:
        raise ApiError(
            404, f"No such batch: {batch_id}", code="batch_not_found", error_type="not_found_error"
        )
    return batch  # type: ignore[no-any-return]


def _get_batch(workflow: str) -> Handler:
    def handle(call: RecordedRequest, state: Any) -> Response:
        return json_response(state.batches.view(_batch_or_404(call, state, workflow, -1)))

    return handle


def _cancel_batch(workflow: str) -> Handler:
    def handle(call: RecordedRequest, state: Any) -> Response:
        batch = _batch_or_404(call, state, workflow, -2)
        if batch.status in _TERMINAL or batch.status == "cancelling":
            raise ApiError(
                400, f"Cannot cancel a batch with status {batch.status}", code="invalid_request_error"
            )
        state.batches.cancel(batch)
        return json_response(state.batches.view(batch))

    return handle


def _list_batches(call: RecordedRequest, state: Any) -> Response:
    try:
        limit = int(call.query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ApiError(400, "limit must be between 1 and 100", code="invalid_parameter_value", param="limit")
    batches = state.batches.listing()
    after = call.query.get("after")
    if after:
        ids = [b.id for b in batches]
        batches = batches[ids.index(after) + 1 :] if after in ids else []
    page = batches[:limit]
    data = [state.batches.view(state.batches.get(b.id)) for b in page]
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(batches) > limit,
        }
    )


_ID = r"[^/]+"
_TABLE: list[tuple[str, re.Pattern[str], Handler]] = [
    ("POST", re.compile(r"/api/v1/files"), _upload),
    ("GET", re.compile(rf"/api/v1/files/{_ID}"), _get_file),
    ("GET", re.compile(rf"/api/v1/files/{_ID}/content"), _file_content),
    ("POST", re.compile(r"/api/v1/batches"), _create_file_batch),
    ("GET", re.compile(r"/api/v1/batches"), _list_batches),
    ("GET", re.compile(rf"/api/v1/batches/{_ID}"), _get_batch("file")),
    ("POST", re.compile(rf"/api/v1/batches/{_ID}/cancel"), _cancel_batch("file")),
    ("POST", re.compile(r"/api/beta/batches"), _create_inline_batch),
    ("GET", re.compile(rf"/api/beta/batches/{_ID}"), _get_batch("inline")),
    ("POST", re.compile(rf"/api/beta/batches/{_ID}/cancel"), _cancel_batch("inline")),
]


def batch_route(method: str, path: str) -> Handler | None:
    """The Batch API handler for ``method path``, or None."""
    if "/files" not in path and "/batches" not in path:
        return None
    for verb, pattern, handler in _TABLE:
        if verb == method and pattern.fullmatch(path):
            return handler
    return None
