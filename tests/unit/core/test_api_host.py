"""Issue 13 item 8: Responses (and Batch API) calls go to the dedicated API host by default.

``api-reference/endpoint/responses.mdx`` recommends ``https://api.nano-gpt.com/api/v1`` for
Responses clients and ``api-reference/endpoint/batches.mdx`` names it (and ``/api/beta``) for batches;
a base URL the user sets wins. ``ClientConfig.api_host_url`` is the one place that decides.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from nanogpt_integrations.core import (
    API_HOST_BASE_URL,
    DEFAULT_BASE_URL,
    AsyncNanoGPTClient,
    ClientConfig,
    NanoGPTClient,
)
from nanogpt_integrations.core.batch import BatchClient

RESPONSE = {"id": "resp_1", "object": "response", "status": "completed", "output": []}
CHAT = {"id": "c", "choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NANOGPT_BASE_URL", raising=False)


class Recorder:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        if request.url.path.endswith("/responses") or "/responses/" in request.url.path:
            return httpx.Response(200, json=RESPONSE)
        return httpx.Response(200, json=CHAT)


def test_default_base_url_sends_responses_to_the_api_host() -> None:
    config = ClientConfig.create(api_key="k")
    assert config.base_url == DEFAULT_BASE_URL == "https://nano-gpt.com/api/v1"
    assert config.api_host_url == API_HOST_BASE_URL == "https://api.nano-gpt.com/api/v1"
    assert config.beta_url == "https://api.nano-gpt.com/api/beta"


@pytest.mark.parametrize(
    ("base_url", "host", "beta"),
    [
        ("http://127.0.0.1:9999/api/v1", "http://127.0.0.1:9999/api/v1", "http://127.0.0.1:9999/api/beta"),
        ("https://proxy.example/nano/api/v1/", "https://proxy.example/nano/api/v1", "https://proxy.example/nano/api/beta"),
        ("https://nano-gpt.com/api/subscription/v1", "https://nano-gpt.com/api/subscription/v1", "https://nano-gpt.com/api/beta"),
        ("https://gw.example/v1", "https://gw.example/v1", "https://gw.example/beta"),
    ],
)
def test_a_user_base_url_wins_and_the_beta_root_is_derived(base_url: str, host: str, beta: str) -> None:
    config = ClientConfig.create(api_key="k", base_url=base_url)
    assert config.api_host_url == host
    assert config.beta_url == beta


def test_the_environment_base_url_wins_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_BASE_URL", "http://localhost:1/api/v1")
    assert ClientConfig.create(api_key="k").api_host_url == "http://localhost:1/api/v1"


def test_sync_wire_urls_with_the_default_base_url() -> None:
    recorder = Recorder()
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(recorder)))
    client.chat({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    client.responses_create({"model": "m", "input": "hi"})
    client.responses_get("resp_1")
    assert recorder.urls == [
        "https://nano-gpt.com/api/v1/chat/completions",  # chat stays on the website host
        "https://api.nano-gpt.com/api/v1/responses",
        "https://api.nano-gpt.com/api/v1/responses/resp_1",
    ]


def test_async_wire_urls_with_a_user_base_url() -> None:
    recorder = Recorder()
    client = AsyncNanoGPTClient(
        api_key="k",
        base_url="http://127.0.0.1:8/api/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder)),
    )

    async def run() -> None:
        await client.responses_create({"model": "m", "input": "hi"})
        await client.responses_delete("resp_1")

    asyncio.run(run())
    assert recorder.urls == [
        "http://127.0.0.1:8/api/v1/responses",
        "http://127.0.0.1:8/api/v1/responses/resp_1",
    ]


def test_batch_routes_use_both_roots_of_the_api_host() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return httpx.Response(200, json={"id": "batch_1", "status": "in_progress"})

    core = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    batches = BatchClient(core)
    batches.retrieve_batch("batch_1")
    batches.retrieve_batch("batch_1", workflow="inline")
    batches.cancel_batch("batch/1", workflow="inline")
    batches.list_batches(limit=2, after="batch_0")
    assert seen == [
        "GET https://api.nano-gpt.com/api/v1/batches/batch_1",
        "GET https://api.nano-gpt.com/api/beta/batches/batch_1",
        "POST https://api.nano-gpt.com/api/beta/batches/batch%2F1/cancel",
        "GET https://api.nano-gpt.com/api/v1/batches?limit=2&after=batch_0",
    ]
