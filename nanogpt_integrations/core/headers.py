"""The one check for every header value this package sends (pure: no httpx, so the option
classes can use it at import-light construction time)."""

from __future__ import annotations

import re

from .errors import ConfigurationError

__all__ = ["check_header"]

#: RFC 9110 field name (token) and a field value httpx/h11 will send: printable ASCII, spaces or
#: tabs only between visible characters (no CR/LF, no control or non-ASCII characters).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*)?")


def check_header(name: str, value: str, *, setting: str | None = None) -> None:
    """Raise :class:`ConfigurationError` unless ``name: value`` can be sent as an HTTP header.

    ``setting`` names where the value came from (``"api_key"``, ``"provider"``...) for the message;
    the value itself never appears in it (it may be a key). The one check for every header this
    package sends: the API key and ``default_headers`` when a client is built, and per-request
    headers built from NanoGPT options (``X-Provider``, ``X-Billing-Mode``).
    """
    where = setting or f"header {name!r}"
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise ConfigurationError(f"{where}: {name!r} is not a valid HTTP header name")
    if not isinstance(value, str):
        raise ConfigurationError(f"{where}: a header value must be a string, not {type(value).__name__}")
    if not _HEADER_VALUE.fullmatch(value):
        raise ConfigurationError(
            f"{where} cannot be sent as an HTTP header: it contains a line break, a control "
            "character, a non-ASCII character or surrounding whitespace (value not shown)"
        )
