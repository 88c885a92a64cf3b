"""The HTTP clients each adapter instance owns: the one mechanism every adapter class uses.

An adapter instance (a chat model, an LLM, embeddings, a retriever, a tool) keeps its core clients
in a :class:`LazyClients` reached through :func:`owned_clients`, which guarantees:

- **one owner**: the holder remembers the instance it was made for. A copy made any way
  (``model_copy``, ``copy.copy``, ``deepcopy``, pickle, a framework rebuilding the object) finds a
  holder that is not its own, or none, and gets a new one: copies never share a pool, so a copy
  with another key never sends a request with the original's key;
- **built on first use**: no pool for a mode (sync or async) that is never used, and httpx is
  imported with the first client;
- **settings followed**: reassigning ``api_key``, ``base_url``, ``timeout``, ``max_retries``,
  ``default_headers`` (also edited in place) or an http client replaces the core clients, and the
  replaced ones are closed. An instance that is garbage-collected does not close its pools: a
  stream it returned may still be reading from them (``for c in Model(...).stream(...)``); they are
  freed with the last response that uses them;
- **processes and loops**: the core clients give a forked child fresh pools and close each async
  pool with its event loop (:mod:`._pools`);
- **the caller's clients**: ``http_client`` / ``http_async_client`` are used as given, never closed,
  never serialised (:class:`OwnsClients`).

The per-call check is an identity test of the owner and an element-wise identity test of the
settings tuple (plus a comparison of the default headers when there are any).
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, PrivateAttr, field_serializer, field_validator, model_validator

from .redact import redact_headers, require_real_values

if TYPE_CHECKING:
    from typing_extensions import Self

    from .async_client import AsyncNanoGPTClient
    from .client import NanoGPTClient

__all__ = ["SETTINGS", "LazyClients", "Owned", "OwnsClients", "owned", "owned_clients"]

#: The connection settings, in the order of the tuple adapters pass to :func:`owned_clients`.
SETTINGS = (
    "api_key",
    "base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "http_client",
    "http_async_client",
    "limits",
)
_HEADERS, _HTTP, _HTTP_ASYNC, _LIMITS = 4, 5, 6, 7
#: ``limits``: ``(name, value)`` pairs of the clients' bounds that are set (``max_response_bytes``,
#: ``max_event_bytes``, ``stream_deadline``, ``requests_per_second``); the clients' defaults otherwise.
_NO_SETTINGS: tuple[Any, ...] = (None, None, None, 2, None, None, None, ())


def _unowned() -> None:
    return None


class LazyClients:
    """A sync and an async core client for one owner and one set of settings, built on first use."""

    __slots__ = ("_async", "_headers", "_lock", "_owner", "_sync", "_values")

    def __init__(self, owner: object | None = None, values: tuple[Any, ...] = _NO_SETTINGS) -> None:
        if len(values) != len(SETTINGS):
            raise TypeError(f"LazyClients takes the settings {SETTINGS} in this order; got {len(values)}")
        self._owner: Callable[[], object | None] = _unowned if owner is None else weakref.ref(owner)
        self._values = values
        self._headers = _copied(values[_HEADERS])
        self._lock = threading.Lock()
        self._sync: NanoGPTClient | None = None
        self._async: AsyncNanoGPTClient | None = None

    def __repr__(self) -> str:
        return f"LazyClients(base_url={self._values[1]!r})"

    @property
    def sync(self) -> NanoGPTClient:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    from .client import NanoGPTClient

                    self._sync = NanoGPTClient(**self._settings(), http_client=self._values[_HTTP])
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

                    self._async = AsyncNanoGPTClient(
                        **self._settings(), http_client=self._values[_HTTP_ASYNC]
                    )
                client = self._async
        return client

    def _settings(self) -> dict[str, Any]:
        require_real_values(self._headers)
        api_key, base_url, timeout, max_retries = self._values[:4]
        return {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": self._headers,
            **dict(self._values[_LIMITS] or ()),
        }

    def _matches(self, values: tuple[Any, ...]) -> bool:
        headers = values[_HEADERS]
        return self._values == values and (headers is None or headers == self._headers)

    def _reconfigure(self, values: tuple[Any, ...]) -> None:
        """Use ``values`` from now on; the clients built for the old ones are closed."""
        with self._lock:
            if self._matches(values):
                return
            retired = self._sync, self._async
            self._sync = self._async = None
            self._values, self._headers = values, _copied(values[_HEADERS])
        _close(*retired)

    def close(self) -> None:
        """Close the pools this holder opened (a client passed in by the caller stays open)."""
        with self._lock:
            retired = self._sync, self._async
            self._sync = self._async = None
        _close(*retired)

    # A copy or a pickle of an adapter gets a holder with no owner, no settings and no clients: the
    # first use on the copy replaces it by one of its own.
    def __copy__(self) -> LazyClients:
        return LazyClients()

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyClients:
        return LazyClients()

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyClients, ())


def _copied(headers: Any) -> dict[str, str] | None:
    """Our own copy of the default headers, so an in-place edit of the caller's dict is noticed."""
    return dict(headers) if headers else None


