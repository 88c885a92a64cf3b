"""Output parsers and the ``include_raw`` wrapper behind ``with_structured_output``."""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.pydantic import is_basemodel_subclass

__all__ = ["StructuredMethod", "output_parser", "with_raw"]

StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]


def _is_model_class(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def output_parser(
    schema: Mapping[str, Any] | type | None, method: StructuredMethod, tool_name: str | None
) -> Runnable[BaseMessage, Any]:
    """The parser for ``method``: pydantic classes come back as instances, anything else as dicts."""
    if method == "function_calling":
        if _is_model_class(schema):
            return PydanticToolsParser(tools=[schema], first_tool_only=True)
        return JsonOutputKeyToolsParser(key_name=str(tool_name), first_tool_only=True)
    if _is_model_class(schema):
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


def with_raw(
    llm: Runnable[LanguageModelInput, BaseMessage], parser: Runnable[BaseMessage, Any]
) -> Runnable[LanguageModelInput, dict[str, Any]]:
    """``{"raw": message, "parsed": value | None, "parsing_error": exception | None}``.

    The model is the first step of the sequence, so per-call kwargs (``invoke(..., routing="price")``,
    ``use_responses_api=True``) reach it as they do without ``include_raw``; a ``RunnableMap`` first
    would drop them.
    """
    parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    give_up = RunnablePassthrough.assign(parsed=lambda _: None)
    return (
        llm
        | RunnableMap(raw=RunnablePassthrough())
        | parse.with_fallbacks([give_up], exception_key="parsing_error")
    )
