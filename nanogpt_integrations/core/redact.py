"""Which request headers are secrets, and how they are shown: the one rule every adapter uses.

A header is secret when its name (any case) contains one of ``auth``, ``key``, ``token``,
``secret``, ``passw``, ``passphrase``, ``cookie``, ``session``, ``signature`` or ``credential``:
``Authorization``, ``Proxy-Authorization``, ``x-api-key``, NanoGPT's ``x-encryption-key`` and
``x-encryption-passphrase`` (``api-reference/endpoint/responses.mdx``), ``Cookie``, a gateway's
``X-Auth-Token``... Redacting a header that is not secret only hides it from view; showing one that
is would leak it, so the rule leans wide. Requests always carry the real values; only views
(``repr``, ``model_dump``, framework dumps) use :func:`redact_headers`. An object rebuilt from a
dump holds :data:`REDACTED` for such a header until the real value is set again: building its
clients raises :class:`MissingAPIKeyError` instead of sending the placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import MissingAPIKeyError

__all__ = [
    "REDACTED",
    "is_secret_header",
    "redact_headers",
    "require_real_values",
]

#: What a redacted value is shown as (the same mask the clients use for the key).
REDACTED = "**********"

_SECRET = re.compile(r"auth|key|token|secret|passw|passphrase|cookie|session|signature|credential", re.I)


def is_secret_header(name: str) -> bool:
    """Whether a header's value must never be shown (see the module docstring for the rule)."""
    return _SECRET.search(name) is not None


def redact_headers(headers: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``headers`` with every secret value replaced by :data:`REDACTED` (a new dict; None stays None)."""
    if headers is None:
        return None
    return {name: REDACTED if is_secret_header(name) else value for name, value in headers.items()}


def require_real_values(headers: Mapping[str, Any] | None) -> None:
    """Raise :class:`MissingAPIKeyError` (before any request, without any value) for a header
    whose value is still :data:`REDACTED`: the object was rebuilt from a dump that hid it."""
    missing = sorted(name for name, value in (headers or {}).items() if value == REDACTED)
    if missing:
        raise MissingAPIKeyError(
            f"default_headers {missing} hold the placeholder {REDACTED!r}: the object was rebuilt "
            "from a dump (LangChain dumps/dumpd, LlamaIndex to_dict/to_json, model_dump) that hides "
            "secret header values. Set default_headers with the real values before calling."
        )
