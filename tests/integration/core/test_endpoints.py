"""The core clients against the emulator: what goes on the wire and what comes back, sync and async.

Every scenario is an ``async def`` run once with :class:`NanoGPTClient` (through a thin awaitable
adapter) and once with :class:`AsyncNanoGPTClient`, so both clients are held to the same contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from nanogpt_integrations.core import (
    AsyncNanoGPTClient,
    ChatCompletion,
    NanoGPTClient,
    NanoGPTOptions,
    StreamAccumulator,
    WebSearchRequest,
    turn_from_completion,
)
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator, ToolCallSpec
from nanogpt_integrations.testing.embeddings import embed

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(30)]

KEY = "test-key-for-the-emulator"
MODEL = "openai/gpt-4o-mini"
PAYLOAD = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


class SyncApi:
    """Awaitable facade over the blocking client (calls run inline; fine for one task)."""

    mode = "sync"

    def __init__(self, client: NanoGPTClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call

    async def collect(self, payload: dict[str, Any], **kwargs: Any) -> tuple[list[Any], BaseException | None]:
        items: list[Any] = []
        try:
            for item in self.client.stream_chat(payload, **kwargs):
                items.append(item)
        except Exception as exc:
            return items, exc
        return items, None

    async def collect_completions(self, payload: dict[str, Any]) -> list[Any]:
        return list(self.client.stream_completions(payload))


class AsyncApi:
    mode = "async"

    def __init__(self, client: AsyncNanoGPTClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def collect(self, payload: dict[str, Any], **kwargs: Any) -> tuple[list[Any], BaseException | None]:
        items: list[Any] = []
        try:
            async for item in await self.client.stream_chat(payload, **kwargs):
                items.append(item)
        except Exception as exc:
            return items, exc
        return items, None

    async def collect_completions(self, payload: dict[str, Any]) -> list[Any]:
        return [item async for item in await self.client.stream_completions(payload)]


Scenario = Callable[[Any], Awaitable[Any]]


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest, emulator: NanoGPTEmulator) -> Callable[..., Any]:
    """``run(scenario, **client_kwargs)`` with a fresh client of the parametrised kind."""

    def runner(scenario: Scenario, bound: float = 20.0, **kwargs: Any) -> Any:
        kwargs = {"api_key": KEY, "base_url": emulator.base_url, **kwargs}

        async def main() -> Any:
            if request.param == "sync":
                with NanoGPTClient(**kwargs) as client:
                    return await scenario(SyncApi(client))
            async with AsyncNanoGPTClient(**kwargs) as aclient:
                return await scenario(AsyncApi(aclient))

        return asyncio.run(asyncio.wait_for(main(), bound))

    return runner


def accumulate(items: list[Any]) -> Any:
    acc = StreamAccumulator()
    for item in items:
        acc.add(item)
    return acc.result()


# -- chat -----------------------------------------------------------------------------------------


def test_chat_non_stream_wire_and_result(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    async def scenario(api: Any) -> ChatCompletion:
        return await api.chat({**PAYLOAD, "stream": True, "stream_options": {"include_usage": True}})

    completion = run(scenario)
    request = emulator.last_request("/chat/completions")
    assert request.method == "POST"
    assert request.path == "/api/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("nanogpt-integrations/")
    assert request.body == {**PAYLOAD, "include_usage": True}, (
        "stream flags are removed from a non-streaming call, and usage is asked for"
    )
    turn = turn_from_completion(completion)
    assert turn.content == "Hello! You said: hi"
    assert turn.finish_reason == "stop"
    assert completion.request_id is not None and completion.request_id.startswith("req_")
    assert turn.usage is not None and turn.usage.input_tokens > 0 and turn.usage.output_tokens > 0
    assert turn.cost is not None and turn.cost > 0


def test_chat_stream_wire_and_result(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    async def scenario(api: Any) -> tuple[list[Any], BaseException | None]:
        return await api.collect(PAYLOAD)

    items, error = run(scenario)
    assert error is None
    request = emulator.last_request("/chat/completions")
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {**PAYLOAD, "stream": True, "stream_options": {"include_usage": True}}
    turn = accumulate(items)
    assert turn.content == "Hello! You said: hi"
    assert turn.finish_reason == "stop"
    assert turn.usage is not None and turn.usage.total_tokens > 0
    assert turn.cost is not None and turn.cost > 0
    assert len(items) >= 3, "role frame, content pieces, finish frame"


def test_chat_stream_without_usage(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    async def scenario(api: Any) -> tuple[list[Any], BaseException | None]:
        return await api.collect(PAYLOAD, include_usage=False)

    items, error = run(scenario)
    assert error is None
    assert "stream_options" not in emulator.last_request("/chat/completions").body
    turn = accumulate(items)
    assert turn.raw_usage is None, "no usage object was asked for or sent"
    assert turn.cost is not None, "x_nanogpt_pricing rides the finish frame even without include_usage"
    pricing = turn.pricing
    assert pricing is not None and pricing.input_tokens is not None
    # The counts come from x_nanogpt_pricing instead (issue 13.2), and say so.
    assert turn.usage_source == "x_nanogpt_pricing"
    assert turn.usage is not None
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (pricing.input_tokens, pricing.output_tokens)


def test_stream_and_non_stream_agree(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    reply = ChatReply(
        content="The answer is 4.",
        reasoning="2 plus 2 is 4",
        tool_calls=[ToolCallSpec("add", {"a": 2, "b": 2}, id="call_add")],
        chunk_size=3,
    )

    async def scenario(api: Any) -> tuple[Any, tuple[list[Any], BaseException | None]]:
        emulator.script(reply, reply)
        return await api.chat(PAYLOAD), await api.collect(PAYLOAD)

    completion, (items, error) = run(scenario)
    assert error is None
    direct = turn_from_completion(completion)
    streamed = accumulate(items)
    for turn in (direct, streamed):
        assert turn.content == "The answer is 4."
        assert turn.reasoning == "2 plus 2 is 4"
        assert [(c.id, c.name, c.arguments) for c in turn.tool_calls] == [
            ("call_add", "add", '{"a": 2, "b": 2}')
        ]
        assert turn.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("omit_index", "repeat_id"),
    [(True, False), (False, True), (True, True)],
    ids=["no-index", "id-repeated", "both"],
)
def test_stream_tool_calls_tolerate_missing_index_and_repeated_ids(
    run: Callable[..., Any], emulator: NanoGPTEmulator, omit_index: bool, repeat_id: bool
) -> None:
    reply = ChatReply(
        tool_calls=[
            ToolCallSpec("get_weather", {"city": "Paris", "unit": "celsius"}, id="call_w"),
            ToolCallSpec("get_time", {"zone": "Europe/Paris"}, id="call_t"),
        ],
        chunk_size=4,
        omit_tool_call_index=omit_index,
        repeat_tool_call_id=repeat_id,
    )

    async def scenario(api: Any) -> tuple[list[Any], BaseException | None]:
        emulator.script(reply)
        return await api.collect(PAYLOAD)

    items, error = run(scenario)
    assert error is None
    turn = accumulate(items)
    assert [(c.id, c.name, c.arguments) for c in turn.tool_calls] == [
        ("call_w", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
        ("call_t", "get_time", '{"zone": "Europe/Paris"}'),
    ]


def test_options_reach_the_wire(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    options = NanoGPTOptions(
        provider="novita", billing_mode="paygo", web_search="deep", reasoning_effort="low"
    )
    parts = options.apply(MODEL, {"messages": PAYLOAD["messages"]}, {})

    async def scenario(api: Any) -> tuple[Any, tuple[list[Any], BaseException | None]]:
        body = {"model": parts.model, **parts.body}
        return await api.chat(body, headers=parts.headers), await api.collect(body, headers=parts.headers)

    _, (_, error) = run(scenario)
    assert error is None
    plain, streamed = emulator.requests[-2:]
    for request in (plain, streamed):
        assert request.headers["x-provider"] == "novita"
        assert request.headers["x-billing-mode"] == "paygo"
        assert request.body["model"] == f"{MODEL}:online/linkup-deep"
        assert request.body["reasoning_effort"] == "low"
    assert streamed.body["stream_options"] == {"include_usage": True}


def test_caching_options_reach_the_body(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    options = NanoGPTOptions(caching=True, sticky_provider=False, prompt_caching={"ttl": "1h"})
    parts = options.apply("anthropic/claude-haiku-4.5", {"messages": PAYLOAD["messages"]}, {})

    async def scenario(api: Any) -> Any:
        return await api.chat({"model": parts.model, **parts.body}, headers=parts.headers)

    run(scenario)
    body = emulator.last_request("/chat/completions").body
    assert body["caching"] is True
    assert body["stickyprovider"] is False
    assert body["prompt_caching"] == {"enabled": True, "ttl": "1h"}
    assert "x-provider" not in emulator.last_request("/chat/completions").headers


# -- other endpoints ------------------------------------------------------------------------------


def test_completions(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    payload = {"model": MODEL, "prompt": "Once upon a time", "max_tokens": 50}

    async def scenario(api: Any) -> tuple[Any, list[Any]]:
        return await api.completions(payload), await api.collect_completions(payload)

    completion, chunks = run(scenario)
    plain, streamed = emulator.requests[-2:]
    assert plain.path == streamed.path == "/api/v1/completions"
    assert plain.body == payload
    assert streamed.body == {**payload, "stream": True, "stream_options": {"include_usage": True}}
    text = completion.choices[0].text
    assert text
    assert "".join(c.choices[0].text for c in chunks if c.choices) == text
    assert completion.usage is not None and completion.usage.normalized().total_tokens > 0
    assert any(c.usage is not None for c in chunks)


def test_talk_to_gpt(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    async def scenario(api: Any) -> Any:
        return await api.talk_to_gpt(
            "What is AI?", model=MODEL, messages=[{"role": "user", "content": "earlier"}], provider="novita"
        )

    result = run(scenario)
    request = emulator.last_request("/talk-to-gpt")
    assert request.path == "/api/talk-to-gpt"
    assert request.headers["x-api-key"] == KEY
    assert request.body == {
        "prompt": "What is AI?",
        "model": MODEL,
        "messages": [{"role": "user", "content": "earlier"}],
        "provider": "novita",
    }
    assert result.text == "Hello! You said: What is AI?"
    assert "<NanoGPT>" not in result.text
    assert result.cost is not None and result.cost > 0
    assert result.input_tokens and result.output_tokens
    assert result.request_id and result.request_id.startswith("req_")


def test_web_search_results(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    request = WebSearchRequest(query="latest AI news", provider="tavily", include_domains=["example.com"])

    async def scenario(api: Any) -> Any:
        return await api.web_search(request)

    response = run(scenario)
    sent = emulator.last_request("/web")
    assert sent.path == "/api/web"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body == request.to_wire()
    results = response.results()
    assert results and all(r.url and r.text for r in results)
    assert response.output_type == "searchResults"
    assert response.metadata["provider"] == "tavily"
    assert response.cost is not None and response.cost > 0


def test_web_search_sourced_answer(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    async def scenario(api: Any) -> Any:
        return await api.web_search(
            {"query": "what is linkup", "output_type": "sourcedAnswer", "depth": "deep"}
        )

    response = run(scenario)
    assert emulator.last_request("/web").body["outputType"] == "sourcedAnswer"
    answer = response.sourced_answer()
    assert answer is not None and answer.answer
    assert answer.sources and all(s.url for s in answer.sources)
    assert response.results() == []


def test_web_search_structured(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    class Company(BaseModel):
        name: str
        founded: int

    async def scenario(api: Any) -> Any:
        return await api.web_search(
            WebSearchRequest(query="OpenAI", output_type="structured", structured_output_schema=Company)
        )

    response = run(scenario)
    sent = emulator.last_request("/web").body
    assert isinstance(sent["structuredOutputSchema"], str)
    data = response.structured()
    assert isinstance(data, dict)
    Company.model_validate(data)


def test_embeddings_batching_keeps_order(run: Callable[..., Any], emulator: NanoGPTEmulator) -> None:
    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]

    async def scenario(api: Any) -> list[list[float]]:
        return await api.embed(texts, model="text-embedding-3-small", batch_size=2)

    vectors = run(scenario)
    batches = [r.body["input"] for r in emulator.requests if r.path.endswith("/embeddings")]
    assert batches == [["alpha", "beta"], ["gamma", "delta"], ["epsilon"]]
    assert all(r.body["model"] == "text-embedding-3-small" for r in emulator.requests)
    assert vectors == [embed(t) for t in texts]


def test_catalogue_sync_is_cached(emulator: NanoGPTEmulator) -> None:
    with NanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
        first = client.catalogue()
        second = client.catalogue()
        info = client.model_info(f"{MODEL}:online/linkup-deep:speed")
        assert len([r for r in emulator.requests if r.path.endswith("/models")]) == 1
        client.catalogue(refresh=True)
    requests = [r for r in emulator.requests if r.path.endswith("/models")]
    assert len(requests) == 2
    assert requests[0].path == "/api/v1/models"
    assert requests[0].query == {"detailed": "true"}
    assert second is first and len(first) > 0
    assert info is not None and info.id == MODEL
    assert info.context_length and info.context_length > 0


def test_catalogue_async_is_cached(emulator: NanoGPTEmulator) -> None:
    async def main() -> Any:
        async with AsyncNanoGPTClient(api_key=KEY, base_url=emulator.base_url) as client:
            first = await client.catalogue()
            second = await client.catalogue()
            info = await client.model_info(MODEL.upper())
            return first, second, info

    first, second, info = asyncio.run(asyncio.wait_for(main(), 20))
    assert len([r for r in emulator.requests if r.path.endswith("/models")]) == 1
    assert second is first
    assert info is not None and info.id == MODEL


def test_catalogue_works_without_a_key(emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    with NanoGPTClient(base_url=emulator.base_url) as client:
        assert len(client.catalogue()) > 0
    assert "authorization" not in emulator.last_request("/models").headers


def test_missing_key_raises_before_any_request(
    run: Callable[..., Any], emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nanogpt_integrations.core import MissingAPIKeyError

    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-not-ours")
    calls = [
        lambda api: api.chat(PAYLOAD),
        lambda api: api.collect(PAYLOAD),
        lambda api: api.completions({"model": MODEL, "prompt": "p"}),
        lambda api: api.talk_to_gpt("p", model=MODEL),
        lambda api: api.web_search({"query": "q"}),
        lambda api: api.embed(["a"], model="text-embedding-3-small"),
    ]
    for make_call in calls:

        async def scenario(api: Any, make_call: Any = make_call) -> BaseException | None:
            try:
                result = await make_call(api)
            except MissingAPIKeyError as exc:
                return exc
            return result[1] if isinstance(result, tuple) else None

        error = run(scenario, api_key=None)
        assert isinstance(error, MissingAPIKeyError)
        assert "NANOGPT_API_KEY" in str(error)
    assert emulator.requests == []


def test_streams_release_the_connection_on_early_exit(
    run: Callable[..., Any], emulator: NanoGPTEmulator
) -> None:
    emulator.script(ChatReply(content="a long reply in many pieces", chunk_size=2))

    async def scenario(api: Any) -> tuple[bool, Any]:
        if api.mode == "sync":
            with api.client.stream_chat(PAYLOAD) as stream:
                for _ in stream:
                    break
        else:
            async with await api.client.stream_chat(PAYLOAD) as stream:
                async for _ in stream:
                    break
        return stream.response.is_closed, await api.chat(PAYLOAD)

    closed, completion = run(scenario)
    assert closed
    assert turn_from_completion(completion).content == "Hello! You said: hi"


@pytest.mark.parametrize("given_pool", [False, True], ids=["own-pool", "given-pool"])
def test_every_request_carries_the_same_headers_whoever_owns_the_pool(
    emulator: NanoGPTEmulator, given_pool: bool
) -> None:
    """Headers common to all requests sit on the pool the client creates; a pool the caller passes
    in gets them per request. The wire sees the same either way, for chat and streams, sync and async."""
    import httpx

    kwargs: dict[str, Any] = {"api_key": KEY, "base_url": emulator.base_url, "default_headers": {"X-Team": "t1"}}
    wanted = {
        "authorization": f"Bearer {KEY}",
        "content-type": "application/json",
        "x-team": "t1",
    }

    def check(accept: str) -> None:
        request = emulator.last_request("/chat/completions")
        assert {name: request.headers[name] for name in wanted} == wanted
        assert request.headers["accept"] == accept
        assert request.headers["user-agent"].startswith("nanogpt-integrations/")

    with NanoGPTClient(**kwargs, http_client=httpx.Client() if given_pool else None) as client:
        client.chat(PAYLOAD)
        check("application/json")
        with client.stream_chat(PAYLOAD) as stream:
            list(stream)
        check("text/event-stream")

    async def main() -> None:
        pool = httpx.AsyncClient() if given_pool else None
        async with AsyncNanoGPTClient(**kwargs, http_client=pool) as aclient:
            await aclient.chat(PAYLOAD)
            check("application/json")
            stream = await aclient.stream_chat(PAYLOAD)
            async with stream:
                [chunk async for chunk in stream]
            check("text/event-stream")
        if pool is not None:
            await pool.aclose()

    asyncio.run(main())
