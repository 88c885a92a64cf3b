"""Payload handling of the clients without a server: embeddings batching and decoding, caller dicts
left untouched, request ids on parsed responses."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import struct
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import AsyncNanoGPTClient, NanoGPTClient, NanoGPTError

PAYLOAD = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": False,
    "stream_options": {"include_usage": False},
}


def embedding_server(order: str = "normal", encoding: str = "float", drop: int = 0) -> Any:
    requests: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        items = []
        for i, text in enumerate(body["input"]):
            vector = [float(len(text)), float(i), 0.5]
            embedding: Any = vector
            if encoding == "base64":
                embedding = base64.b64encode(struct.pack("<3f", *vector)).decode()
            items.append({"object": "embedding", "index": i, "embedding": embedding})
        if order == "reversed":
            items.reverse()
        items = items[: len(items) - drop] if drop else items
        return httpx.Response(200, json={"object": "list", "data": items, "model": body["model"]})

    return handler, requests


def test_embed_batches_and_keeps_order_even_if_the_server_reorders() -> None:
    handler, requests = embedding_server(order="reversed")
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = client.embed(texts, model="e", batch_size=2, dimensions=3)
    assert [r["input"] for r in requests] == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    assert all(
        r == {"model": "e", "input": r["input"], "encoding_format": "float", "dimensions": 3}
        for r in requests
    )
    assert vectors == [[1.0, 0.0, 0.5], [2.0, 1.0, 0.5], [3.0, 0.0, 0.5], [4.0, 1.0, 0.5], [5.0, 0.0, 0.5]]


def test_embed_async_matches_sync() -> None:
    handler, requests = embedding_server()
    client = AsyncNanoGPTClient(
        api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    vectors = asyncio.run(client.embed(["x", "yy", "zzz"], model="e", batch_size=2))
    assert len(requests) == 2
    assert "dimensions" not in requests[0]
    assert vectors == [[1.0, 0.0, 0.5], [2.0, 1.0, 0.5], [3.0, 0.0, 0.5]]


def test_embed_decodes_base64_vectors() -> None:
    handler, _ = embedding_server(encoding="base64")
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert client.embed(["ab", "c"], model="e") == [[2.0, 0.0, 0.5], [1.0, 1.0, 0.5]]


def test_embed_count_mismatch_is_an_error_not_a_gap() -> None:
    handler, _ = embedding_server(drop=1)
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(NanoGPTError, match="2 embeddings for 3 inputs"):
        client.embed(["a", "b", "c"], model="e")


@pytest.mark.parametrize("size", [0, -1, 2049])
def test_embed_batch_size_bounds(size: int) -> None:
    client = NanoGPTClient(api_key="k")
    with pytest.raises(ValueError, match="batch_size"):
        client.embed(["a"], model="e", batch_size=size)
    client.close()


def test_embed_of_nothing_sends_nothing() -> None:
    handler, requests = embedding_server()
    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert client.embed([], model="e") == []
    assert requests == []


def test_caller_payload_is_never_mutated() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if body.get("stream"):
            return httpx.Response(
                200, content=b"data: [DONE]\n\n", headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}}]})

    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    original = copy.deepcopy(PAYLOAD)
    client.chat(PAYLOAD)
    list(client.stream_chat(PAYLOAD))
    assert original == PAYLOAD
    assert seen[0] == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "include_usage": True}
    assert seen[1]["stream"] is True
    assert seen[1]["stream_options"] == {"include_usage": False}, "an explicit caller choice is kept"


def test_non_stream_chat_asks_for_usage_and_keeps_a_caller_choice() -> None:
    """api-reference/endpoint/chat-completion.mdx: usage on non-streaming calls only with
    ``"include_usage": true``; legacy ``/completions`` bodies are left as they are."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, json.loads(request.content)))
        choice = {"index": 0, "message": {"role": "assistant", "content": "ok"}, "text": "ok"}
        return httpx.Response(200, json={"choices": [choice]})

    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    client.chat({"model": "m", "messages": [], "include_usage": False})
    client.completions({"model": "m", "prompt": "p"})
    asyncio.run(
        AsyncNanoGPTClient(
            api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
        ).chat({"model": "m", "messages": []})
    )
    assert seen == [
        ("/api/v1/chat/completions", {"model": "m", "messages": [], "include_usage": False}),
        ("/api/v1/completions", {"model": "m", "prompt": "p"}),
        ("/api/v1/chat/completions", {"model": "m", "messages": [], "include_usage": True}),
    ]


def test_request_id_on_parsed_responses() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/embeddings"):
            return httpx.Response(200, json={"data": []}, headers={"X-Request-ID": "req_emb"})
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "ok"}}]}, headers={"X-Request-ID": "req_chat"}
        )

    client = NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert client.chat(PAYLOAD).request_id == "req_chat"
    assert client.completions({"model": "m", "prompt": "p"}).request_id == "req_chat"
    assert client.embeddings({"model": "e", "input": []}).request_id == "req_emb"
