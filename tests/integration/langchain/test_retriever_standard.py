"""langchain-tests ``RetrieversIntegrationTests`` for NanoGPTWebSearchRetriever, replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever

pytestmark = pytest.mark.vcr


@pytest.fixture(autouse=True)
def _endpoint(recorded_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, api_key = recorded_endpoint
    monkeypatch.setenv("NANOGPT_BASE_URL", base_url)
    monkeypatch.setenv("NANOGPT_API_KEY", api_key)


class TestNanoGPTWebSearchRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[NanoGPTWebSearchRetriever]:
        return NanoGPTWebSearchRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"k": 5, "max_retries": 0}

    @property
    def retriever_query_example(self) -> str:
        return "What is the capital of France?"
