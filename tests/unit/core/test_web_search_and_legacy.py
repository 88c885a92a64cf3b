"""``/api/web`` request validation and typed responses (api-reference/endpoint/web-search.mdx); ``talk-to-gpt`` trailer (api-reference/endpoint/talk-to-gpt.mdx)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import BaseModel

from nanogpt_integrations.core import (
    SEARCH_PROVIDERS,
    TalkToGPTResult,
    WebSearchRequest,
    WebSearchResponse,
    parse_talk_to_gpt,
)

# -- talk-to-gpt --------------------------------------------------------------------------------


def test_talk_to_gpt_cost_trailer() -> None:
    body = 'Artificial intelligence is ...<NanoGPT>{"cost": 0.00012, "inputTokens": 24, "outputTokens": 21}</NanoGPT>'
    result = parse_talk_to_gpt(body, "req_t")
    assert result == TalkToGPTResult(
        text="Artificial intelligence is ...",
        cost=0.00012,
        input_tokens=24,
        output_tokens=21,
        metadata={"cost": 0.00012, "inputTokens": 24, "outputTokens": 21},
        request_id="req_t",
    )


def test_talk_to_gpt_historical_nano_cost() -> None:
    result = parse_talk_to_gpt(
        'Hi<NanoGPT>{"nanoCost": 0.5, "inputTokens": "3", "outputTokens": 1.0}</NanoGPT>'
    )
    assert (result.text, result.cost, result.input_tokens, result.output_tokens) == ("Hi", 0.5, 3, 1)


def test_talk_to_gpt_without_trailer_is_all_text() -> None:
    result = parse_talk_to_gpt("Just text, no trailer.")
    assert result.text == "Just text, no trailer."
    assert (result.cost, result.input_tokens, result.output_tokens, result.metadata) == (None, None, None, {})


def test_talk_to_gpt_malformed_trailer_is_removed_without_cost() -> None:
    result = parse_talk_to_gpt("Answer<NanoGPT>{oops</NanoGPT>")
    assert result.text == "Answer"
    assert result.cost is None


def test_talk_to_gpt_uses_the_last_trailer() -> None:
    body = 'The tag <NanoGPT> appears in text.<NanoGPT>{"cost": 1}</NanoGPT>'
    result = parse_talk_to_gpt(body)
    assert result.text == "The tag <NanoGPT> appears in text."
    assert result.cost == 1.0


# -- WebSearchRequest -----------------------------------------------------------------------------


def test_minimal_request_wire() -> None:
    assert WebSearchRequest(query="  latest AI news ").to_wire() == {
        "query": "latest AI news",
        "provider": "linkup",
        "depth": "standard",
        "outputType": "searchResults",
    }


def test_full_request_wire() -> None:
    request = WebSearchRequest(
        query="q",
        provider="linkup",
        depth="deep",
        output_type="sourcedAnswer",
        include_images=True,
        from_date="2025-01-01",
        to_date=dt.date(2025, 2, 1),
        include_domains=["example.com", " arxiv.org "],
        exclude_domains=["spam.com"],
    )
    assert request.to_wire() == {
        "query": "q",
        "provider": "linkup",
        "depth": "deep",
        "outputType": "sourcedAnswer",
        "includeImages": True,
        "fromDate": "2025-01-01",
        "toDate": "2025-02-01",
        "includeDomains": ["example.com", "arxiv.org"],
        "excludeDomains": ["spam.com"],
    }


def test_structured_schema_sent_as_json_string() -> None:
    class Answer(BaseModel):
        title: str
        year: int

    wire = WebSearchRequest(query="q", output_type="structured", structured_output_schema=Answer).to_wire()
    assert isinstance(wire["structuredOutputSchema"], str)
    assert json.loads(wire["structuredOutputSchema"])["properties"].keys() == {"title", "year"}
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    wire = WebSearchRequest(query="q", output_type="structured", structured_output_schema=schema).to_wire()
    assert json.loads(wire["structuredOutputSchema"]) == schema
    wire = WebSearchRequest(
        query="q", output_type="structured", structured_output_schema='{"type": "object"}'
    ).to_wire()
    assert wire["structuredOutputSchema"] == '{"type": "object"}'


def test_sofya_max_results() -> None:
    assert WebSearchRequest(query="q", provider="sofya", max_results=5).to_wire()["maxResults"] == 5
    assert "maxResults" not in WebSearchRequest(query="q", provider="tavily", max_results=5).to_wire()


def test_sofya_max_results_range_from_reference() -> None:
    # api-reference/endpoint/web-search.mdx: Sofya `maxResults` is 1–20.
    with pytest.raises(ValueError, match="max_results"):
        WebSearchRequest(query="q", provider="sofya", max_results=21)


def test_providers_match_reference() -> None:
    assert set(SEARCH_PROVIDERS) == {
        "linkup",
        "tavily",
        "exa",
        "kagi",
        "perplexity",
        "valyu",
        "brave",
        "sofya",
        "firecrawl",
    }


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"query": "  "}, ["query"]),
        ({"query": "q", "provider": "openai-native"}, ["provider"]),
        ({"query": "q", "depth": "ultra"}, ["depth"]),
        ({"query": "q", "output_type": "answer"}, ["output_type"]),
        ({"query": "q", "provider": "tavily", "output_type": "sourcedAnswer"}, ["linkup", "tavily"]),
        ({"query": "q", "output_type": "structured"}, ["structured_output_schema"]),
        ({"query": "q", "structured_output_schema": {"type": "object"}}, ["structured"]),
        ({"query": "q", "from_date": "2025-03-01", "to_date": "2025-02-01"}, ["from_date"]),
        ({"query": "q", "from_date": "01/02/2025"}, ["from_date"]),
        ({"query": "q", "include_domains": ["ok.com", " "]}, ["include_domains"]),
        ({"query": "q", "unknown_field": 1}, ["unknown_field"]),
    ],
)
def test_invalid_requests_name_the_parameter(kwargs: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        WebSearchRequest(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_invalid_schema_string_rejected_before_sending() -> None:
    request = WebSearchRequest(query="q", output_type="structured", structured_output_schema="{not json")
    with pytest.raises(ValueError, match="structured_output_schema"):
        request.to_wire()


# -- WebSearchResponse ----------------------------------------------------------------------------

METADATA = {
    "query": "latest AI news",
    "provider": "linkup",
    "operation": "search",
    "depth": "standard",
    "outputType": "searchResults",
    "timestamp": "2025-07-08T09:00:00.000Z",
    "cost": 0.006,
}


def test_search_results_items_tolerate_content_snippet_description() -> None:
    response = WebSearchResponse.model_validate(
        {
            "data": [
                {"type": "text", "title": "A", "url": "https://a", "content": "from content"},
                {"type": "text", "name": "B", "url": "https://b", "snippet": "from snippet"},
                {"title": "C", "url": "https://c", "description": "from description"},
                {"type": "image", "title": "I", "url": "https://i.jpg", "imageUrl": "https://i.jpg"},
                "not-a-dict",
            ],
            "metadata": METADATA,
        }
    )
    results = response.results()
    assert [r.text for r in results] == ["from content", "from snippet", "from description", ""]
    assert [r.display_title for r in results] == ["A", "B", "C", "I"]
    assert results[3].type == "image" and results[3].image_url == "https://i.jpg"
    assert response.output_type == "searchResults"
    assert response.cost == 0.006
    assert response.sourced_answer() is None


def test_sourced_answer() -> None:
    response = WebSearchResponse.model_validate(
        {
            "data": {
                "answer": "synthesised answer",
                "sources": [{"name": "Source", "url": "https://s", "snippet": "relevant text"}],
            },
            "metadata": {**METADATA, "outputType": "sourcedAnswer", "cost": 0.06},
        }
    )
    answer = response.sourced_answer()
    assert answer is not None
    assert answer.answer == "synthesised answer"
    assert [(s.name, s.url, s.text) for s in answer.sources] == [("Source", "https://s", "relevant text")]
    assert response.results() == []
    assert response.output_type == "sourcedAnswer"


@pytest.mark.parametrize("data", [{"title": "X", "year": 2025}, '{"title": "X", "year": 2025}'])
def test_structured_object_or_string(data: object) -> None:
    response = WebSearchResponse.model_validate(
        {"data": data, "metadata": {**METADATA, "outputType": "structured"}}
    )
    assert response.structured() == {"title": "X", "year": 2025}


def test_missing_cost_is_none() -> None:
    assert WebSearchResponse.model_validate({"data": [], "metadata": {}}).cost is None
