"""Core clients built on first use: the one holder every adapter class uses.

Adapters keep a :class:`LazyClients` instead of building clients at construction:

- no connection pool is opened for a mode (sync or async) that is never used, and httpx itself is
  imported only when the first client is built, so importing an adapter stays cheap;
- :meth:`LazyClients.configure` rebuilds the clients when the connection settings change (pydantic
  adapters allow reassigning ``api_key``, ``base_url``, ``timeout``, ...), and is a cheap no-op
  otherwise;
- copies and pickles of an adapter start with no clients (pools cannot be copied) but keep the
  settings; nothing here is ever serialised into framework dumps.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .async_client import AsyncNanoGPTClient
    from .client import NanoGPTClient

__all__ = ["LazyClients"]

_SETTINGS = ("api_key", "base_url", "timeout", "max_retries", "default_headers", "requests_per_second")


def _secret_value(value: Any) -> Any:
    getter = getattr(value, "get_secret_value", None)
    return getter() if callable(getter) else value


class LazyClients:
    """A sync and an async core client for one set of connection settings, built on first use."""

    __slots__ = ("_async", "_lock", "_settings", "_sync")

    def __init__(self, **settings: Any) -> None:
        unknown = set(settings) - set(_SETTINGS)
        if unknown:
            raise TypeError(f"LazyClients got unknown settings {sorted(unknown)}; allowed: {_SETTINGS}")
        self._settings = self._copied(settings)
        self._lock = threading.Lock()
        self._sync: NanoGPTClient | None = None
        self._async: AsyncNanoGPTClient | None = None

    @staticmethod
    def _copied(settings: dict[str, Any]) -> dict[str, Any]:
        """``settings`` with its own copy of the headers, so an in-place change is noticed."""
        headers = settings.get("default_headers")
        return {**settings, "default_headers": dict(headers)} if headers else settings

    @staticmethod
    def _key_of(settings: dict[str, Any]) -> tuple[Any, ...]:
        headers = settings.get("default_headers") or {}
        return (
            _secret_value(settings.get("api_key")),
            settings.get("base_url"),
            settings.get("timeout"),
            settings.get("max_retries", 2),
            tuple(sorted(headers.items())),
            settings.get("requests_per_second"),
        )

    def __repr__(self) -> str:
        return f"LazyClients(base_url={self._settings.get('base_url')!r})"

    def configure(self, **settings: Any) -> LazyClients:
        """Use these settings from now on; existing clients are dropped only if they changed.

        Called before every request, so the unchanged case is one dict comparison.
        """
        if settings == self._settings:
            return self
        with self._lock:
            # Equal in substance (a str key vs the same SecretStr, headers in another order):
            # keep the clients; otherwise they are rebuilt on next use.
            if self._key_of(settings) != self._key_of(self._settings):
                self._sync = self._async = None
            self._settings = self._copied(settings)
        return self

    @property
    def sync(self) -> NanoGPTClient:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    from .client import NanoGPTClient

                    self._sync = NanoGPTClient(**self._settings)
                client = self._sync
        return client

    @property
    def async_(self) -> AsyncNanoGPTClient:
        """The async client; it keeps one connection pool per event loop."""
        client = self._async
        if client is None:
            with self._lock:
                if self._async is None:
                    from .async_client import AsyncNanoGPTClient

                    self._async = AsyncNanoGPTClient(**self._settings)
                client = self._async
        return client

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyClients:
        return LazyClients(**self._settings)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._settings,))


def _rebuild(settings: dict[str, Any]) -> LazyClients:
    return LazyClients(**settings)
