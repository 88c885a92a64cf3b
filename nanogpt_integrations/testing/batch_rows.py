"""Batch rows in the emulator: the documented validation rules, and running one row.

The rules are those of ``api-reference/endpoint/batches.mdx`` ("JSONL rules", "Responses Batch
restrictions", "Common errors", the inline limits). The page names the errors but not their
``code`` strings except ``unsupported_model``; the other codes here are the emulator's own.
A row runs through the emulator's chat or Responses handler (so the default brain, scripted replies
and usage apply) and its charge is halved ("priced 50% below the equivalent synchronous request").
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .recording import RecordedRequest

__all__ = [
    "CHAT",
    "ENDPOINTS",
    "RESPONSES",
    "Row",
    "execute_row",
    "row_problem",
    "validate_inline",
    "validate_rows",
]

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
ENDPOINTS = (CHAT, RESPONSES)
INLINE_MAX_ROWS = 10_000
INLINE_MAX_BYTES = 20 * 1024 * 1024
INLINE_MAX_OUTPUT_TOKENS = 250_000
INLINE_DEFAULT_CAP = (
    4096  # "If an inline row omits its endpoint-specific output cap, NanoGPT applies a 4096-token default"
)
BATCH_DISCOUNT = 0.5
_MAX_ERRORS = 1000
_STATEFUL = ("previous_response_id", "conversation", "prompt")
_NANOGPT_ONLY = (
    "advisor", "memory", "retention_days", "retentionDays", "provider", "stickyprovider", "byok",
    "caching", "prompt_caching", "promptCaching", "cache_control", "billing_mode", "billingMode", "webSearch",
)  # fmt: skip
_FILE_PARTS = ("input_file", "item_reference", "input_video", "video_url")
_PRO = re.compile(r"^gpt-5\.[24]-pro(?:-|$)", re.IGNORECASE)
#: Chat rows "support text and compatible image_url content" (HTTP(S) or PNG/JPEG/GIF/WebP data URLs).
_CHAT_IMAGE_URL = re.compile(r"^(?:https?://|data:image/(?:png|jpe?g|gif|webp)[;,])", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    """One validated row: its id, body (with the batch's model) and 1-based line."""

    custom_id: str
    body: dict[str, Any]
    line: int


Problem = tuple[str, str, str | None]  # (code, message, param)


def _cap_of(body: dict[str, Any], endpoint: str) -> Any:
    if endpoint == CHAT:
        return body.get("max_completion_tokens", body.get("max_tokens"))
    return body.get("max_output_tokens")


def _responses_problem(body: dict[str, Any], model: str) -> Problem | None:
    if body.get("input") in (None, "", []):
        return ("missing_required_parameter", "Responses rows require a non-empty input", "input")
    name = model.split(":")[0]
    name = name[len("openai/") :] if name.lower().startswith("openai/") else name
    if "/" in name or _PRO.match(name):
        return ("unsupported_model", f"Model {model} is not supported by the Responses Batch API", "model")
    for key in _STATEFUL:
        if body.get(key) is not None:
            return ("unsupported_responses_field", f"{key} is not supported in Responses batches", key)
    if body.get("background") is True:
        return (
            "unsupported_responses_field",
            "background is not supported in Responses batches",
            "background",
        )
    for key in _NANOGPT_ONLY:
        if key in body:
            return ("unsupported_responses_field", f"{key} is not supported in Responses batches", key)
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict) or tool.get("type") not in ("function", "custom"):
            return (
                "unsupported_responses_field",
                "Provider-hosted tools are not supported in batches",
                "tools",
            )
    value = body.get("input")
    items: list[Any] = value if isinstance(value, list) else []
    for item in items:
        parts = item.get("content") if isinstance(item, dict) else None
        for part in [item, *(parts if isinstance(parts, list) else [])]:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if (
                kind in _FILE_PARTS
                or (kind == "input_image" and part.get("file_id"))
                or "cache_control" in part
            ):
                return (
                    "unsupported_responses_field",
                    f"Unsupported input in Responses batches: {kind}",
                    "input",
                )
    return None


