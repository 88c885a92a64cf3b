"""NanoGPTWebSearchToolSpec without a server: one tool, sync and async, with a tight schema."""

from __future__ import annotations

import inspect

import pytest

from nanogpt_integrations.core.search_records import SearchParameterError
from nanogpt_integrations.llama_index import NanoGPTWebSearchToolSpec


def test_one_web_search_tool_with_sync_and_async_functions() -> None:
    spec = NanoGPTWebSearchToolSpec(api_key="k")
    (tool,) = spec.to_tool_list()
    assert tool.metadata.name == "web_search"
    assert tool.fn == spec.web_search
    assert tool.async_fn == spec.aweb_search
    assert inspect.iscoroutinefunction(spec.aweb_search)
    assert tool.metadata.description.startswith("Search the web with NanoGPT")
    assert "typing.Annotated" not in tool.metadata.description  # no Python signature in the prompt


def test_schema_lists_the_query_and_per_call_filters() -> None:
    (tool,) = NanoGPTWebSearchToolSpec(api_key="k").to_tool_list()
    schema = tool.metadata.get_parameters_dict()
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
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert schema["properties"]["depth"]["anyOf"][0]["enum"] == ["standard", "deep"]


def test_configuration_is_validated() -> None:
    with pytest.raises(SearchParameterError, match="to_date"):
        NanoGPTWebSearchToolSpec(api_key="k", to_date="31/12/2025")
    assert "sk-super-secret" not in repr(NanoGPTWebSearchToolSpec(api_key="sk-super-secret"))
