"""The fast pydantic constructors give exactly what pydantic itself gives."""

from __future__ import annotations

from typing import Any

import pytest
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


# -- pinned on the framework classes the adapters really build (oldest and newest supported
# versions both run these: `make test` and `make test-min`) --------------------------------------


def _same(fast: BaseModel, slow: BaseModel) -> None:
    assert type(fast) is type(slow)
    assert fast.__dict__ == slow.__dict__ and list(fast.__dict__) == list(slow.__dict__)
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert fast.__pydantic_private__ == slow.__pydantic_private__
    assert fast == slow and fast.model_dump() == slow.model_dump()


def _templates() -> list[tuple[str, Any, list[dict[str, Any]]]]:
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration
    from llama_index.core.schema import TextNode

    from nanogpt_integrations.langchain import _chunks, _responses
    from nanogpt_integrations.langchain import _search as lc_search
    from nanogpt_integrations.llama_index import _search as li_search

    usage = {
        "input_tokens": 3,
        "output_tokens": 4,
        "total_tokens": 7,
        "input_token_details": {"cache_creation": 0, "cache_read": 1},
        "output_token_details": {"reasoning": 2},
    }
    message = AIMessage(content="answer")
    hidden = list(li_search.LLM_HIDDEN_METADATA_KEYS)
    return [
        (
            "AIMessage",
            _responses._ai_message,
            [
                {
                    "content": "answer",
                    "additional_kwargs": {"reasoning_content": "why"},
                    "tool_calls": [],
                    "invalid_tool_calls": [],
                    "usage_metadata": usage,
                    "response_metadata": {"model_provider": "nanogpt", "id": "x", "model_name": "m"},
                    "id": "run-1",
                },
                {
                    "content": "",
                    "additional_kwargs": {},
                    "tool_calls": [],
                    "invalid_tool_calls": [],
                    "usage_metadata": None,
                    "response_metadata": {},
                    "id": None,
                },
            ],
        ),
        (
            "ChatGeneration",
            _responses._chat_generation,
            [{"message": message, "generation_info": {"finish_reason": "stop"}, "text": "answer"}],
        ),
        (
            "ChatResult",
            _responses._chat_result,
            [
                {
                    "generations": [ChatGeneration(message=message)],
                    "llm_output": {"id": "x", "token_usage": None},
                }
            ],
        ),
        (
            "AIMessageChunk",
            _responses._text_chunk,
            [{"content": "tok", "response_metadata": {"model_provider": "nanogpt"}, "id": "run-2"}],
        ),
        (
            "ChatGenerationChunk",
            _chunks._generation_chunk,
            [{"message": AIMessageChunk(content="tok"), "text": "tok"}],
        ),
        (
            "Document",
            lc_search._documents,
            [{"page_content": "text", "metadata": {"url": "https://e.com", "rank": 1}, "id": "d1"}],
        ),
        (
            "TextNode",
            li_search._text_node,
            [
                {
                    "id_": "n1",
                    "text": "text",
                    "metadata": {"title": "T", "url": "https://e.com"},
                    "excluded_llm_metadata_keys": hidden,
                    "excluded_embed_metadata_keys": list(hidden),
                }
            ],
        ),
        (
            "NodeWithScore",
            li_search._node_with_score,
            [{"node": TextNode(id_="n2", text="t"), "score": 0.5}],
        ),
    ]


def test_every_validated_template_in_use_is_usable_and_builds_what_validation_builds() -> None:
    """The shortcut is taken (``usable``) on these framework versions, and gives exactly what
    validating gives; each instance has its own containers."""
    for name, template, cases in _templates():
        assert template.usable, f"{name}: the template fell back to validation on this version"
        for values in cases:
            fast, slow = template(**values), template.cls(**values)
            _same(fast, slow)
            _same(template.build(dict(values)), slow)
            again = template(**values)
            for field, kind in template.fresh:
                assert getattr(again, field) is not getattr(fast, field), (name, field, kind)


def test_a_template_for_other_names_or_an_unusable_one_validates() -> None:
    from langchain_core.documents import Document

    from nanogpt_integrations._fast_models import ValidatedTemplate

    template = ValidatedTemplate(Document, page_content="t", metadata={"k": "v"}, id="i")
    _same(template(page_content="only"), Document(page_content="only"))  # other names: validated
    with pytest.raises(ValueError):
        template(page_content=None)  # other names: validated, and refused
    rewriting = ValidatedTemplate(Plain, name="a", count="2")  # validation rewrites "2" -> 2
    assert not rewriting.usable and rewriting(name="b", count="3").count == 3


def test_plain_constructor_on_the_llama_index_classes_in_use() -> None:
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock

    from nanogpt_integrations.llama_index import _responses

    block = TextBlock(text="hi")
    message = ChatMessage(role="assistant", blocks=[block])
    cases = [
        (TextBlock, _responses._text_block, {"text": "hi"}),
        (
            ChatMessage,
            _responses._chat_message,
            {"role": "assistant", "blocks": [block], "additional_kwargs": {}},
        ),
        (ChatResponse, _responses._chat_response, {"message": message, "raw": {"id": "x"}, "delta": None}),
    ]
    for cls, construct, values in cases:
        assert construct is not cls.model_construct, f"{cls.__name__}: no longer plain on this version"
        fast, slow = construct(**values), cls.model_construct(**values)
        assert type(fast) is cls and fast.__dict__ == slow.__dict__
        assert (
            fast.model_fields_set == slow.model_fields_set
            and fast.__pydantic_private__ == slow.__pydantic_private__
        )
        assert fast == slow


def test_plain_constructor_falls_back_for_models_it_cannot_shortcut() -> None:
    class Aliased(BaseModel):
        value: int = Field(alias="v")

    class WithPrivate(BaseModel):
        x: int = 0
        _hidden: int = 1

    assert plain_constructor(Aliased) == Aliased.model_construct
    assert plain_constructor(WithPrivate) == WithPrivate.model_construct
