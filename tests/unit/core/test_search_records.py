"""search_records: option checks naming the parameter, and /api/web responses → neutral records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import BaseModel

from nanogpt_integrations.core.search_records import (
    LLM_HIDDEN_METADATA_KEYS,
    SearchParameterError,
    SearchRecord,
    build_search_request,
    check_k,
    check_search_options,
    format_records,
    plan_search,
    rank_score,
    search_records,
)
from nanogpt_integrations.core.web_search import WebSearchRequest, WebSearchResponse

META = {
    "query": "q",
    "provider": "linkup",
    "operation": "search",
    "depth": "standard",
    "outputType": "searchResults",
    "timestamp": "2025-07-08T09:00:00.000Z",
    "cost": 0.006,
}


def _response(data: Any, **meta: Any) -> WebSearchResponse:
    return WebSearchResponse.model_validate({"data": data, "metadata": {**META, **meta}})


def _results(n: int) -> list[dict[str, Any]]:
    return [
        {"type": "text", "title": f"T{i}", "url": f"https://e{i}.com/a", "content": f"text {i}"}
        for i in range(1, n + 1)
    ]


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "options", "param", "fragment"),
    [
        ("", {}, "query", "non-empty"),
        ("   ", {}, "query", "non-empty"),
        ("q", {"from_date": "yesterday"}, "from_date", "YYYY-MM-DD"),
        ("q", {"to_date": "2025-13-01"}, "to_date", "YYYY-MM-DD"),
        ("q", {"from_date": "2025-02-01", "to_date": "2025-01-01"}, "from_date", "after to_date"),
        ("q", {"output_type": "structured"}, "structured_output_schema", "needs structured_output_schema"),
        ("q", {"provider": "exa", "output_type": "sourcedAnswer"}, "output_type", "provider='linkup'"),
        ("q", {"provider": "bing"}, "provider", "'linkup'"),
        ("q", {"depth": "shallow"}, "depth", "'standard' or 'deep'"),
        ("q", {"include_domains": ["", "a.com"]}, "include_domains", "empty"),
        (
            "q",
            {"output_type": "structured", "structured_output_schema": "{not json"},
            "structured_output_schema",
            "not valid JSON",
        ),
        ("q", {"structured_output_schema": {"type": "object"}}, "structured_output_schema", "only used"),
        ("q", {"fromDate": "2025-01-01"}, "fromDate", "unknown search option"),
    ],
)
def test_bad_options_name_the_parameter(
    query: str, options: dict[str, Any], param: str, fragment: str
) -> None:
    with pytest.raises(SearchParameterError) as info:
        build_search_request(query, **options)
    assert info.value.param == param
    assert param in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("k", [0, -3, True, 2.5, "3"])
def test_check_k_rejects_non_positive_and_non_integers(k: Any) -> None:
    with pytest.raises(SearchParameterError, match=r"^k must be an integer >= 1") as info:
        check_k(k)
    assert info.value.param == "k"


def test_check_k_accepts_none_and_positive() -> None:
    assert check_k(None) is None
    assert check_k(1) == 1
    assert check_k(7, "max_results") == 7
    with pytest.raises(SearchParameterError, match="max_results"):
        check_k(0, "max_results")


class Person(BaseModel):
    name: str
    born: int


def test_request_wire_body_is_exact() -> None:
    request = build_search_request(
        "  rust async  ",
        depth="deep",
        from_date=dt.date(2025, 1, 2),
        to_date="2025-03-04",
        include_domains="rust-lang.org",
        exclude_domains=["reddit.com"],
        include_images=True,
        provider=None,
    )
    assert request.to_wire() == {
        "query": "rust async",
        "provider": "linkup",
        "depth": "deep",
        "outputType": "searchResults",
        "includeImages": True,
        "fromDate": "2025-01-02",
        "toDate": "2025-03-04",
        "includeDomains": ["rust-lang.org"],
        "excludeDomains": ["reddit.com"],
    }


def test_structured_schema_from_a_pydantic_model_is_a_json_string() -> None:
    request = build_search_request("q", output_type="structured", structured_output_schema=Person)
    schema = request.to_wire()["structuredOutputSchema"]
    assert isinstance(schema, str)
    assert json.loads(schema) == Person.model_json_schema()


def test_check_search_options_normalises_dates() -> None:
    checked = check_search_options(from_date="2025-01-01", to_date=dt.datetime(2025, 2, 1, 12, 0))
    assert (checked.from_date, checked.to_date) == (dt.date(2025, 1, 1), dt.date(2025, 2, 1))


def test_plan_search_per_call_values_override_configured_ones_unless_none() -> None:
    configured = {"depth": "standard", "from_date": "2025-01-01", "include_domains": ["a.com"]}
    request, limit = plan_search(
        "q", configured, k=None, default_k=4, depth="deep", include_domains=None, to_date="2025-02-01"
    )
    assert (request.depth, request.from_date, request.to_date) == (
        "deep",
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 1),
    )
    assert request.include_domains == ["a.com"]
    assert limit == 4
    assert plan_search("q", configured, k=2, default_k=4)[1] == 2
    with pytest.raises(SearchParameterError, match=r"^k must"):
        plan_search("q", configured, k=0)
    with pytest.raises(SearchParameterError, match="after to_date"):
        plan_search("q", configured, to_date="2024-12-31")


def test_plan_search_asks_sofya_for_k_results_capped_at_its_limit() -> None:
    request, limit = plan_search("q", {"provider": "sofya"}, k=5)
    assert (request.to_wire()["maxResults"], limit) == (5, 5)
    request, limit = plan_search("q", {"provider": "sofya"}, k=50)
    assert (request.to_wire()["maxResults"], limit) == (20, 50)
    assert "maxResults" not in plan_search("q", {"provider": "linkup"}, k=5)[0].to_wire()
    assert "maxResults" not in plan_search("q", {"provider": "sofya"})[0].to_wire()


# -- records -----------------------------------------------------------------------------------


def test_search_results_become_ranked_records_with_common_metadata() -> None:
    data = [
        {"type": "text", "title": "A", "url": "https://a.com/1", "content": "alpha", "date": "2025-01-05"},
        {"type": "text", "name": "B", "url": "https://b.com/2", "snippet": "beta"},
        {"type": "text", "title": "C", "url": "https://c.com/3", "description": "gamma", "favicon": "f.ico"},
        {"type": "image", "title": "Pic", "url": "https://i.com/p.jpg", "imageUrl": "https://i.com/p.jpg"},
    ]
    request = WebSearchRequest(query="q", include_images=True)
    records = search_records(_response(data), request)
    assert [r.text for r in records] == ["alpha", "beta", "gamma", "Pic"]
    assert [r.rank for r in records] == [1, 2, 3, 4]
    assert [r.score for r in records] == [1.0, 0.5, pytest.approx(1 / 3), 0.25]
    first, second, third, image = (r.metadata for r in records)
    assert first == {
        "title": "A",
        "url": "https://a.com/1",
        "source": "https://a.com/1",
        "type": "text",
        "date": "2025-01-05",
        "rank": 1,
        "score": 1.0,
        "provider": "linkup",
        "depth": "standard",
        "query": "q",
        "timestamp": "2025-07-08T09:00:00.000Z",
        "cost": 0.006,
        "billed_by": "nanogpt",
    }
    assert second["title"] == "B"
    assert "cost" not in second
    assert "billed_by" not in second
    assert third["favicon"] == "f.ico"
    assert image["type"] == "image"
    assert image["image_url"] == "https://i.com/p.jpg"


def test_k_truncates_and_cost_stays_on_the_first_record() -> None:
    records = search_records(_response(_results(10)), WebSearchRequest(query="q"), k=3)
    assert [r.metadata["title"] for r in records] == ["T1", "T2", "T3"]
    assert [("cost" in r.metadata) for r in records] == [True, False, False]


def test_no_cost_reported_means_no_cost_key_but_still_billed_by_nanogpt() -> None:
    response = WebSearchResponse.model_validate({"data": _results(2), "metadata": {"query": "q"}})
    records = search_records(response, WebSearchRequest(query="q", provider="brave"))
    assert all("cost" not in r.metadata for r in records)
    assert [r.metadata.get("billed_by") for r in records] == ["nanogpt", None]
    assert records[0].metadata["provider"] == "brave"  # falls back to the request
    assert "timestamp" not in records[0].metadata


def test_ids_are_stable_per_query_and_url_and_unique_within_a_response() -> None:
    data = [*_results(3), dict(_results(1)[0])]  # the first URL twice
    first = search_records(_response(data), WebSearchRequest(query="q"))
    again = search_records(_response(data), WebSearchRequest(query="q"))
    other = search_records(_response(data), WebSearchRequest(query="another"))
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == 4
    assert not {r.id for r in first} & {r.id for r in other}
    reordered = search_records(_response(list(reversed(_results(3)))), WebSearchRequest(query="q"))
    assert reordered[-1].id == first[0].id  # same query + URL, same id, whatever the rank


def test_sourced_answer_is_the_answer_then_one_record_per_source() -> None:
    data = {
        "answer": "Paris is the capital.",
        "sources": [
            {"name": "Wiki", "url": "https://w.org/paris", "snippet": "Paris ..."},
            {"name": "Atlas", "url": "https://atlas.com/fr", "content": "France ..."},
        ],
    }
    request = WebSearchRequest(query="q", output_type="sourcedAnswer")
    records = search_records(_response(data, outputType="sourcedAnswer"), request)
    answer, wiki, atlas = records
    assert answer.text == "Paris is the capital."
    assert answer.metadata["type"] == "answer"
    assert answer.metadata["sources"] == [
        {"title": "Wiki", "url": "https://w.org/paris", "snippet": "Paris ..."},
        {"title": "Atlas", "url": "https://atlas.com/fr", "snippet": "France ..."},
    ]
    assert answer.metadata["cost"] == 0.006
    assert (wiki.text, wiki.metadata["type"], wiki.metadata["url"], wiki.rank) == (
        "Paris ...",
        "source",
        "https://w.org/paris",
        2,
    )
    assert atlas.metadata["title"] == "Atlas"
    only_answer = search_records(_response(data, outputType="sourcedAnswer"), request, k=1)
    assert [r.metadata["type"] for r in only_answer] == ["answer"]


@pytest.mark.parametrize("data", [{"name": "Ada", "born": 1815}, '{"name": "Ada", "born": 1815}'])
def test_structured_is_one_json_record_with_the_parsed_object(data: Any) -> None:
    request = WebSearchRequest(query="q", output_type="structured", structured_output_schema=Person)
    records = search_records(_response(data, outputType="structured"), request, k=5)
    assert len(records) == 1
    assert json.loads(records[0].text) == {"name": "Ada", "born": 1815}
    assert records[0].metadata["structured"] == {"name": "Ada", "born": 1815}
    assert records[0].metadata["type"] == "structured"
    assert Person.model_validate(records[0].metadata["structured"]).born == 1815


def test_the_requested_output_type_decides_how_data_is_read() -> None:
    # a structured object with an "answer" field is not a sourced answer
    schema = {"type": "object", "properties": {"answer": {"type": "string"}, "sources": {"type": "array"}}}
    request = WebSearchRequest(query="q", output_type="structured", structured_output_schema=schema)
    data = {"answer": "yes", "sources": []}
    (record,) = search_records(_response(data, outputType="structured"), request)
    assert record.metadata["type"] == "structured"
    assert record.metadata["structured"] == data
    # a searchResults request answered with an object has no results
    assert search_records(_response({"unexpected": True}), WebSearchRequest(query="q")) == []


def test_empty_results_give_no_records() -> None:
    assert search_records(_response([]), WebSearchRequest(query="q")) == []
    assert search_records(_response(None), WebSearchRequest(query="q")) == []


def test_rank_score_is_reciprocal_rank() -> None:
    assert [rank_score(r) for r in (1, 2, 4)] == [1.0, 0.5, 0.25]


def test_hidden_metadata_keeps_title_url_and_date_visible() -> None:
    assert {"title", "url", "date"}.isdisjoint(LLM_HIDDEN_METADATA_KEYS)
    assert {"image_url", "query", "timestamp", "cost", "sources", "structured"} <= set(
        LLM_HIDDEN_METADATA_KEYS
    )


def test_format_records_is_numbered_with_titles_urls_and_text() -> None:
    data = [
        *_results(2),
        {"type": "image", "title": "Pic", "url": "https://i.com/p.jpg", "imageUrl": "https://i.com/p.jpg"},
    ]
    text = format_records(search_records(_response(data), WebSearchRequest(query="q")))
    assert text == (
        "[1] T1\nURL: https://e1.com/a\ntext 1\n\n"
        "[2] T2\nURL: https://e2.com/a\ntext 2\n\n"
        "[3] Pic\nURL: https://i.com/p.jpg\nImage: https://i.com/p.jpg"
    )
    answer = SearchRecord(id="x", text="42", rank=1, score=1.0, metadata={"type": "answer"})
    assert format_records([answer]) == "Answer: 42"


def test_format_records_numbers_sources_after_the_answer_from_one() -> None:
    data = {"answer": "Paris.", "sources": [{"name": "Wiki", "url": "https://w.org", "snippet": "Paris ..."}]}
    request = WebSearchRequest(query="q", output_type="sourcedAnswer")
    text = format_records(search_records(_response(data, outputType="sourcedAnswer"), request))
    assert text == "Answer: Paris.\n\n[1] Wiki\nURL: https://w.org\nParis ..."
    structured = WebSearchRequest(
        query="q", output_type="structured", structured_output_schema={"type": "object"}
    )
    text = format_records(search_records(_response({"a": 1}, outputType="structured"), structured))
    assert text == 'Structured result:\n{\n  "a": 1\n}'
