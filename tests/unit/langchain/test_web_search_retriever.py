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
    assert retriever._clients is None
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
