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
