"""langchain-tests ``ToolsIntegrationTests`` for NanoGPTWebSearchTool, replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ToolsIntegrationTests

from nanogpt_integrations.langchain import NanoGPTWebSearchTool

pytestmark = pytest.mark.vcr


@pytest.fixture(autouse=True)
def _endpoint(recorded_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, api_key = recorded_endpoint
    monkeypatch.setenv("NANOGPT_BASE_URL", base_url)
    monkeypatch.setenv("NANOGPT_API_KEY", api_key)


class TestNanoGPTWebSearchToolStandard(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[NanoGPTWebSearchTool]:
        return NanoGPTWebSearchTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"max_retries": 0}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "LangChain retrievers", "max_results": 3, "from_date": "2025-01-01"}