def _close(sync: NanoGPTClient | None, async_: AsyncNanoGPTClient | None) -> None:
    if sync is not None:
        sync.close()
    if async_ is not None:
        async_.close()  # each loop's pool closes in that loop (see AsyncNanoGPTClient.close)


_CLAIM = threading.Lock()


def owned_clients(
    owner: object, state: MutableMapping[str, Any] | None, values: tuple[Any, ...]
) -> LazyClients:
    """The clients ``owner`` owns for connection settings ``values`` (in :data:`SETTINGS` order).

    ``state`` is where the holder lives: a pydantic model's ``__pydantic_private__`` (with a
    ``_clients`` private attribute, see :class:`OwnsClients`) or a plain object's ``__dict__``.
    """
    clients: LazyClients | None = state.get("_clients") if state is not None else None
    if clients is not None and clients._owner() is owner and clients._matches(values):
        return clients
    return _claim(owner, state, values)


def _claim(owner: object, state: MutableMapping[str, Any] | None, values: tuple[Any, ...]) -> LazyClients:
    if state is None:
        raise TypeError(f"{type(owner).__name__} has no private state to keep its clients in")
    with _CLAIM:
        clients = state.get("_clients")
        if clients is None or clients._owner() is not owner:
            # First use, or a holder copied from another instance: never reuse it (it is theirs).
            clients = LazyClients(owner, values)
            state["_clients"] = clients
        else:
            clients._reconfigure(values)
    return clients


class Owned:
    """A value that belongs to one object: a copy or a pickle of that object does not get it
    (:func:`owned` finds nothing), so it builds its own. For private state other than clients."""

    __slots__ = ("_owner", "value")

    def __init__(self, owner: object, value: Any) -> None:
        self._owner = weakref.ref(owner)
        self.value = value

    def __copy__(self) -> None:
        return None

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unowned, ())


def owned(owner: object, state: MutableMapping[str, Any] | None, name: str) -> Any:
    """``state[name]``'s value if ``owner`` stored it there (:class:`Owned`), else None."""
    entry = state.get(name) if state is not None else None
    if isinstance(entry, Owned) and entry._owner() is owner:
        return entry.value
    return None


# -- the caller's own httpx clients ---------------------------------------------------------------


def check_http_client(value: Any, kind: str, name: str) -> Any:
    """``value`` if it is None or an ``httpx.<kind>``; else a ValueError naming the parameter."""
    if value is None:
        return None
    httpx = sys.modules.get("httpx")  # a caller who built an httpx client has imported httpx
    expected = getattr(httpx, kind, None) if httpx is not None else None
    if expected is None or not isinstance(value, expected):
        other = "http_async_client" if kind == "Client" else "http_client"
        raise ValueError(
            f"{name} must be an httpx.{kind} (or None); got {type(value).__name__}. "
            f"Use {other} for the {'async' if kind == 'Client' else 'sync'} one."
        )
    return value


