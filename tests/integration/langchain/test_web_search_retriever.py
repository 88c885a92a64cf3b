"""NanoGPTWebSearchRetriever (LangChain) against the emulator: exact request bodies and documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from langchain_core.documents import Document
from pydantic import BaseModel

from nanogpt_integrations.core.errors import PaymentRequiredError
from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever, get_nanogpt_callback
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"


def _retriever(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTWebSearchRetriever:
    return NanoGPTWebSearchRetriever(api_key=KEY, base_url=emulator.base_url, **kwargs)


def _web_bodies(emulator: NanoGPTEmulator) -> list[dict[str, Any]]:
    return [r.body for r in emulator.requests if r.path == "/api/web"]


def test_search_results_sync(emulator: NanoGPTEmulator) -> None:
    docs = _retriever(emulator, k=4).invoke("rust async runtimes")
    request = emulator.last_request("/web")
    assert request.method == "POST"
    assert request.path == "/api/web"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "query": "rust async runtimes",
        "provider": "linkup",
        "depth": "standard",
        "outputType": "searchResults",
    }
    assert len(docs) == 4
    assert all(isinstance(doc, Document) for doc in docs)
    first = docs[0]
    assert first.page_content.startswith("Result 1 about rust async runtimes")
    assert first.metadata["title"] == "rust async runtimes | News 1"
    assert (
        first.metadata["url"]
        == first.metadata["source"]
        == "https://rust-async-runtimes-news.com/rust-async-runtimes/1"
    )
    assert first.metadata["type"] == "text"
    assert [doc.metadata["rank"] for doc in docs] == [1, 2, 3, 4]
    assert [doc.metadata["score"] for doc in docs] == [1.0, 0.5, pytest.approx(1 / 3), 0.25]
    assert {doc.metadata["provider"] for doc in docs} == {"linkup"}
    assert {doc.metadata["depth"] for doc in docs} == {"standard"}
    assert {doc.metadata["query"] for doc in docs} == {"rust async runtimes"}
    assert all(doc.metadata["timestamp"].endswith("Z") for doc in docs)
    assert first.metadata["cost"] == 0.006
    assert first.metadata["billed_by"] == "nanogpt"
    assert all("cost" not in doc.metadata for doc in docs[1:])
    assert first.id is not None
    assert len({doc.id for doc in docs}) == 4


async def test_search_results_async_uses_the_async_client_only(emulator: NanoGPTEmulator) -> None:
    retriever = _retriever(emulator, k=2, depth="deep")
    docs = await retriever.ainvoke("python packaging")
    assert emulator.last_request("/web").body == {
        "query": "python packaging",
        "provider": "linkup",
        "depth": "deep",
        "outputType": "searchResults",
    }
    assert [doc.metadata["rank"] for doc in docs] == [1, 2]
    assert docs[0].metadata["cost"] == 0.06  # deep Linkup search
    assert retriever.clients._sync is None  # no thread pool, no sync client


def test_ainvoke_works_across_event_loops(emulator: NanoGPTEmulator) -> None:
    # each asyncio.run() has its own loop; a pooled connection from a closed loop must not be reused
    retriever = _retriever(emulator, k=1)
    first = asyncio.run(retriever.ainvoke("first loop"))
    second = asyncio.run(retriever.ainvoke("second loop"))
    assert [first[0].metadata["query"], second[0].metadata["query"]] == ["first loop", "second loop"]
    assert len(_web_bodies(emulator)) == 2


def test_every_filter_reaches_the_wire(emulator: NanoGPTEmulator) -> None:
    retriever = _retriever(
        emulator,
        provider="linkup",
        include_images=True,
        from_date=dt.date(2025, 1, 1),
        to_date="2025-01-31",
        include_domains=["arxiv.org", "openreview.net"],
        exclude_domains=["reddit.com"],
    )
    docs = retriever.invoke("diffusion models")
    assert emulator.last_request("/web").body == {
        "query": "diffusion models",
        "provider": "linkup",
        "depth": "standard",
        "outputType": "searchResults",
        "includeImages": True,
        "fromDate": "2025-01-01",
        "toDate": "2025-01-31",
        "includeDomains": ["arxiv.org", "openreview.net"],
        "excludeDomains": ["reddit.com"],
    }
    text = [doc for doc in docs if doc.metadata["type"] == "text"]
    images = [doc for doc in docs if doc.metadata["type"] == "image"]
    assert len(text) == 10
    assert len(images) == 2
    assert {doc.metadata["url"].split("/")[2] for doc in text} == {"arxiv.org", "openreview.net"}
    assert all("2025-01-01" <= doc.metadata["date"] <= "2025-01-31" for doc in text)
    assert all(doc.metadata["image_url"].endswith(".jpg") for doc in images)
    assert all(doc.page_content for doc in docs)


def test_per_call_options_override_the_configured_ones(emulator: NanoGPTEmulator) -> None:
    retriever = _retriever(emulator, k=5, from_date="2025-01-01", include_domains=["a.com"])
    docs = retriever.invoke("llm evals", k=2, depth="deep", to_date="2025-06-30", exclude_domains=["b.com"])
    assert len(docs) == 2
    assert emulator.last_request("/web").body == {
        "query": "llm evals",
        "provider": "linkup",
        "depth": "deep",
        "outputType": "searchResults",
        "fromDate": "2025-01-01",
        "toDate": "2025-06-30",
        "includeDomains": ["a.com"],
        "excludeDomains": ["b.com"],
    }
    # the configured values are untouched for the next call
    assert len(retriever.invoke("llm evals")) == 5
    assert emulator.last_request("/web").body["depth"] == "standard"


def test_non_linkup_provider_snippets(emulator: NanoGPTEmulator) -> None:
    docs = _retriever(emulator, provider="tavily", k=3).invoke("vector databases")
    assert emulator.last_request("/web").body["provider"] == "tavily"
    # the emulator sends `snippet` instead of `content` for every other non-Linkup result
    assert [doc.page_content.split(":")[0] for doc in docs] == [
        f"Result {n} about vector databases" for n in (1, 2, 3)
    ]
    assert docs[0].metadata["provider"] == "tavily"
    assert docs[0].metadata["cost"] == 0.008


def test_sofya_is_asked_for_k_results(emulator: NanoGPTEmulator) -> None:
    docs = _retriever(emulator, provider="sofya", k=3).invoke("open data portals")
    assert emulator.last_request("/web").body == {
        "query": "open data portals",
        "provider": "sofya",
        "depth": "standard",
        "outputType": "searchResults",
        "maxResults": 3,
    }
    assert len(docs) == 3


def test_sourced_answer_documents(emulator: NanoGPTEmulator) -> None:
    docs = _retriever(emulator, output_type="sourcedAnswer").invoke("capital of France")
    assert emulator.last_request("/web").body["outputType"] == "sourcedAnswer"
    answer, *sources = docs
    assert answer.page_content == "According to 3 sources, here is a summary about capital of France."
    assert answer.metadata["type"] == "answer"
    assert [s["url"] for s in answer.metadata["sources"]] == [doc.metadata["url"] for doc in sources]
    assert [doc.metadata["type"] for doc in sources] == ["source"] * 3
    assert all(doc.page_content.startswith("Result ") for doc in sources)
    assert answer.metadata["cost"] == 0.006


class Release(BaseModel):
    name: str
    version: str
    year: int


def test_structured_output_sends_the_schema_as_a_json_string(emulator: NanoGPTEmulator) -> None:
    docs = _retriever(emulator, output_type="structured", structured_output_schema=Release).invoke(
        "latest python release"
    )
    body = emulator.last_request("/web").body
    assert body["outputType"] == "structured"
    assert isinstance(body["structuredOutputSchema"], str)
    assert json.loads(body["structuredOutputSchema"]) == Release.model_json_schema()
    assert len(docs) == 1
    parsed = docs[0].metadata["structured"]
    assert Release.model_validate(parsed) == Release.model_validate(json.loads(docs[0].page_content))


@pytest.mark.parametrize(
    ("query", "kwargs", "param"),
    [
        ("", {}, "query"),
        ("   ", {}, "query"),
        ("q", {"k": 0}, "k"),
        ("q", {"from_date": "not-a-date"}, "from_date"),
        ("q", {"from_date": "2025-05-01", "to_date": "2025-04-01"}, "from_date"),
    ],
)
async def test_bad_input_fails_before_any_request(
    emulator: NanoGPTEmulator, query: str, kwargs: dict[str, Any], param: str
) -> None:
    retriever = _retriever(emulator)
    with pytest.raises(ValueError, match=param):
        retriever.invoke(query, **kwargs)
    with pytest.raises(ValueError, match=param):
        await retriever.ainvoke(query, **kwargs)
    assert emulator.requests == []


def test_missing_key_fails_before_any_request(
    emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    retriever = NanoGPTWebSearchRetriever(base_url=emulator.base_url)
    with pytest.raises(ValueError, match="NANOGPT_API_KEY"):
        retriever.invoke("anything")
    assert emulator.requests == []


def test_server_errors_are_typed_and_retried_once_in_the_core(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(503), path="/web")
    docs = _retriever(emulator, k=1, max_retries=1).invoke("retry me")
    assert len(docs) == 1
    assert len(_web_bodies(emulator)) == 2  # one failure, one retry: a single retry layer

    emulator.clear()
    emulator.inject(Fault.http_status(402, message="Insufficient balance"), path="/web")
    with pytest.raises(PaymentRequiredError, match="Insufficient balance"):
        _retriever(emulator).invoke("no money")
    assert len(_web_bodies(emulator)) == 1  # 402 is not retried


def test_cost_is_totalled_by_the_nanogpt_callback(emulator: NanoGPTEmulator) -> None:
    retriever = _retriever(emulator, k=3)
    with get_nanogpt_callback() as cb:
        retriever.invoke("one")
        retriever.invoke("two", depth="deep")
    assert cb.web_searches == 2
    assert cb.web_search_cost == pytest.approx(0.066)
    assert cb.total_cost == pytest.approx(0.066)