def row_problem(body: dict[str, Any], endpoint: str, model: str, *, cap_required: bool) -> Problem | None:
    """The first documented rule ``body`` breaks, or None."""
    if body.get("stream") is True:
        return ("streaming_unsupported", "Batch requests are non-streaming; remove stream: true", "stream")
    cap = _cap_of(body, endpoint)
    if endpoint == CHAT:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return (
                "missing_required_parameter",
                "Chat Completions rows require a non-empty messages array",
                "messages",
            )
        for message in messages:
            content = message.get("content") if isinstance(message, dict) else None
            for part in content if isinstance(content, list) else []:
                kind = part.get("type") if isinstance(part, dict) else "text"
                image = part.get("image_url") if isinstance(part, dict) else None
                url = image.get("url") if isinstance(image, dict) else image
                if kind not in ("text", "image_url") or (
                    kind == "image_url" and not (isinstance(url, str) and _CHAT_IMAGE_URL.match(url))
                ):
                    return (
                        "unsupported_content",
                        f"Chat Completions rows support text and image_url content; got {kind}",
                        "messages",
                    )
        if cap is None and cap_required:
            return ("missing_output_cap", "Add max_tokens or max_completion_tokens", "max_tokens")
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
            return ("missing_output_cap", "max_tokens must be a positive integer", "max_tokens")
        return None
    if cap is None and cap_required:
        return ("missing_output_cap", "Add max_output_tokens >= 16", "max_output_tokens")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 16):
        return ("missing_output_cap", "max_output_tokens must be an integer >= 16", "max_output_tokens")
    return _responses_problem(body, model)


def validate_rows(data: bytes, endpoint: str) -> tuple[list[Row], list[dict[str, Any]]]:
    """Parse and check a file-backed JSONL input: ``(rows, [])`` or ``([], errors)`` (OpenAI's
    ``errors.data`` items: code, message, param, line)."""
    rows: list[Row] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None

    def fail(line: int, code: str, message: str, param: str | None = None) -> None:
        if len(errors) < _MAX_ERRORS:
            errors.append({"code": code, "message": message, "param": param, "line": line})

    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            fail(number, "invalid_jsonl", "Line is not valid JSON")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("body"), dict):
            fail(number, "invalid_jsonl", "Each line must be an object with a body object")
            continue
        custom_id, body = row.get("custom_id"), row["body"]
        if not isinstance(custom_id, str) or not custom_id:
            fail(number, "invalid_custom_id", "custom_id must be a non-empty string", "custom_id")
            continue
        if custom_id in seen:
            fail(number, "duplicate_custom_id", f"Duplicate custom_id {custom_id}", "custom_id")
            continue
        seen.add(custom_id)
        if row.get("method") != "POST":
            fail(number, "invalid_method", 'method must be "POST"', "method")
        elif row.get("url") not in ENDPOINTS:
            fail(number, "unsupported_endpoint", f"Unsupported endpoint {row.get('url')}", "url")
        elif row.get("url") != endpoint:
            fail(
                number,
                "mixed_endpoint",
                f"Row url {row.get('url')} differs from the batch endpoint {endpoint}",
                "url",
            )
        elif not isinstance(body.get("model"), str) or not body["model"]:
            fail(number, "missing_required_parameter", "body.model is required", "model")
        elif model is not None and body["model"] != model:
            fail(number, "mixed_model", "All rows in one batch must use the same model", "model")
        else:
            model = model or body["model"]
            problem = row_problem(body, endpoint, body["model"], cap_required=True)
            if problem is not None:
                fail(number, *problem)
            else:
                rows.append(Row(custom_id, body, number))
    if not rows and not errors:
        fail(0, "invalid_jsonl", "The input file has no rows")
    return ([], errors) if errors else (rows, [])


