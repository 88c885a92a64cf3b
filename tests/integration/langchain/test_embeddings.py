"""NanoGPTEmbeddings against the emulator: exact bodies, batching, order, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from nanogpt_integrations.langchain import NanoGPTEmbeddings
from nanogpt_integrations.testing import NanoGPTEmulator
from nanogpt_integrations.testing.embeddings import embed

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"
TEXTS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def _embeddings(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTEmbeddings:
    return NanoGPTEmbeddings(api_key=KEY, base_url=emulator.base_url, **kwargs)


def _bodies(emulator: NanoGPTEmulator) -> list[dict[str, object]]:
    return [r.body for r in emulator.requests if r.path == "/api/v1/embeddings"]


def test_batches_keep_order_and_send_the_exact_body(emulator: NanoGPTEmulator) -> None:
    vectors = _embeddings(emulator, batch_size=2, dimensions=16).embed_documents(TEXTS)
    assert _bodies(emulator) == [
        {
            "model": "text-embedding-3-small",
            "input": ["alpha", "beta"],
            "encoding_format": "float",
            "dimensions": 16,
        },
        {
            "model": "text-embedding-3-small",
            "input": ["gamma", "delta"],
            "encoding_format": "float",
            "dimensions": 16,
        },
        {
            "model": "text-embedding-3-small",
            "input": ["epsilon"],
            "encoding_format": "float",
            "dimensions": 16,
        },
    ]
    assert vectors == [pytest.approx(embed(text, 16)) for text in TEXTS]


async def test_async_batches_keep_order(emulator: NanoGPTEmulator) -> None:
    model = _embeddings(emulator, model="BAAI/bge-m3", batch_size=3)
    vectors = await model.aembed_documents(TEXTS)
    bodies = _bodies(emulator)
    assert [body["input"] for body in bodies] == [TEXTS[:3], TEXTS[3:]]
    assert {body["model"] for body in bodies} == {"BAAI/bge-m3"}
    assert all("dimensions" not in body for body in bodies)
    assert vectors == [pytest.approx(embed(text)) for text in TEXTS]
    assert await model.aembed_query("beta") == pytest.approx(vectors[1])
    assert model.clients._sync is None


def test_query_and_empty_input(emulator: NanoGPTEmulator) -> None:
    model = _embeddings(emulator, dimensions=8)
    assert model.embed_documents([]) == []
    assert emulator.requests == []
    assert model.embed_query("alpha") == pytest.approx(embed("alpha", 8))
    assert _bodies(emulator)[-1]["input"] == ["alpha"]


def test_default_batch_is_one_request_for_up_to_512_inputs(emulator: NanoGPTEmulator) -> None:
    texts = [f"text {n}" for n in range(600)]
    vectors = _embeddings(emulator, dimensions=4).embed_documents(texts)
    assert [len(body["input"]) for body in _bodies(emulator)] == [512, 88]  # type: ignore[arg-type]
    assert vectors[599] == pytest.approx(embed("text 599", 4))
