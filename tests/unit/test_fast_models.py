"""The fast pydantic constructors give exactly what pydantic itself gives."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from nanogpt_integrations._fast_models import plain_constructor


class Plain(BaseModel):
    name: str
    count: int = 0
    tags: list[str] = Field(default_factory=list)
    label: str = Field(default_factory=lambda data: f"{data.get('name')}-{data['count']}")
    note: str | None = None


def test_plain_constructor_matches_model_construct() -> None:
    construct = plain_constructor(Plain)
    cases: list[dict[str, Any]] = [
        {"name": "a"},
        {"name": "b", "count": 2, "note": "n"},
        {"count": 3},  # a required field left out, as model_construct allows
        {"name": "c", "tags": ["x"], "label": "given"},
    ]
    for values in cases:
        fast, slow = construct(**values), Plain.model_construct(**values)
        assert type(fast) is Plain
        assert fast.__dict__ == slow.__dict__
        assert list(fast.__dict__) == list(slow.__dict__)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.__pydantic_extra__ == slow.__pydantic_extra__
        assert fast.__pydantic_private__ == slow.__pydantic_private__
    first, second = construct(name="a"), construct(name="a")
    assert first.tags is not second.tags  # each instance gets its own container
