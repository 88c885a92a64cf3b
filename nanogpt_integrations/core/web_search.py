"""Direct web search (``POST /api/web``, api-reference/endpoint/web-search.mdx): a validated request and typed results.

Validation happens before any request, with errors naming the parameter; both frameworks'
retrievers and tools build a :class:`WebSearchRequest` and read a :class:`WebSearchResponse`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .types import WireModel, money

__all__ = [
    "SEARCH_PROVIDERS",
    "SearchDepth",
    "SearchOutputType",
    "SearchProvider",
    "SourcedAnswer",
    "WebSearchRequest",
    "WebSearchResponse",
    "WebSearchResult",
    "WebSource",
    "text_or_none",
]

SearchProvider = Literal[
    "linkup", "tavily", "exa", "kagi", "perplexity", "valyu", "brave", "sofya", "firecrawl"
]
SEARCH_PROVIDERS: tuple[str, ...] = SearchProvider.__args__  # type: ignore[attr-defined]
SearchDepth = Literal["standard", "deep"]
_FRESHNESS = re.compile(r"day|week|month|year|\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2}")
SearchOutputType = Literal["searchResults", "sourcedAnswer", "structured"]


def _to_date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date or a 'YYYY-MM-DD' string; got {value!r}")


class WebSearchRequest(BaseModel):
    """A validated ``/api/web`` search. ``to_wire()`` gives the exact JSON body."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    query: str
    provider: SearchProvider = "linkup"
    depth: SearchDepth = "standard"
    output_type: SearchOutputType = "searchResults"
    structured_output_schema: dict[str, Any] | str | type[BaseModel] | None = None
    include_images: bool = False
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    include_domains: list[str] | None = None
    exclude_domains: list[str] | None = None
    max_results: int | None = Field(default=None, ge=1, le=100)
    #: Sofya-only search knobs (api-reference/endpoint/web-search.mdx). Sofya's fetch/extract/research operations return
    #: undocumented shapes and are not offered here.
    topic: Literal["general", "news"] | None = None
    freshness: str | None = None

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        if not value or not value.strip():
            raise ValueError("query must be a non-empty string")
        return value.strip()

    @field_validator("from_date", "to_date", mode="before")
    @classmethod
    def _dates(cls, value: Any, info: Any) -> dt.date | None:
        return _to_date(value, info.field_name)

    @field_validator("include_domains", "exclude_domains")
    @classmethod
    def _domains(cls, value: list[str] | None, info: Any) -> list[str] | None:
        if value is None:
            return None
        cleaned = [d.strip() for d in value if d and d.strip()]
        if len(cleaned) != len(value):
            raise ValueError(f"{info.field_name} must not contain empty domains")
        return cleaned

    @model_validator(mode="after")
    def _rules(self) -> WebSearchRequest:
        if (self.topic or self.freshness) and self.provider != "sofya":
            raise ValueError("topic and freshness are only supported with provider='sofya'")
        if self.freshness and not _FRESHNESS.fullmatch(self.freshness):
            raise ValueError(
                "freshness must be day, week, month, year or 'YYYY-MM-DD:YYYY-MM-DD'; got "
                + repr(self.freshness)
            )
        if self.provider == "sofya" and self.max_results is not None and self.max_results > 20:
            raise ValueError(
                f"max_results must be between 1 and 20 for provider='sofya'; got {self.max_results}"
            )
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError(f"from_date ({self.from_date}) is after to_date ({self.to_date})")
        if self.output_type != "searchResults" and self.provider != "linkup":
            raise ValueError(
                f"output_type={self.output_type!r} needs provider='linkup'; provider={self.provider!r} "
                "only supports output_type='searchResults'"
            )
        if self.output_type == "structured" and not self.structured_output_schema:
            raise ValueError(
                "output_type='structured' needs structured_output_schema (a pydantic model or JSON schema)"
            )
        if self.structured_output_schema is not None and self.output_type != "structured":
            raise ValueError("structured_output_schema is only used with output_type='structured'")
        return self

    def schema_string(self) -> str | None:
        """The schema as the JSON *string* the API wants."""
        schema = self.structured_output_schema
        if schema is None:
            return None
        if isinstance(schema, str):
            try:
                json.loads(schema)
            except ValueError:
                raise ValueError("structured_output_schema string is not valid JSON") from None
            return schema
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return json.dumps(schema.model_json_schema())
        return json.dumps(schema)

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "query": self.query,
            "provider": self.provider,
            "depth": self.depth,
            "outputType": self.output_type,
        }
        if self.output_type == "structured":
            body["structuredOutputSchema"] = self.schema_string()
        if self.include_images:
            body["includeImages"] = True
        if self.from_date:
            body["fromDate"] = self.from_date.isoformat()
        if self.to_date:
            body["toDate"] = self.to_date.isoformat()
        if self.include_domains:
            body["includeDomains"] = self.include_domains
        if self.exclude_domains:
            body["excludeDomains"] = self.exclude_domains
        if self.provider == "sofya":
            if self.max_results is not None:
                body["maxResults"] = self.max_results
            if self.topic:
                body["topic"] = self.topic
            if self.freshness:
                body["freshness"] = self.freshness
        return body


