"""Which request headers are secrets, and how they are shown: the one rule every adapter uses.

A header is secret when its name (any case) contains one of ``auth``, ``key``, ``token``,
``secret``, ``passw``, ``passphrase``, ``cookie``, ``session``, ``signature`` or ``credential``:
``Authorization``, ``Proxy-Authorization``, ``x-api-key``, NanoGPT's ``x-encryption-key`` and
``x-encryption-passphrase`` (``api-reference/endpoint/responses.mdx``), ``Cookie``, a gateway's
``X-Auth-Token``... Redacting a header that is not secret only hides it from view; showing one that
is would leak it, so the rule leans wide. Requests always carry the real values; only views
(``repr``, ``model_dump``, framework dumps) use :func:`redact_headers`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "check_header_values",
    "is_secret_header",
    "redact_headers",
    "secret_header_id",
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


def secret_header_id(name: str) -> str:
    """The name a secret header's value is stored under outside the object (an environment
    variable or a ``secrets_map`` key): ``x-encryption-key`` -> ``NANOGPT_HEADER_X_ENCRYPTION_KEY``."""
    return "NANOGPT_HEADER_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def check_header_values(headers: Any) -> Any:
    """Refuse header values that are a redaction left by a dump, or missing (a secret not supplied
    on load), naming the header and where its value can come from; anything else is passed on."""
    if not isinstance(headers, Mapping):
        return headers
    for name, value in headers.items():
        if value is None or value == REDACTED:
            reason = "was redacted when the object was serialised" if value else "has no value"
            raise ValueError(
                f"default_headers[{name!r}] {reason}: pass the real value again "
                f"(when loading a LangChain dump: secrets_map={{{secret_header_id(str(name))!r}: ...}})"
            )
    return headers
