"""NanoGPTWebSearchTool without a server: the standard ToolsUnitTests and the argument schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from langchain_core.load import dumps
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ToolsUnitTests
from pydantic import ValidationError

from nanogpt_integrations.langchain import NanoGPTWebSearchTool
from nanogpt_integrations.langchain.tools import NanoGPTWebSearchInput

# No HTTP in these tests: with a cassette marker and no cassette, any request would fail.
pytestmark = pytest.mark.vcr


class TestNanoGPTWebSearchToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return NanoGPTWebSearchTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "test-key", "k": 5}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "LangChain retrievers", "max_results": 3, "from_date": "2025-01-01"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"NANOGPT_API_KEY": "sk-from-env", "NANOGPT_BASE_URL": "http://127.0.0.1:1/api/v1"},
            {},
            {"api_key": "sk-from-env", "base_url": "http://127.0.0.1:1/api/v1"},
        )


def test_schema_is_tight() -> None:
    tool = NanoGPTWebSearchTool(api_key="k")
    schema = tool.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
    assert tool.name == "nanogpt_web_search"
    assert schema["required"] == ["query"]
    assert set(schema["properties"]) == {
        "query",
        "depth",
        "from_date",
        "to_date",
        "include_domains",
        "exclude_domains",
        "max_results",
    }
    assert schema["properties"]["depth"]["anyOf"][0]["enum"] == ["standard", "deep"]
    assert schema["properties"]["from_date"]["anyOf"][0]["format"] == "date"
    assert all(prop.get("description") for prop in schema["properties"].values())
    # connection and output options are fixed when the tool is built, never chosen by the model
    assert not {"api_key", "provider", "output_type", "structured_output_schema"} & set(schema["properties"])
    assert tool.response_format == "content_and_artifact"


@pytest.mark.parametrize(
    ("args", "param"),
    [
        ({"query": "  "}, "query"),
        ({"query": "q", "from_date": "someday"}, "from_date"),
        ({"query": "q", "from_date": "2025-02-01", "to_date": "2025-01-01"}, "from_date"),
        ({"query": "q", "max_results": 0}, "max_results"),
        ({"query": "q", "depth": "shallow"}, "depth"),
        ({"query": "q", "include_domains": [""]}, "include_domains"),
    ],
)
def test_bad_arguments_are_rejected_by_the_schema(args: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError, match=param):
        NanoGPTWebSearchInput(**args)


def test_schema_parses_dates() -> None:
    parsed = NanoGPTWebSearchInput.model_validate({"query": "q", "from_date": "2025-01-02"})
    assert parsed.from_date == dt.date(2025, 1, 2)


def test_key_never_in_repr() -> None:
    tool = NanoGPTWebSearchTool(api_key="sk-super-secret")
    assert "sk-super-secret" not in repr(tool)
    assert "sk-super-secret" not in dumps(tool)
    assert "sk-super-secret" not in str(tool.model_dump())
