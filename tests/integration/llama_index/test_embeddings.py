"""NanoGPTEmbedding against the emulator: batching, order, async, and a VectorStoreIndex over it."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex

from nanogpt_integrations.llama_index import NanoGPTEmbedding, NanoGPTLLM
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator
from nanogpt_integrations.testing.embeddings import embed

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"
TEXTS = ["alpha", "beta", "gamma", "delta", "epsilon"]
FACTS = [
    "Paris is the capital of France.",
    "Berlin is the capital of Germany.",
    "Rust guarantees memory safety without a garbage collector.",
]


def _model(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTEmbedding:
    return NanoGPTEmbedding(api_key=KEY, api_base=emulator.base_url, **kwargs)


def _inputs(emulator: NanoGPTEmulator) -> list[list[str]]:
    return [r.body["input"] for r in emulator.requests if r.path == "/api/v1/embeddings"]


def test_batches_and_exact_body(emulator: NanoGPTEmulator) -> None:
    model = _model(emulator, model_name="text-embedding-3-large", embed_batch_size=2, dimensions=12)
    vectors = model.get_text_embedding_batch(TEXTS)
    assert _inputs(emulator) == [["alpha", "beta"], ["gamma", "delta"], ["epsilon"]]
    assert emulator.last_request("/embeddings").body == {
        "model": "text-embedding-3-large",
        "input": ["epsilon"],
        "encoding_format": "float",
        "dimensions": 12,
    }
    assert vectors == [pytest.approx(embed(text, 12)) for text in TEXTS]
    assert model.get_query_embedding("gamma") == pytest.approx(vectors[2])


async def test_async_batches(emulator: NanoGPTEmulator) -> None:
    model = _model(emulator, embed_batch_size=4)
    vectors = await model.aget_text_embedding_batch(TEXTS)
    assert sorted(_inputs(emulator)) == sorted([TEXTS[:4], TEXTS[4:]])
    assert vectors == [pytest.approx(embed(text)) for text in TEXTS]
    assert await model.aget_query_embedding("beta") == pytest.approx(vectors[1])
    assert await model.aget_text_embedding("delta") == pytest.approx(vectors[3])
    assert model._lazy_clients()._sync is None


def test_vector_store_index_and_query(emulator: NanoGPTEmulator) -> None:
    embed_model = _model(emulator, dimensions=32)
    index = VectorStoreIndex.from_documents([Document(text=fact) for fact in FACTS], embed_model=embed_model)
    assert [sorted(batch) for batch in _inputs(emulator)] == [sorted(FACTS)]  # one batched request
    # the emulator's vectors are hashes of the text, so only the identical text is a perfect match
    (hit,) = index.as_retriever(similarity_top_k=1).retrieve(FACTS[2])
    assert hit.node.get_content() == FACTS[2]
    assert hit.score == pytest.approx(1.0)

    emulator.script(ChatReply(content="Rust is memory safe."))
    llm = NanoGPTLLM(model="openai/gpt-4o-mini", api_key=KEY, api_base=emulator.base_url)
    response = index.as_query_engine(llm=llm, similarity_top_k=1).query(FACTS[1])
    assert str(response) == "Rust is memory safe."
    assert response.source_nodes[0].node.get_content() == FACTS[1]
    prompt = emulator.last_request("/chat/completions").body["messages"]
    assert FACTS[1] in str(prompt)
    assert FACTS[0] not in str(prompt)
