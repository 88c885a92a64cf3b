"""The client-ownership mechanism of ``core.lazy`` and the pool handling of ``core._pools``.

Pinned without a framework: owner identity, copies and pickles, settings changes (closing what
they replace), the caller's own clients, async pools closed with their loop, fork resets.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import os
import pickle
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from nanogpt_integrations.core import AsyncNanoGPTClient, MissingAPIKeyError, NanoGPTClient
from nanogpt_integrations.core.lazy import SETTINGS, LazyClients, Owned, OwnsClients, owned, owned_clients
from nanogpt_integrations.core.redact import REDACTED

URL = "http://127.0.0.1:9/api/v1"


def settings(
    key: str = "k1", url: str = URL, headers: dict[str, str] | None = None, **more: Any
) -> tuple[Any, ...]:
    values = {
        "api_key": SecretStr(key),
        "base_url": url,
        "timeout": None,
        "max_retries": 2,
        "default_headers": headers,
    }
    values.update(more)
    return tuple(values.get(name) for name in SETTINGS)


class Owner:
    """A plain object keeping its clients in ``__dict__`` (as the LlamaIndex retriever does)."""


def test_built_on_first_use_once_and_the_key_is_hidden() -> None:
    owner = Owner()
    clients = owned_clients(owner, owner.__dict__, settings("sk-very-secret"))
    assert clients._sync is None and clients._async is None  # no pool for an unused mode
    assert clients.sync is clients.sync and clients.async_ is clients.async_
    assert clients.sync.config.api_root == "http://127.0.0.1:9/api"
    assert clients.sync._pool is None  # and no httpx pool before the first request
    assert "sk-very-secret" not in repr(clients) + repr(clients.sync)
    assert owned_clients(owner, owner.__dict__, settings("sk-very-secret")) is clients


def test_a_holder_is_never_reused_by_another_owner() -> None:
    original, other = Owner(), Owner()
    mine = owned_clients(original, original.__dict__, settings("k1"))
    first = mine.sync
    other.__dict__ = dict(original.__dict__)  # what a shallow copy does: the same holder object
    theirs = owned_clients(other, other.__dict__, settings("k1"))
    assert theirs is not mine and theirs.sync is not first
    assert owned_clients(original, original.__dict__, settings("k1")).sync is first


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copies_and_pickles_of_a_holder_are_empty_and_unowned(how: str) -> None:
    owner = Owner()
    clients = owned_clients(owner, owner.__dict__, settings())
    clients.sync  # noqa: B018
    other = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": lambda c: pickle.loads(pickle.dumps(c))}[
        how
    ](clients)
    assert isinstance(other, LazyClients) and other._sync is None and other._owner() is None
    assert b"k1" not in pickle.dumps(clients)  # the holder never carries the key either


def test_changed_settings_replace_and_close_the_old_clients() -> None:
    owner = Owner()
    clients = owned_clients(owner, owner.__dict__, settings("k1"))
    sync = clients.sync
    http = sync._http
    assert owned_clients(owner, owner.__dict__, settings("k1")).sync is sync  # equal: kept
    again = owned_clients(owner, owner.__dict__, settings("k2"))
    assert again is clients and again.sync is not sync and again.sync.config.require_key() == "k2"
    assert http.is_closed
    assert owned_clients(
        owner, owner.__dict__, settings("k2", url="http://127.0.0.1:8/api/v1")
    ).sync.base_url.endswith(":8/api/v1")


def test_an_in_place_edit_of_the_default_headers_is_noticed() -> None:
    owner, headers = Owner(), {"X-Title": "one"}
    first = owned_clients(owner, owner.__dict__, settings(headers=headers)).sync
    assert first.config.default_headers == {"X-Title": "one"}
    headers["X-Title"] = "two"
    second = owned_clients(owner, owner.__dict__, settings(headers=headers)).sync
    assert second is not first and second.config.default_headers == {"X-Title": "two"}


def test_the_callers_clients_are_used_and_never_closed() -> None:
    sync_http, async_http = httpx.Client(), httpx.AsyncClient()
    owner = Owner()
    clients = owned_clients(
        owner, owner.__dict__, settings(http_client=sync_http, http_async_client=async_http)
    )
    assert clients.sync._http is sync_http
    assert not clients.sync._headers_on_client  # ours go on each request, not on their client

    async def pool() -> httpx.AsyncClient:
        return clients.async_._http

    assert asyncio.run(pool()) is async_http
    owned_clients(owner, owner.__dict__, settings("k2"))  # replaced: ours would be closed, theirs not
    clients.close()
    assert not sync_http.is_closed and not async_http.is_closed
    sync_http.close()


def test_a_redacted_header_placeholder_is_refused_before_any_request() -> None:
    owner = Owner()
    clients = owned_clients(owner, owner.__dict__, settings(headers={"x-api-key": REDACTED, "X-Title": "t"}))
    with pytest.raises(MissingAPIKeyError) as info:
        clients.sync  # noqa: B018
    assert "x-api-key" in str(info.value) and "default_headers" in str(info.value)


def test_settings_are_positional_and_complete() -> None:
    with pytest.raises(TypeError, match="in this order"):
        LazyClients(Owner(), ("k", URL))


def test_owned_values_do_not_follow_copies() -> None:
    owner, other = Owner(), Owner()
    owner.__dict__["_thing"] = Owned(owner, "mine")
    other.__dict__ = dict(owner.__dict__)
    assert owned(owner, owner.__dict__, "_thing") == "mine"
    assert owned(other, other.__dict__, "_thing") is None
    assert copy.deepcopy(owner.__dict__["_thing"]) is None
    assert pickle.loads(pickle.dumps(owner.__dict__["_thing"])) is None


# -- the pydantic mixin ------------------------------------------------------------------------


class Model(OwnsClients):
    api_key: SecretStr | None = None
    default_headers: dict[str, str] | None = None


def test_mixin_checks_the_callers_clients_and_keeps_them_out_of_dumps() -> None:
    with pytest.raises(ValueError, match=r"http_client must be an httpx.Client.*http_async_client"):
        Model(http_client=httpx.AsyncClient())
    with pytest.raises(ValueError, match=r"http_async_client must be an httpx\.AsyncClient"):
        Model(http_async_client=object())
    http = httpx.Client()
    model = Model(http_client=http, default_headers={"Authorization": "Bearer s3cret", "X-Title": "t"})
    assert model.model_dump() == {
        "api_key": None,
        "default_headers": {"Authorization": REDACTED, "X-Title": "t"},
    }
    assert "s3cret" not in repr(model) + model.model_dump_json()
    assert model.default_headers == {"Authorization": "Bearer s3cret", "X-Title": "t"}  # the real value stays
    clone = copy.deepcopy(model)
    assert clone.http_client is http and clone.default_headers == model.default_headers
    with pytest.raises(TypeError, match="cannot pickle a Model built with http_client"):
        pickle.dumps(model)
    assert pickle.loads(pickle.dumps(Model(api_key=SecretStr("k")))).api_key == SecretStr("k")
    http.close()


def test_mixin_private_holder_is_per_instance() -> None:
    model = Model(api_key=SecretStr("k1"))
    values = settings("k1")
    mine = owned_clients(model, model.__pydantic_private__, values)
    copied = model.model_copy()
    assert (
        copied.__pydantic_private__ is not None and copied.__pydantic_private__["_clients"] is mine
    )  # pydantic's shallow copy...
    assert owned_clients(copied, copied.__pydantic_private__, values) is not mine  # ...is not used


# -- pools: event loops and forks ----------------------------------------------------------------


def test_each_loop_gets_a_pool_closed_when_asyncio_run_ends() -> None:
    client = AsyncNanoGPTClient(api_key="k", base_url=URL)
    seen: list[httpx.AsyncClient] = []

    async def use() -> None:
        pool = client._http
        assert client._http is pool  # one per loop
        seen.append(pool)

    for _ in range(3):
        asyncio.run(use())
    assert len({id(pool) for pool in seen}) == 3
    assert all(pool.is_closed for pool in seen)
    assert len(client._pools) == 0 and client._pools.last == (None, None)


def test_a_loop_closed_without_shutting_down_is_dropped_at_the_next_open() -> None:
    client = AsyncNanoGPTClient(api_key="k", base_url=URL)
    loop = asyncio.new_event_loop()

    async def use() -> httpx.AsyncClient:
        return client._http

    loop.run_until_complete(use())
    loop.close()  # no shutdown_asyncgens: the pool is still in the table
    assert len(client._pools) == 1
    asyncio.run(use())
    assert len(client._pools) == 0  # the stale one dropped, the new one closed with its loop


def test_aclose_closes_the_running_loops_pool_and_close_releases_all() -> None:
    client = AsyncNanoGPTClient(api_key="k", base_url=URL)

    async def run() -> None:
        pool = client._http
        await client.aclose()
        assert pool.is_closed and len(client._pools) == 0
        again = client._http
        client.close()  # from sync code: scheduled in this loop
        await asyncio.sleep(0.01)
        assert again.is_closed

    asyncio.run(run())


def test_given_async_client_is_not_closed_by_aclose() -> None:
    http = httpx.AsyncClient()
    client = AsyncNanoGPTClient(api_key="k", base_url=URL, http_client=http)

    async def run() -> None:
        assert client._http is http
        await client.aclose()

    asyncio.run(run())
    assert not http.is_closed


def test_a_closed_sync_client_stays_closed() -> None:
    client = NanoGPTClient(api_key="k", base_url=URL)
    http = client._http
    client.close()
    assert http.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        client._http  # noqa: B018


def test_a_forked_child_forgets_inherited_pools_without_closing_them() -> None:
    sync = NanoGPTClient(api_key="k", base_url=URL)
    inherited = sync._http
    async_ = AsyncNanoGPTClient(api_key="k", base_url=URL)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(asyncio.sleep(0))

    async def pool() -> httpx.AsyncClient:
        return async_._http

    loop.run_until_complete(pool())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report and leave without running any test machinery
        ok = sync._pool is None and not inherited.is_closed and len(async_._pools) == 0
        fresh = sync._http
        ok = ok and fresh is not inherited and not inherited.is_closed
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    os.close(read)
    assert sync._http is inherited and not inherited.is_closed  # the parent's pool is untouched
    loop.close()
    sync.close()
    gc.collect()
