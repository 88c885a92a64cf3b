"""What endpoint code hands back to the HTTP layer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    """A complete (non-streaming) HTTP response."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamResponse:
    """A `text/event-stream` response sent with chunked transfer encoding, one SSE frame per chunk."""

    frames: list[bytes]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, "application/json", dict(headers or {}))


def sse_frame(payload: Any) -> bytes:
    """`data: <json>` followed by a blank line (api-reference/miscellaneous/streaming-protocol.mdx)."""
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


DONE_FRAME = b"data: [DONE]\n\n"  # api-reference/miscellaneous/streaming-protocol.mdx
MALFORMED_FRAME = b"data: {not json\n\n"