def validate_inline(body: dict[str, Any]) -> tuple[str, str, list[Row]]:
    """Check an inline creation body; ``(endpoint, model, rows)`` or an :class:`ApiError` (400/413)."""
    endpoint, model, requests = body.get("endpoint"), body.get("model"), body.get("requests")
    if endpoint not in ENDPOINTS:
        raise ApiError(400, f"Unsupported endpoint {endpoint}", code="unsupported_endpoint", param="endpoint")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "model is required", code="missing_required_parameter", param="model")
    if not isinstance(requests, list) or not requests:
        raise ApiError(
            400, "requests must be a non-empty array", code="missing_required_parameter", param="requests"
        )
    if len(requests) > INLINE_MAX_ROWS:
        raise ApiError(400, "Inline batches accept up to 10,000 requests", code="inline_limit_exceeded")
    if len(json.dumps(requests)) > INLINE_MAX_BYTES:
        raise ApiError(413, "Inline batches accept up to 20 MiB of input", code="inline_limit_exceeded")
    rows: list[Row] = []
    seen: set[str] = set()
    tokens = 0
    for number, item in enumerate(requests, start=1):
        custom_id = item.get("custom_id") if isinstance(item, dict) else None
        row_body = item.get("body") if isinstance(item, dict) else None
        if (
            not isinstance(custom_id, str)
            or not custom_id
            or custom_id in seen
            or not isinstance(row_body, dict)
        ):
            raise ApiError(
                400, f"requests[{number - 1}] needs a unique custom_id and a body", code="invalid_custom_id"
            )
        seen.add(custom_id)
        if row_body.get("model", model) != model:
            raise ApiError(400, f"{custom_id}: all requests must use the batch model", code="mixed_model")
        problem = row_problem(row_body, endpoint, model, cap_required=False)
        if problem is not None:
            raise ApiError(400, f"{custom_id}: {problem[1]}", code=problem[0], param=problem[2])
        cap = _cap_of(row_body, endpoint)
        tokens += cap if isinstance(cap, int) else INLINE_DEFAULT_CAP
        rows.append(Row(custom_id, {**row_body, "model": model}, number))
    if tokens > INLINE_MAX_OUTPUT_TOKENS:
        raise ApiError(
            400, "Inline batches accept up to 250,000 requested output tokens", code="inline_limit_exceeded"
        )
    return endpoint, model, rows


def _discount(payload: Any) -> tuple[float, float]:
    """Halve the row's ``x_nanogpt_pricing`` charge in place; return (synchronous, batch) cost."""
    pricing = payload.get("x_nanogpt_pricing") if isinstance(payload, dict) else None
    if not isinstance(pricing, dict):
        return 0.0, 0.0
    full = float(pricing.get("cost") or pricing.get("amount") or 0.0)
    for key in ("cost", "amount", "cacheCost"):
        if isinstance(pricing.get(key), (int, float)):
            pricing[key] = round(pricing[key] * BATCH_DISCOUNT, 10)
    return full, round(full * BATCH_DISCOUNT, 10)


def execute_row(state: Any, batch: Any, row: Row) -> tuple[dict[str, Any], bool, float, float]:
    """Run ``row``: (result line, succeeded, synchronous cost, batch cost)."""
    from .chat import handle_chat  # here, not at import: chat imports the state that imports this
    from .responses_api import handle_create

    body = dict(row.body)
    if batch.endpoint == CHAT:
        body.setdefault("include_usage", True)  # a batch reports usage for every row
        if batch.workflow == "inline" and _cap_of(body, CHAT) is None:
            body["max_tokens"] = INLINE_DEFAULT_CAP
        handler, path = handle_chat, "/api/v1/chat/completions"
    else:
        body["store"] = False  # "NanoGPT forces store: false"
        body.setdefault("max_output_tokens", INLINE_DEFAULT_CAP)
        handler, path = handle_create, "/api/v1/responses"
    raw = json.dumps(body).encode()
    request_id = f"req_{uuid.uuid4().hex[:24]}"
    call = RecordedRequest("POST", path, {}, {"content-type": "application/json"}, body, raw)
    try:
        response = handler(call, state)
        status, payload = response.status, json.loads(getattr(response, "body", b"null"))
    except ApiError as error:
        status, payload = error.status, error.body()
    full, charged = _discount(payload) if status < 400 else (0.0, 0.0)
    line = {
        "id": f"batch_req_{uuid.uuid4().hex[:24]}",
        "custom_id": row.custom_id,
        "response": {"status_code": status, "request_id": request_id, "body": payload},
        "error": None,
    }
    return line, status < 400, full, charged