def text_or_none(value: Any) -> str | None:
    """A string field of a search result as sent, or None when it is not a string (a number or an
    object where a URL or title belongs is not passed on as one)."""
    return value if isinstance(value, str) else None


class WebSearchResult(WireModel):
    """One ``searchResults`` item; text comes from ``content``, ``snippet`` or ``description``.

    String fields that arrive as something else are read as absent (see :func:`text_or_none`).
    """

    type: str = "text"
    title: str | None = None
    name: str | None = None
    url: str | None = None
    content: str | None = None
    snippet: str | None = None
    description: str | None = None
    image_url: str | None = Field(default=None, alias="imageUrl")
    date: str | None = None
    favicon: str | None = None

    @field_validator(
        "title",
        "name",
        "url",
        "content",
        "snippet",
        "description",
        "image_url",
        "date",
        "favicon",
        mode="before",
    )
    @classmethod
    def _strings_only(cls, value: Any) -> str | None:
        return text_or_none(value)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str:
        return value if isinstance(value, str) and value else "text"

    @property
    def text(self) -> str:
        return self.content or self.snippet or self.description or ""

    @property
    def display_title(self) -> str | None:
        return self.title or self.name


class WebSource(WireModel):
    name: str | None = None
    url: str | None = None
    snippet: str | None = None
    content: str | None = None

    @field_validator("name", "url", "snippet", "content", mode="before")
    @classmethod
    def _strings_only(cls, value: Any) -> str | None:
        return text_or_none(value)

    @property
    def text(self) -> str:
        return self.snippet or self.content or ""


class SourcedAnswer(WireModel):
    answer: str = ""
    sources: list[WebSource] = Field(default_factory=list)


class WebSearchResponse(WireModel):
    """``{"data": ..., "metadata": {...}}`` with typed views per output type."""

    data: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def output_type(self) -> str:
        return str(self.metadata.get("outputType") or "searchResults")

    @property
    def cost(self) -> float | None:
        """``metadata.cost`` in USD: numbers and numeric strings (``"0.01"``); None when absent or
        not a finite amount >= 0 (logged)."""
        return money(self.metadata.get("cost"), "metadata.cost")

    def results(self) -> list[WebSearchResult]:
        """``searchResults`` items (empty for the other output types)."""
        if not isinstance(self.data, list):
            return []
        return [WebSearchResult.model_validate(item) for item in self.data if isinstance(item, dict)]

    def sourced_answer(self) -> SourcedAnswer | None:
        if isinstance(self.data, dict) and "answer" in self.data:
            return SourcedAnswer.model_validate(self.data)
        return None

    def structured(self) -> Any:
        """The ``structured`` object as parsed JSON (the API may send it as an object or a string)."""
        if isinstance(self.data, str):
            try:
                return json.loads(self.data)
            except ValueError:
                return self.data
        return self.data
