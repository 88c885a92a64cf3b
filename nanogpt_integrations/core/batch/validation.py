"""The Batch API's row rules, checked one row at a time before anything is uploaded.

Every rule comes from ``api-reference/endpoint/batches.mdx`` ("JSONL rules", "Responses Batch
restrictions", "Common errors", the inline limits). A broken row raises
:class:`BatchValidationError` naming the row (index and ``custom_id``) and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model_ids import parse_model_id
from .errors import BatchValidationError
from .models import CHAT_ENDPOINT, RESPONSES_ENDPOINT
from .rows import as_request, infer_endpoint, resolve_endpoint

__all__ = [
    "INLINE_MAX_BYTES",
    "INLINE_MAX_OUTPUT_TOKENS",
    "INLINE_MAX_ROWS",
    "RESPONSES_MIN_OUTPUT_TOKENS",
    "CheckedRow",
    "RowValidator",
]

#: Inline batches: "up to 10,000 requests, 20 MiB of normalized input, and 250,000 aggregate
#: requested output tokens" (api-reference/endpoint/batches.mdx, "Inline API").
INLINE_MAX_ROWS = 10_000
INLINE_MAX_BYTES = 20 * 1024 * 1024
INLINE_MAX_OUTPUT_TOKENS = 250_000
#: "Responses rows require ... an integer max_output_tokens of at least 16".
RESPONSES_MIN_OUTPUT_TOKENS = 16

#: Stateful Responses features a batch rejects ("Responses Batch restrictions").
_STATEFUL_FIELDS = ("previous_response_id", "conversation", "prompt")
#: Body keys of NanoGPT-only extensions ("NanoGPT-only features such as Advisor, memory, scraping,
#: retention overrides, provider or BYOK controls, caching controls, and billing overrides"). The page
#: names the features, not every key; these are the keys the other doc pages give them.
_NANOGPT_ONLY_KEYS = {
    "advisor": "the Advisor extension",
    "memory": "context memory",
    "retention_days": "retention overrides",
    "retentionDays": "retention overrides",
    "provider": "provider controls",
    "stickyprovider": "provider controls",
    "byok": "BYOK controls",
    "caching": "caching controls",
    "prompt_caching": "caching controls",
    "promptCaching": "caching controls",
    "cache_control": "caching controls",
    "billing_mode": "billing overrides",
    "billingMode": "billing overrides",
    "webSearch": "web search",
}
#: Tool types a Responses batch keeps: "function and custom tools remain supported".
_ROW_TOOL_TYPES = frozenset({"function", "custom"})
#: Input parts a Responses batch rejects: "input_file, item_reference, video inputs".
_REJECTED_PARTS = frozenset({"input_file", "item_reference", "input_video", "video_url"})
#: Chat rows "support text and compatible image_url content. Image URLs may use HTTP, HTTPS, or
#: base64 data URLs for PNG, JPEG, GIF, and WebP images" ("JSONL rules").
_CHAT_PART_TYPES = frozenset({"text", "image_url"})
_CHAT_IMAGE_URL = re.compile(r"^(?:https?://|data:image/(?:png|jpe?g|gif|webp)[;,])", re.IGNORECASE)
#: "gpt-5.2-pro and gpt-5.4-pro, including dated snapshots, are not available".
_UNAVAILABLE_RESPONSES_MODEL = re.compile(r"^gpt-5\.[24]-pro(?:-|$)", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedRow:
    """A row that passed: its id, endpoint, body, and the output tokens it may request."""

    custom_id: str
    endpoint: str
    body: Mapping[str, Any]
    output_tokens: int


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class RowValidator:
    """Checks rows in order; remembers the batch's endpoint, model and the custom_ids seen."""

    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        self.model: str | None = None
        self._seen: set[str] = set()

    def check(self, row: Any, index: int) -> CheckedRow:
        """Validate row ``index``; return it normalised, or raise :class:`BatchValidationError`."""
        request = as_request(row, index)
        custom_id = request.custom_id if request.custom_id is not None else f"row-{index}"

        def fail(message: str, rule: str) -> BatchValidationError:
            return BatchValidationError(message, rule=rule, index=index, custom_id=custom_id)

        if not isinstance(custom_id, str) or not custom_id:
            raise fail("custom_id must be a non-empty string", "invalid_custom_id")
        if custom_id in self._seen:
            raise fail(
                "custom_id is used by an earlier row; every custom_id must be unique", "duplicate_custom_id"
            )
        body = request.body
        if not isinstance(body, Mapping):
            raise fail(f"body must be a JSON object; got {type(body).__name__}", "invalid_row")
        if request.method.upper() != "POST":
            raise fail(f'method must be "POST"; got {request.method!r}', "invalid_method")
        if request.headers:
            raise fail(
                f"a batch row carries no headers, so {sorted(request.headers)} cannot be sent; "
                "remove them (provider pins and billing overrides cannot be batched)",
                "row_headers_unsupported",
            )
        endpoint = self._endpoint_of(request.endpoint, body, fail)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise fail("body.model must be a non-empty string (every row names the model)", "missing_model")
        if self.model is None:
            self.model = model
        elif model != self.model:
            raise fail(
                f"model {model!r} differs from {self.model!r}; all rows of a batch must use the same model",
                "mixed_model",
            )
        if body.get("stream") is True:
            raise fail("stream: true is not supported in a batch; remove it", "stream_unsupported")
        if endpoint == CHAT_ENDPOINT:
            tokens = self._check_chat(body, fail)
        else:
            tokens = self._check_responses(body, model, fail)
        self._seen.add(custom_id)
        return CheckedRow(custom_id, endpoint, body, tokens)

    def _endpoint_of(self, url: str | None, body: Mapping[str, Any], fail: Any) -> str:
        if url is not None:
            try:  # aliases too: an adapter may pass its route name ("chat", "responses")
                url = resolve_endpoint(url)
            except BatchValidationError:
                raise fail(
                    f"url {url!r} cannot be batched; use {CHAT_ENDPOINT!r} or {RESPONSES_ENDPOINT!r}",
                    "unsupported_endpoint",
                ) from None
        endpoint = url or infer_endpoint(body) or self.endpoint
        if endpoint is None:
            raise fail(
                "cannot tell the endpoint: give endpoint=... or a row url, or a body with messages or input",
                "unsupported_endpoint",
            )
        if self.endpoint is None:
            self.endpoint = endpoint
        elif endpoint != self.endpoint:
            raise fail(
                f"url {endpoint!r} differs from {self.endpoint!r}; all rows of a batch must use one endpoint",
                "mixed_endpoint",
            )
        return endpoint

    @staticmethod
    def _check_chat(body: Mapping[str, Any], fail: Any) -> int:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise fail("chat rows need a non-empty messages array", "missing_messages")
        _check_chat_content(messages, fail)
        for key in ("max_completion_tokens", "max_tokens"):
            value = body.get(key)
            if value is not None:
                if not _positive_int(value):
                    raise fail(f"{key} must be a positive integer; got {value!r}", "missing_output_cap")
                return int(value)
        raise fail(
            "chat rows need a positive max_tokens or max_completion_tokens (the output cap)",
            "missing_output_cap",
        )

    @classmethod
    def _check_responses(cls, body: Mapping[str, Any], model: str, fail: Any) -> int:
        if body.get("input") in (None, "", []):
            raise fail("Responses rows need a non-empty input", "missing_input")
        cap = body.get("max_output_tokens")
        if cap is None:
            raise fail(
                f"Responses rows need an integer max_output_tokens >= {RESPONSES_MIN_OUTPUT_TOKENS}",
                "missing_output_cap",
            )
        if not _positive_int(cap) or cap < RESPONSES_MIN_OUTPUT_TOKENS:
            raise fail(
                f"max_output_tokens must be an integer >= {RESPONSES_MIN_OUTPUT_TOKENS}; got {cap!r}",
                "output_cap_too_small",
            )
        cls._check_responses_model(model, fail)
        for name in _STATEFUL_FIELDS:
            if body.get(name) is not None:
                raise fail(
                    f"{name} is stateful; Responses batches are stateless", "unsupported_responses_field"
                )
        if body.get("background") is True:
            raise fail("background: true is not supported in a batch", "unsupported_responses_field")
        for key, feature in _NANOGPT_ONLY_KEYS.items():
            if key in body:
                raise fail(
                    f"{key} ({feature}) is a NanoGPT-only extension that Responses batches reject",
                    "nanogpt_extension_unsupported",
                )
        for position, tool in enumerate(body.get("tools") or []):
            kind = tool.get("type") if isinstance(tool, Mapping) else None
            if kind not in _ROW_TOOL_TYPES:
                raise fail(
                    f"tools[{position}] has type {kind!r}: provider-hosted tools are not supported in "
                    "Responses batches (function and custom tools are)",
                    "unsupported_responses_tool",
                )
        cls._check_input(body.get("input"), fail)
        return int(cap)

    @staticmethod
    def _check_responses_model(model: str, fail: Any) -> None:
        parsed = parse_model_id(model)
        if (
            parsed.web_search is not None
            or parsed.routing
            or any(s.lower().startswith("memory") for s in parsed.other)
        ):
            raise fail(
                f"model {model!r} uses a NanoGPT-only suffix (web search, routing or memory), which "
                "Responses batches reject",
                "nanogpt_extension_unsupported",
            )
        name = parsed.base[len("openai/") :] if parsed.base.lower().startswith("openai/") else parsed.base
        if "/" in name or _UNAVAILABLE_RESPONSES_MODEL.match(name):
            raise fail(
                f"model {model!r} is not available to Responses batches: they run direct OpenAI models "
                "only, and not gpt-5.2-pro or gpt-5.4-pro",
                "unsupported_responses_model",
            )

    @staticmethod
    def _check_input(value: Any, fail: Any) -> None:
        if not isinstance(value, list):
            return
        for position, item in enumerate(value):
            if not isinstance(item, Mapping):
                continue
            parts = item.get("content")
            for part in [item, *(parts if isinstance(parts, list) else [])]:
                if not isinstance(part, Mapping):
                    continue
                kind = part.get("type")
                if kind in _REJECTED_PARTS or (kind == "input_image" and part.get("file_id") is not None):
                    raise fail(
                        f"input[{position}] contains a {kind!r} part{' with file_id' if kind == 'input_image' else ''}; "
                        "file references and video inputs are not supported in Responses batches",
                        "unsupported_responses_input",
                    )
                if "cache_control" in part:
                    raise fail(
                        f"input[{position}] carries cache_control: caching controls are a NanoGPT-only "
                        "extension that Responses batches reject",
                        "nanogpt_extension_unsupported",
                    )


def _check_chat_content(messages: list[Any], fail: Any) -> None:
    """Chat rows carry text and ``image_url`` parts only; images by HTTP(S) URL or a PNG, JPEG, GIF
    or WebP data URL (audio, files and video are refused, not sent)."""
    for position, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, str):
                continue
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind not in _CHAT_PART_TYPES:
                raise fail(
                    f"messages[{position}] contains a {kind!r} part; chat batch rows support text and "
                    "image_url content only",
                    "unsupported_chat_content",
                )
            if kind == "image_url":
                image = part.get("image_url")
                url = image.get("url") if isinstance(image, Mapping) else image
                if not isinstance(url, str) or not _CHAT_IMAGE_URL.match(url):
                    shown = url[:40] + "..." if isinstance(url, str) and len(url) > 40 else url
                    raise fail(
                        f"messages[{position}] has an image_url {shown!r}; chat batch rows take HTTP(S) "
                        "image URLs or PNG, JPEG, GIF and WebP data URLs",
                        "unsupported_chat_content",
                    )