def check_timeout_with_clients(timeout: Any, http_client: Any, http_async_client: Any) -> None:
    """``timeout`` configures the pools the package opens; a client passed in keeps its own
    (``httpx.Client(timeout=...)``). Both at once would drop one silently: refuse it."""
    if timeout is not None and (http_client is not None or http_async_client is not None):
        raise ValueError(
            "timeout is set on the pools this package opens; with http_client / http_async_client "
            "set it on your httpx client instead (httpx.Client(timeout=...)) and leave timeout unset"
        )


def keep_in_deepcopy(memo: dict[int, Any], objects: Iterable[Any]) -> None:
    """Make ``copy.deepcopy`` reuse ``objects`` instead of copying them (the caller's clients)."""
    for obj in objects:
        if obj is not None:
            memo[id(obj)] = obj


def refuse_to_pickle(cls_name: str, http_client: Any, http_async_client: Any) -> None:
    """Pickling an adapter that holds the caller's httpx client would lose it (its proxy, mTLS or
    transport) or fail deep inside httpx; say so clearly instead."""
    given = [
        name
        for name, value in (("http_client", http_client), ("http_async_client", http_async_client))
        if value is not None
    ]
    if given:
        raise TypeError(
            f"cannot pickle a {cls_name} built with {' and '.join(given)}: an httpx client holds "
            "sockets and locks. Build the object in the worker process (or pass the client to the "
            "copy after unpickling)."
        )


class OwnsClients(BaseModel):
    """Mixin for the pydantic adapter classes: the caller's httpx clients and the rules that keep
    clients and secrets where they belong.

    - ``http_client`` / ``http_async_client``: used for every request (proxies, mTLS, custom
      transports), never closed by the package, excluded from dumps, shared (not copied) by
      ``deepcopy``; pickling an instance that has one raises a clear ``TypeError``; its own
      timeout applies (``timeout`` with one of them is refused, not silently ignored);
    - ``default_headers`` (on the classes that have it): secret-looking values
      (:mod:`.redact`) are shown as ``**********`` in ``repr`` and ``model_dump`` (and so in
      LlamaIndex ``to_dict``/``to_json``); an object rebuilt from such a dump keeps the
      placeholder, and its first request raises ``MissingAPIKeyError`` until the value is set;
    - the ``_clients`` private attribute that :func:`owned_clients` keeps the core clients in.
    """

    http_client: Any = Field(
        default=None,
        exclude=True,
        repr=False,
        description="An httpx.Client for every sync request (proxies, mTLS, transports); never closed here.",
    )
    http_async_client: Any = Field(
        default=None,
        exclude=True,
        repr=False,
        description="An httpx.AsyncClient for every async request; never closed here.",
    )

    _clients: LazyClients | None = PrivateAttr(default=None)

    def _owned_clients(
        self, api_key: Any, base_url: str | None, timeout: Any, max_retries: int, default_headers: Any = None
    ) -> LazyClients:
        """This instance's clients for these settings plus its http clients (:func:`owned_clients`)."""
        values = (
            api_key,
            base_url,
            timeout,
            max_retries,
            default_headers,
            self.http_client,
            self.http_async_client,
            (),
        )
        return owned_clients(self, self.__pydantic_private__, values)

    @field_validator("http_client")
    @classmethod
    def _check_http_client(cls, value: Any) -> Any:
        return check_http_client(value, "Client", "http_client")

    @field_validator("http_async_client")
    @classmethod
    def _check_http_async_client(cls, value: Any) -> Any:
        return check_http_client(value, "AsyncClient", "http_async_client")

    @model_validator(mode="after")
    def _timeout_needs_our_pool(self) -> Self:
        check_timeout_with_clients(getattr(self, "timeout", None), self.http_client, self.http_async_client)
        return self

    @field_serializer("default_headers", check_fields=False)
    def _redact_default_headers(self, value: Any) -> Any:
        return redact_headers(value) if isinstance(value, dict) else value

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "default_headers" and isinstance(value, dict):
                value = redact_headers(value)
            yield name, value

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        keep_in_deepcopy(memo, (self.http_client, self.http_async_client))
        return super().__deepcopy__(memo)

    def __getstate__(self) -> dict[Any, Any]:
        refuse_to_pickle(type(self).__name__, self.http_client, self.http_async_client)
        return super().__getstate__()
