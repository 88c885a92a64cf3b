"""NanoGPTWebSearchRetriever (LlamaIndex) against the emulator: request bodies, nodes, query engines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.query_engine import CitationQueryEngine, RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, QueryBundle
from pydantic import BaseModel

from nanogpt_integrations.core.search_records import SearchParameterError
from nanogpt_integrations.llama_index import NanoGPTLLM, NanoGPTWebSearchRetriever
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"
QUESTION = "What is the capital of France?"


def _retriever(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTWebSearchRetriever:
    return NanoGPTWebSearchRetriever(api_key=KEY, api_base=emulator.base_url, **kwargs)


def _llm(emulator: NanoGPTEmulator) -> NanoGPTLLM:
    return NanoGPTLLM(model="openai/gpt-4o-mini", api_key=KEY, api_base=emulator.base_url)


def _chats(emulator: NanoGPTEmulator) -> list[dict[str, Any]]:
    return [r.body for r in emulator.requests if r.path.endswith("/chat/completions")]


def test_retrieve_sync(emulator: NanoGPTEmulator) -> None:
    nodes = _retriever(emulator, k=3).retrieve(QUESTION)
    assert emulator.last_request("/web").body == {
        "query": QUESTION,
        "provider": "linkup",
        "depth": "standard",
        "outputType": "searchResults",
    }
    assert [n.score for n in nodes] == [1.0, 0.5, pytest.approx(1 / 3)]
    first = nodes[0].node
    assert first.metadata["url"] == "https://what-is-the-capital-news.com/what-is-the-capital/1"
    assert first.metadata["title"] == f"{QUESTION} | News 1"
    assert (first.metadata["rank"], first.metadata["provider"], first.metadata["cost"]) == (
        1,
        "linkup",
        0.006,
    )
    assert first.get_content(MetadataMode.LLM) == (
        f"title: {QUESTION} | News 1\n"
        "url: https://what-is-the-capital-news.com/what-is-the-capital/1\n\n"
        f"Result 1 about {QUESTION}: a deterministic snippet from what-is-the-capital-news.com."
    )
    # stable ids: the same search gives the same node ids
    assert [n.node.node_id for n in _retriever(emulator, k=3).retrieve(QUESTION)] == [
        n.node.node_id for n in nodes
    ]


async def test_retrieve_async_with_filters(emulator: NanoGPTEmulator) -> None:
    retriever = _retriever(
        emulator,
        provider="exa",
        depth="deep",
        include_images=True,
        from_date="2024-12-01",
        to_date="2024-12-31",
        include_domains=["nature.com"],
        exclude_domains=["example.com"],
    )
    nodes = await retriever.aretrieve(QueryBundle("protein folding"))
    assert emulator.last_request("/web").body == {
        "query": "protein folding",
        "provider": "exa",
        "depth": "deep",
        "outputType": "searchResults",
        "includeImages": True,
        "fromDate": "2024-12-01",
        "toDate": "2024-12-31",
        "includeDomains": ["nature.com"],
        "excludeDomains": ["example.com"],
    }
    assert len(nodes) == 12
    assert [n.node.metadata["type"] for n in nodes[-2:]] == ["image", "image"]
    assert all(n.node.get_content() for n in nodes)  # snippet-only exa results still have text
    assert nodes[0].node.metadata["cost"] == pytest.approx(0.015)
    assert retriever._search.clients(retriever)._sync is None  # native async: no sync client, no thread


def test_sourced_answer_and_structured(emulator: NanoGPTEmulator) -> None:
    answer, *sources = _retriever(emulator, output_type="sourcedAnswer").retrieve(QUESTION)
    assert answer.node.metadata["type"] == "answer"
    assert answer.node.get_content(MetadataMode.LLM) == answer.node.get_content(MetadataMode.NONE)
    assert [s["url"] for s in answer.node.metadata["sources"]] == [n.node.metadata["url"] for n in sources]

    class City(BaseModel):
        name: str
        population: int

    (node,) = _retriever(emulator, output_type="structured", structured_output_schema=City).retrieve(QUESTION)
    body = emulator.last_request("/web").body
    assert json.loads(body["structuredOutputSchema"]) == City.model_json_schema()
    assert City.model_validate_json(node.node.get_content()) == City.model_validate(
        node.node.metadata["structured"]
    )
    assert "structured" in node.node.excluded_llm_metadata_keys


@pytest.mark.parametrize("query", ["", "   "])
async def test_empty_query_fails_before_any_request(emulator: NanoGPTEmulator, query: str) -> None:
    retriever = _retriever(emulator)
    with pytest.raises(SearchParameterError, match="query"):
        retriever.retrieve(query)
    with pytest.raises(SearchParameterError, match="query"):
        await retriever.aretrieve(query)
    assert emulator.requests == []


def test_retriever_query_engine_answers_from_the_search_results(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="Paris (https://what-is-the-capital-news.com/what-is-the-capital/1)."))
    engine = RetrieverQueryEngine.from_args(_retriever(emulator, k=3), llm=_llm(emulator))
    response = engine.query(QUESTION)
    assert str(response) == "Paris (https://what-is-the-capital-news.com/what-is-the-capital/1)."
    assert [n.score for n in response.source_nodes] == [1.0, 0.5, pytest.approx(1 / 3)]
    prompt = json.dumps(_chats(emulator)[-1]["messages"])
    for node in response.source_nodes:
        assert node.node.metadata["url"] in prompt  # titles and URLs reach the LLM for citations
        assert node.node.get_content(MetadataMode.NONE) in prompt
    assert "timestamp" not in prompt
    assert "billed_by" not in prompt


async def test_citation_query_engine_keeps_urls_on_numbered_sources(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="The capital of France is Paris [2]."))
    retriever = _retriever(emulator, k=3)
    engine = CitationQueryEngine(retriever=retriever, llm=_llm(emulator))
    response = await engine.aquery(QUESTION)
    assert str(response) == "The capital of France is Paris [2]."
    prompt = json.dumps(_chats(emulator)[-1]["messages"])
    assert "Source 1:" in prompt
    assert "Source 3:" in prompt
    assert "Source 2:\\nResult 2 about" in prompt
    cited = response.source_nodes[1].node  # "[2]"
    assert cited.metadata["url"] == "https://what-is-the-capital-wiki.org/what-is-the-capital/2"
    assert cited.get_content(MetadataMode.NONE).startswith("Source 2:\nResult 2 about")
    assert retriever._search.clients(retriever)._sync is None
