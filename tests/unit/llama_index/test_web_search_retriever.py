"""NanoGPTWebSearchRetriever (LlamaIndex) without a server: validation, nodes, scores, secrets."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import MetadataMode

from nanogpt_integrations.core.search_records import SearchParameterError, search_records
from nanogpt_integrations.core.web_search import WebSearchRequest, WebSearchResponse
from nanogpt_integrations.llama_index import NanoGPTWebSearchRetriever
from nanogpt_integrations.llama_index._search import to_nodes


def test_is_a_llama_index_retriever_with_native_async() -> None:
    assert BaseRetriever in NanoGPTWebSearchRetriever.__mro__
    # overridden here: BaseRetriever's default _aretrieve calls the sync _retrieve and blocks the loop
    assert "_aretrieve" in NanoGPTWebSearchRetriever.__dict__


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"k": 0}, "k"),
        ({"from_date": "soon"}, "from_date"),
        ({"from_date": "2025-03-01", "to_date": "2025-01-01"}, "from_date"),
        ({"output_type": "structured"}, "structured_output_schema"),
        (
            {
                "provider": "brave",
                "output_type": "structured",
                "structured_output_schema": {"type": "object"},
            },
            "output_type",
        ),
        ({"provider": "google"}, "provider"),
    ],
)
def test_bad_configuration_names_the_parameter(kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(SearchParameterError) as info:
        NanoGPTWebSearchRetriever(api_key="k", **kwargs)
    assert info.value.param == param
    assert param in str(info.value)


def test_repr_hides_the_key() -> None:
    retriever = NanoGPTWebSearchRetriever(api_key="sk-super-secret", k=2, from_date="2025-01-01")
    text = repr(retriever)
    assert "sk-super-secret" not in text
    assert "k=2" in text
    assert "datetime.date(2025, 1, 1)" in text
    assert retriever.k == 2


def _response() -> WebSearchResponse:
    data = [
        {"type": "text", "title": "A", "url": "https://a.com", "content": "alpha", "date": "2025-01-01"},
        {"type": "text", "title": "B", "url": "https://b.com", "content": "beta"},
        {"type": "image", "title": "I", "url": "https://i.com/x.png", "imageUrl": "https://i.com/x.png"},
    ]
    meta = {"provider": "linkup", "depth": "standard", "timestamp": "2025-07-08T09:00:00.000Z", "cost": 0.006}
    return WebSearchResponse.model_validate({"data": data, "metadata": meta})


def test_nodes_have_rank_scores_stable_ids_and_hidden_bookkeeping() -> None:
    request = WebSearchRequest(query="q", include_images=True)
    nodes = to_nodes(search_records(_response(), request))
    again = to_nodes(search_records(_response(), request))
    assert [n.score for n in nodes] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert [n.node.node_id for n in nodes] == [n.node.node_id for n in again]
    first = nodes[0].node
    assert first.metadata["cost"] == 0.006
    assert first.get_content(MetadataMode.LLM) == "title: A\nurl: https://a.com\ndate: 2025-01-01\n\nalpha"
    assert first.get_content(MetadataMode.EMBED) == first.get_content(MetadataMode.LLM)
    assert first.get_content(MetadataMode.NONE) == "alpha"
    image = nodes[2].node
    assert image.metadata["image_url"] == "https://i.com/x.png"
    assert "image_url" in image.excluded_llm_metadata_keys
    assert "image_url" in image.excluded_embed_metadata_keys
    assert "https://i.com/x.png" in image.get_content(MetadataMode.LLM)  # as the url, for citations
    assert "image_url" not in image.get_content(MetadataMode.LLM)


def test_nodes_match_validated_nodes() -> None:
    """Nodes are built from validated templates but equal nodes validated one by one."""
    import pickle

    from llama_index.core.schema import NodeWithScore, TextNode

    from nanogpt_integrations.core.search_records import LLM_HIDDEN_METADATA_KEYS, plan_search
    from nanogpt_integrations.llama_index._search import _node_with_score, _text_node

    assert _text_node.usable and _node_with_score.usable
    hidden = list(LLM_HIDDEN_METADATA_KEYS)
    meta = {"provider": "linkup", "depth": "standard", "timestamp": "2025-07-08T09:00:00.000Z", "cost": 0.006}
    results = [
        {"type": "text", "title": "T1", "url": "https://e1.com/a", "content": "text é"},
        {"type": "image", "imageUrl": "https://img/x.png", "url": "https://e1.com/a"},
        {"name": "N3", "snippet": "s", "date": "2025-01-01", "favicon": "f.ico"},
    ]
    answer = {"answer": "A", "sources": [{"name": "S", "url": "https://s", "snippet": "x"}]}
    cases: list[tuple[dict[str, Any], Any]] = [
        ({}, results),
        ({"output_type": "sourcedAnswer"}, answer),
        ({"output_type": "structured", "structured_output_schema": {"type": "object"}}, {"a": [1]}),
    ]
    for options, data in cases:
        request, _ = plan_search("query", options)
        response = WebSearchResponse.model_validate({"data": data, "metadata": meta})
        records = search_records(response, request)
        fast = to_nodes(records)
        slow = [
            NodeWithScore(
                node=TextNode(
                    id_=r.id,
                    text=r.text,
                    metadata=dict(r.metadata),
                    excluded_llm_metadata_keys=hidden,
                    excluded_embed_metadata_keys=hidden,
                ),
                score=r.score,
            )
            for r in records
        ]
        assert fast == slow
        for got, expected in zip(fast, slow, strict=True):
            for a, b in ((got, expected), (got.node, expected.node)):
                assert type(a) is type(b)
                assert list(a.__dict__) == list(b.__dict__)
                assert a.model_fields_set == b.model_fields_set
                assert a.__pydantic_extra__ == b.__pydantic_extra__
                assert a.__pydantic_private__ == b.__pydantic_private__
                assert a.model_dump() == b.model_dump()
            assert got.node.hash == expected.node.hash
            assert got.to_dict() == expected.to_dict()
            assert got.node.get_content(MetadataMode.LLM) == expected.node.get_content(MetadataMode.LLM)
            assert pickle.loads(pickle.dumps(got)) == expected
        # Every node has its own metadata, hidden-key lists and relationships.
        for name in (
            "metadata",
            "excluded_llm_metadata_keys",
            "excluded_embed_metadata_keys",
            "relationships",
        ):
            assert len({id(getattr(n.node, name)) for n in fast}) == len(fast)
        assert all(n.node.excluded_llm_metadata_keys is not n.node.excluded_embed_metadata_keys for n in fast)
