"""The legacy ``POST /api/talk-to-gpt`` endpoint (api-reference/endpoint/talk-to-gpt.mdx): text plus a ``<NanoGPT>`` trailer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TalkToGPTResult", "parse_talk_to_gpt"]

_OPEN, _CLOSE = "<NanoGPT>", "</NanoGPT>"


@dataclass(frozen=True)
class TalkToGPTResult:
    """Answer text and the trailer's cost and token counts (``cost`` or historical ``nanoCost``)."""

    text: str
    cost: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None


def _num(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_talk_to_gpt(body: str, request_id: str | None = None) -> TalkToGPTResult:
    """Split the answer from its trailer; a body without a trailer is all text."""
    start = body.rfind(_OPEN)
    end = body.find(_CLOSE, start) if start >= 0 else -1
    if start < 0 or end < 0:
        return TalkToGPTResult(text=body, request_id=request_id)
    try:
        meta = json.loads(body[start + len(_OPEN) : end])
    except ValueError:
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    cost = _num(meta.get("cost", meta.get("nanoCost")))
    tokens_in = _num(meta.get("inputTokens"))
    tokens_out = _num(meta.get("outputTokens"))
    return TalkToGPTResult(
        text=body[:start] + body[end + len(_CLOSE) :],
        cost=cost,
        input_tokens=int(tokens_in) if tokens_in is not None else None,
        output_tokens=int(tokens_out) if tokens_out is not None else None,
        metadata=meta,
        request_id=request_id,
    )
