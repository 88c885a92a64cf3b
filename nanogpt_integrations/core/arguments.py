"""Constructor arguments checked the same way in every adapter class, before any request.

- A misspelled argument (``tempreature``) is an error that names the argument it resembles.
- Other unknown arguments (``max_completion_tokens``, ``logprobs``, ...) are request body fields:
  they move into the class's extra-fields dict (``model_kwargs`` / ``additional_kwargs``) with a
  warning, as ``ChatOpenAI`` does, instead of vanishing.
- OpenAI-style names a user porting from ``ChatOpenAI`` or ``OpenAILike`` types
  (``openai_api_key``, ``openai_api_base``, ``model_name``, ...) are accepted for ours.
- Validation errors become one :class:`~.errors.ConfigurationError` per class, the same type in
  both frameworks, listing each bad parameter and what it allows; secrets are never shown.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from .errors import ConfigurationError

__all__ = ["OPENAI_ALIASES", "check_base_url", "configuration_error", "sort_arguments"]

#: OpenAI-integration spellings → ours (the value moves; giving both is an error).
OPENAI_ALIASES: dict[str, str] = {
    "openai_api_key": "api_key",
    "openai_api_base": "base_url",
    "max_completion_tokens": "max_tokens",
    "request_timeout": "timeout",
}
#: Fields whose values never appear in an error message.
SECRET_FIELDS = frozenset({"api_key", "default_headers", "http_client", "http_async_client"})
_CUTOFF = 0.8


def _close(name: str, known: Iterable[str]) -> str | None:
    import difflib  # only when an argument is unknown: keeps it off the client's import path

    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=_CUTOFF)
    return matches[0] if matches else None


def sort_arguments(
    values: Mapping[str, Any],
    *,
    owner: str,
    known: Iterable[str],
    extra_field: str,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``values`` with aliases resolved and unknown names moved into ``extra_field``.

    Raises :class:`ConfigurationError` for a name that looks like a typo of a known one, or for an
    alias given together with the name it stands for.
    """
    known = set(known)
    aliases = {k: v for k, v in {**OPENAI_ALIASES, **(aliases or {})}.items() if v in known}
    out = dict(values)
    for alias, target in aliases.items():
        if alias in out and alias not in known:
            if target in out:
                raise ConfigurationError(f"{owner}: pass {target}=... or {alias}=..., not both")
            out[target] = out.pop(alias)
    unknown = [name for name in out if name not in known]
    if not unknown:
        return out
    extra = dict(out.get(extra_field) or {})
    for name in unknown:
        guess = _close(name, known)
        if guess is not None:
            raise ConfigurationError(
                f"{owner}: unknown argument {name!r}; did you mean {guess!r}? "
                f"(Request body fields that are not parameters go in {extra_field}={{...}}.)"
            )
        extra[name] = out.pop(name)
        warnings.warn(
            f"{name!r} is not a {owner} parameter: it was moved to {extra_field} and will be sent "
            f"in the request body. Put it in {extra_field} yourself to silence this warning.",
            UserWarning,
            stacklevel=4,
        )
    out[extra_field] = extra
    return out


def configuration_error(owner: str, exc: ValidationError) -> ConfigurationError:
    """One readable, typed error for every problem pydantic found (secret values left out).

    Our own validators' messages are complete sentences and kept as they are; pydantic's
    constraint messages get the parameter name and the value given (unless secret).
    """
    lines = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ConfigurationError):
            lines.append(cause.message.removeprefix(f"{owner}: "))
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        loc = error["loc"]
        if not loc or error["type"] == "value_error":
            lines.append(message if not loc else f"{'.'.join(map(str, loc))}: {message}")
            continue
        shown = ""
        if str(loc[0]) not in SECRET_FIELDS and not isinstance(error.get("input"), Mapping):
            shown = f" (got {error.get('input')!r})"
        lines.append(f"{'.'.join(map(str, loc))}: {message}{shown}")
    return ConfigurationError(f"{owner}: " + "; ".join(lines))


def check_base_url(url: str | None, *, field: str = "base_url") -> str | None:
    """``url`` if it can be a NanoGPT base URL (``http(s)://host[/path]``); else ConfigurationError
    naming ``field`` and the expected form (e.g. ``https://nano-gpt.com/api/v1``)."""
    if url is None:
        return None
    expected = "an http(s) URL such as https://nano-gpt.com/api/v1"
    if not isinstance(url, str):
        raise ConfigurationError(f"{field} must be {expected}; got {type(url).__name__}")
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ConfigurationError(
            f"{field}={text!r} is not a valid URL ({exc}); expected {expected}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{field}={text!r} is not {expected}")
    if any(ch.isspace() or not ch.isprintable() for ch in text):  # httpx would refuse it later
        raise ConfigurationError(f"{field}={text!r} holds spaces or control characters; expected {expected}")
    return text
