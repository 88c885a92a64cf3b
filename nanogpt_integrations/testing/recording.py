"""The request log: what the emulator received."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: `path` has no query string, `headers` keys are lower-case,
    `body` is the parsed JSON (None when absent or not JSON)."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""
