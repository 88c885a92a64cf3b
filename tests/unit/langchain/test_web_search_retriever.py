"""NanoGPTWebSearchRetriever (LangChain) without a server: configuration, validation, secrets."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps
from pydantic import BaseModel, ValidationError

from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    monkeypatch.delenv("NANOGPT_BASE_URL", raising=False)


def test_reads_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "sk-env")
    monkeypatch.setenv("NANOGPT_BASE_URL", "http://127.0.0.1:1/api/v1")
    retriever = NanoGPTWebSearchRetriever()
    assert retriever.api_key is not None
    assert retriever.api_key.get_secret_value() == "sk-env"
    assert retriever.base_url == "http://127.0.0.1:1/api/v1"
    assert retriever.clients.sync.config.api_root == "http://127.0.0.1:1/api"


def test_defaults() -> None:
    retriever = NanoGPTWebSearchRetriever()
    assert (retriever.k, retriever.provider, retriever.depth, retriever.output_type) == (
        None,
        "linkup",
        "standard",
        "searchResults",
    )
    assert retriever.api_key is None
    assert retriever.max_retries == 2


def test_dates_are_normalised_at_construction() -> None:
    retriever = NanoGPTWebSearchRetriever(from_date="2025-01-01", to_date=dt.date(2025, 2, 1))
    assert retriever.from_date == dt.date(2025, 1, 1)
    assert retriever.to_date == dt.date(2025, 2, 1)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"k": 0}, "k"),
        ({"from_date": "last week"}, "from_date"),
        ({"from_date": "2025-03-01", "to_date": "2025-01-01"}, "from_date"),
        ({"output_type": "structured"}, "structured_output_schema"),
        ({"provider": "tavily", "output_type": "sourcedAnswer"}, "output_type"),
        ({"depth": "shallow"}, "depth"),
        ({"include_domains": [" "]}, "include_domains"),
    ],
)
def test_bad_configuration_is_rejected_at_construction(kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError) as info:
        NanoGPTWebSearchRetriever(**kwargs)
    assert param in str(info.value)


def test_key_never_in_repr_or_serialisation() -> None:
    retriever = NanoGPTWebSearchRetriever(api_key="sk-super-secret", k=3)
    retriever.clients.sync  # built on demand; still not part of the model  # noqa: B018
    assert "sk-super-secret" not in repr(retriever)
    assert "sk-super-secret" not in str(retriever)
    assert "sk-super-secret" not in dumps(retriever)
    assert "sk-super-secret" not in str(dumpd(retriever))
    assert "sk-super-secret" not in retriever.model_dump_json()
    assert "_clients" not in retriever.model_dump()
    assert retriever.lc_secrets == {"api_key": "NANOGPT_API_KEY"}


def test_clients_are_lazy_and_reused() -> None:
    retriever = NanoGPTWebSearchRetriever(api_key="k", base_url="http://127.0.0.1:1/api/v1")
    assert retriever._clients is None  # no holder, so no pool, before the first use
    assert retriever.clients is retriever.clients
    assert retriever.clients.sync is retriever.clients.sync


def test_invoke_kwargs_are_forwarded_to_the_retriever() -> None:
    # LangChain only forwards invoke(..., k=...) when _get_relevant_documents declares more params.
    assert NanoGPTWebSearchRetriever._expects_other_args
    for method in ("_get_relevant_documents", "_aget_relevant_documents"):
        params = inspect.signature(getattr(NanoGPTWebSearchRetriever, method)).parameters
        assert {"k", "depth", "from_date", "to_date", "include_domains", "exclude_domains"} <= set(params)
        assert all(params[name].kind is inspect.Parameter.KEYWORD_ONLY for name in ("k", "from_date"))


def test_async_is_native() -> None:
    # Overridden here, not BaseRetriever's default (which runs the sync method in a thread pool).
    assert "_aget_relevant_documents" in NanoGPTWebSearchRetriever.__dict__
    assert inspect.iscoroutinefunction(NanoGPTWebSearchRetriever._aget_relevant_documents)


class Company(BaseModel):
    name: str
    founded: int


def test_structured_schema_accepts_a_pydantic_model_or_dict() -> None:
    by_model = NanoGPTWebSearchRetriever(output_type="structured", structured_output_schema=Company)
    by_dict = NanoGPTWebSearchRetriever(
        output_type="structured", structured_output_schema=Company.model_json_schema()
    )
    assert by_model.structured_output_schema is Company
    assert isinstance(by_dict.structured_output_schema, dict)


def test_documents_match_validated_documents() -> None:
    """Documents are built without per-document validation but equal validated ones."""
    import pickle

    from langchain_core.documents import Document

    from nanogpt_integrations.core.search_records import plan_search, search_records
    from nanogpt_integrations.core.web_search import WebSearchResponse
    from nanogpt_integrations.langchain._search import _documents, to_documents

    assert _documents.usable
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
        fast = to_documents(records)
        slow = [Document(page_content=r.text, metadata=dict(r.metadata), id=r.id) for r in records]
        assert fast == slow
        for doc, expected in zip(fast, slow, strict=True):
            assert type(doc) is Document
            assert list(doc.__dict__) == list(expected.__dict__)
            assert list(doc.metadata) == list(expected.metadata)
            assert doc.model_fields_set == expected.model_fields_set
            assert doc.__pydantic_extra__ == expected.__pydantic_extra__
            assert doc.__pydantic_private__ == expected.__pydantic_private__
            assert doc.model_dump() == expected.model_dump()
            assert dumpd(doc) == dumpd(expected)
            assert pickle.loads(pickle.dumps(doc)) == expected
            assert repr(doc) == repr(expected)
        # Each document has its own fields-set and metadata.
        assert len({id(doc.model_fields_set) for doc in fast}) == len(fast)
        assert len({id(doc.metadata) for doc in fast}) == len(fast)


def test_connection_and_search_settings_reassigned_after_use_take_effect() -> None:
    """Clients follow reassigned connection settings (retriever, tool, embeddings), and the tool's
    retriever follows the tool's search settings."""
    from nanogpt_integrations.langchain import NanoGPTEmbeddings, NanoGPTWebSearchTool

    retriever = NanoGPTWebSearchRetriever(api_key="k1", base_url="http://127.0.0.1:9/api/v1")
    first = retriever.clients.sync
    assert retriever.clients.sync is first  # unchanged settings: the same pooled client
    retriever.base_url = "http://127.0.0.1:10/api/v1"
    assert retriever.clients.sync.base_url == "http://127.0.0.1:10/api/v1"

    embeddings = NanoGPTEmbeddings(api_key="k1", base_url="http://127.0.0.1:9/api/v1")
    assert embeddings.clients.sync.base_url == "http://127.0.0.1:9/api/v1"
    embeddings.base_url = "http://127.0.0.1:11/api/v1"
    assert embeddings.clients.sync.base_url == "http://127.0.0.1:11/api/v1"

    tool = NanoGPTWebSearchTool(api_key="k1", base_url="http://127.0.0.1:9/api/v1", k=3)
    assert tool.retriever.k == 3 and tool.retriever is tool.retriever
    tool.k = 5
    tool.base_url = "http://127.0.0.1:12/api/v1"
    assert tool.retriever.k == 5
    assert tool.retriever.clients.sync.base_url == "http://127.0.0.1:12/api/v1"
