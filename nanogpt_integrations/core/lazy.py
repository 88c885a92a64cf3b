"""Core clients built on first use, shared by every adapter class.

Adapters hold a :class:`LazyClients` instead of building clients at construction: no pool is
opened for a mode that is never used, copies and pickles of an adapter start with fresh clients
(connection pools cannot be copied), and nothing here is ever serialised.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from ._config import TimeoutTypes
from .async_client import AsyncNanoGPTClient
from .client import NanoGPTClient

__all__ = ["LazyClients"]


class LazyClients:
    """A sync and an async core client built on first use from one set of settings.

    Adapters (retrievers, tools, embeddings) hold one of these instead of building clients at
    construction: a sync pool is never opened for async-only use, and nothing here is serialised.
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: TimeoutTypes = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._settings: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
        }
        self._lock = threading.Lock()
        self._sync: NanoGPTClient | None = None
        self._async: AsyncNanoGPTClient | None = None

    def __repr__(self) -> str:
        return f"LazyClients(base_url={self._settings['base_url']!r})"

    @property
    def sync(self) -> NanoGPTClient:
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = NanoGPTClient(**self._settings)
        return self._sync

    @property
    def async_(self) -> AsyncNanoGPTClient:
        if self._async is None:
            with self._lock:
                if self._async is None:
                    self._async = AsyncNanoGPTClient(**self._settings)
        return self._async

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyClients:
        return LazyClients(**self._settings)

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self._settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["settings"])  # type: ignore[misc]
