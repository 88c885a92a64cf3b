"""Client configuration: API key, base URL and the derived ``/api`` root, timeouts, headers (api-reference/introduction.mdx)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from nanogpt_integrations.core import (
    DEFAULT_BASE_URL,
    AsyncNanoGPTClient,
    ClientConfig,
    MissingAPIKeyError,
    NanoGPTClient,
)

PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NANOGPT_API_KEY", "NANOGPT_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


class Counter:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "ok"}}]}, headers={"x-request-id": "req_c"}
        )


# -- API key ------------------------------------------------------------------------------------


def test_missing_key_raises_before_any_request_sync() -> None:
    counter = Counter()
    client = NanoGPTClient(http_client=httpx.Client(transport=httpx.MockTransport(counter)))
    with pytest.raises(MissingAPIKeyError) as info:
        client.chat(PAYLOAD)
    assert "NANOGPT_API_KEY" in str(info.value)
    assert counter.requests == []


def test_missing_key_raises_before_any_request_async() -> None:
    counter = Counter()
    client = AsyncNanoGPTClient(http_client=httpx.AsyncClient(transport=httpx.MockTransport(counter)))
    with pytest.raises(MissingAPIKeyError) as info:
        asyncio.run(client.chat(PAYLOAD))
    assert "NANOGPT_API_KEY" in str(info.value)
    assert counter.requests == []


@pytest.mark.parametrize("empty", ["", SecretStr("")])
def test_empty_key_counts_as_missing(empty: str | SecretStr) -> None:
    with pytest.raises(MissingAPIKeyError):
        ClientConfig.create(api_key=empty).require_key()


def test_openai_api_key_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-should-not-be-used")
    counter = Counter()
    client = NanoGPTClient(http_client=httpx.Client(transport=httpx.MockTransport(counter)))
    assert client.config.api_key is None
    with pytest.raises(MissingAPIKeyError):
        client.chat(PAYLOAD)
    assert counter.requests == []


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "env-key")
    counter = Counter()
    client = NanoGPTClient(http_client=httpx.Client(transport=httpx.MockTransport(counter)))
    client.chat(PAYLOAD)
    assert counter.requests[0].headers["authorization"] == "Bearer env-key"


def test_explicit_key_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "env-key")
    assert ClientConfig.create(api_key="arg-key").require_key() == "arg-key"
    assert ClientConfig.create(api_key=SecretStr("secret-key")).require_key() == "secret-key"


# -- base URL -----------------------------------------------------------------------------------


def test_default_base_url() -> None:
    assert ClientConfig.create(api_key="k").base_url == DEFAULT_BASE_URL == "https://nano-gpt.com/api/v1"


def test_nanogpt_base_url_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_BASE_URL", "http://127.0.0.1:9/api/v1/")
    counter = Counter()
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(counter)))
    assert client.base_url == "http://127.0.0.1:9/api/v1"
    client.chat(PAYLOAD)
    assert str(counter.requests[0].url) == "http://127.0.0.1:9/api/v1/chat/completions"


def test_explicit_base_url_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_BASE_URL", "http://env/api/v1")
    assert ClientConfig.create(api_key="k", base_url="https://api.nano-gpt.com/api/v1").base_url == (
        "https://api.nano-gpt.com/api/v1"
    )


def test_openai_base_url_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai.example/v1")
    assert ClientConfig.create(api_key="k").base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize("bad", ["nano-gpt.com/api/v1", "ftp://x/api/v1"])
def test_base_url_must_be_http(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        ClientConfig.create(api_key="k", base_url=bad)


@pytest.mark.parametrize(
    ("base_url", "api_root"),
    [
        ("https://nano-gpt.com/api/v1", "https://nano-gpt.com/api"),
        ("https://nano-gpt.com/api/v1/", "https://nano-gpt.com/api"),
        ("https://api.nano-gpt.com/api/v1", "https://api.nano-gpt.com/api"),
        ("https://nano-gpt.com/api/v1legacy", "https://nano-gpt.com/api"),
        ("https://nano-gpt.com/api/v1thinking", "https://nano-gpt.com/api"),
        ("http://127.0.0.1:8123/api/v1", "http://127.0.0.1:8123/api"),
        # A gateway in front of NanoGPT: the root is derived from the end of the path, not its start.
        ("https://gw.example/api/proxy/nanogpt/api/v1", "https://gw.example/api/proxy/nanogpt/api"),
        ("https://gw.example/nanogpt/v1", "https://gw.example/nanogpt"),
    ],
)
def test_api_root_derivation(base_url: str, api_root: str) -> None:
    config = ClientConfig.create(api_key="k", base_url=base_url)
    assert config.api_root == api_root
    assert config.url("web", api_root=True) == f"{api_root}/web"
    assert config.url("/talk-to-gpt", api_root=True) == f"{api_root}/talk-to-gpt"


@pytest.mark.parametrize("route", ["subscription", "paid", "personalized"])
def test_api_root_for_subscription_paid_personalized_bases(route: str) -> None:
    # api-reference/introduction.mdx: `/api/subscription/v1`, `/api/paid/v1` and `/api/personalized/v1` are base URLs
    # for the v1 routes, while `/web` and `/talk-to-gpt` live at `https://nano-gpt.com/api/...`.
    config = ClientConfig.create(api_key="k", base_url=f"https://nano-gpt.com/api/{route}/v1")
    assert config.url("chat/completions") == f"https://nano-gpt.com/api/{route}/v1/chat/completions"
    assert config.url("web", api_root=True) == "https://nano-gpt.com/api/web"


def test_web_and_talk_to_gpt_requests_use_the_api_root() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("/web"):
            return httpx.Response(200, json={"data": [], "metadata": {"outputType": "searchResults"}})
        return httpx.Response(200, text='ok<NanoGPT>{"cost": 0.1}</NanoGPT>')

    client = NanoGPTClient(
        api_key="k",
        base_url="http://h/api/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    client.web_search({"query": "q"})
    client.talk_to_gpt("hi", model="m")
    assert seen == ["http://h/api/web", "http://h/api/talk-to-gpt"]


# -- timeouts -----------------------------------------------------------------------------------


def test_timeout_float() -> None:
    timeout = ClientConfig.create(api_key="k", timeout=7.5).timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (7.5, 7.5, 7.5, 7.5)


def test_timeout_tuple_is_connect_then_read() -> None:
    timeout = ClientConfig.create(api_key="k", timeout=(2.0, 30.0)).timeout
    assert (timeout.connect, timeout.read) == (2.0, 30.0)


def test_timeout_httpx_object_passes_through() -> None:
    given = httpx.Timeout(5.0, connect=1.0, read=9.0)
    assert ClientConfig.create(api_key="k", timeout=given).timeout is given


def test_default_timeout_has_separate_connect_and_read() -> None:
    timeout = ClientConfig.create(api_key="k").timeout
    assert timeout.connect == 10.0
    assert timeout.read == 600.0


@pytest.mark.parametrize("bad", [0, -1, "10"])
def test_invalid_timeout(bad: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        ClientConfig.create(api_key="k", timeout=bad)  # type: ignore[arg-type]


def test_client_pool_uses_the_configured_timeout() -> None:
    with NanoGPTClient(api_key="k", timeout=(1.5, 4.0)) as client:
        assert client._http.timeout.connect == 1.5
        assert client._http.timeout.read == 4.0


def test_invalid_max_retries() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        ClientConfig.create(api_key="k", max_retries=-1)


def test_max_retries_default_is_two() -> None:
    assert NanoGPTClient(api_key="k").max_retries == 2


# -- headers ------------------------------------------------------------------------------------


def test_headers_auth_accept_and_defaults() -> None:
    config = ClientConfig.create(api_key="k", default_headers={"X-App": "demo"})
    headers = config.headers()
    assert headers["Authorization"] == "Bearer k"
    assert headers["Accept"] == "application/json"
    assert headers["X-App"] == "demo"
    assert headers["User-Agent"].startswith("nanogpt-integrations/")
    assert config.headers(stream=True)["Accept"] == "text/event-stream"
    assert config.headers({"X-Provider": "novita"})["X-Provider"] == "novita"
    assert "Authorization" not in ClientConfig.create().headers(auth=False)


def test_default_headers_are_sent() -> None:
    counter = Counter()
    client = NanoGPTClient(
        api_key="k",
        default_headers={"X-App": "demo"},
        http_client=httpx.Client(transport=httpx.MockTransport(counter)),
    )
    completion = client.chat(PAYLOAD, headers={"X-Provider": "novita"})
    request = counter.requests[0]
    assert request.headers["x-app"] == "demo"
    assert request.headers["x-provider"] == "novita"
    assert request.headers["content-type"] == "application/json"
    assert completion.request_id == "req_c"


def test_context_manager_closes_owned_pool() -> None:
    with NanoGPTClient(api_key="k") as client:
        http = client._http
    assert http.is_closed


def test_given_http_client_is_not_closed() -> None:
    http = httpx.Client()
    with NanoGPTClient(api_key="k", http_client=http):
        pass
    assert not http.is_closed
    http.close()
