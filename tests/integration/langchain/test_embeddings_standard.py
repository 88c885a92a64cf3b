"""langchain-tests ``EmbeddingsIntegrationTests`` for NanoGPTEmbeddings, replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from nanogpt_integrations.langchain import NanoGPTEmbeddings

pytestmark = pytest.mark.vcr


@pytest.fixture(autouse=True)
def _endpoint(recorded_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, api_key = recorded_endpoint
    monkeypatch.setenv("NANOGPT_BASE_URL", base_url)
    monkeypatch.setenv("NANOGPT_API_KEY", api_key)


class TestNanoGPTEmbeddingsStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[NanoGPTEmbeddings]:
        return NanoGPTEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "text-embedding-3-small", "dimensions": 256, "max_retries": 0}
