"""NanoGPTEmbedding without a server: configuration and serialisation."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import ValidationError

from nanogpt_integrations.llama_index import NanoGPTEmbedding


def test_defaults_and_class_name() -> None:
    model = NanoGPTEmbedding(api_key="k")
    assert BaseEmbedding in NanoGPTEmbedding.__mro__
    assert (model.model_name, model.embed_batch_size, model.dimensions) == (
        "text-embedding-3-small",
        512,
        None,
    )
    assert NanoGPTEmbedding.class_name() == "NanoGPTEmbedding"


def test_key_is_never_serialised() -> None:
    model = NanoGPTEmbedding(api_key="sk-super-secret", api_base="http://127.0.0.1:1/api/v1", dimensions=64)
    data = model.to_dict()
    assert "api_key" not in data
    assert "sk-super-secret" not in model.to_json()
    assert "sk-super-secret" not in repr(model)
    assert data["dimensions"] == 64
    assert data["api_base"] == "http://127.0.0.1:1/api/v1"
    restored = NanoGPTEmbedding.from_dict(data)
    assert restored.dimensions == 64


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"embed_batch_size": 0}, "embed_batch_size"),
        ({"embed_batch_size": 4096}, "embed_batch_size"),
        ({"dimensions": -1}, "dimensions"),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError, match=param):
        NanoGPTEmbedding(api_key="k", **kwargs)


def test_async_methods_are_native() -> None:
    for name in ("_aget_query_embedding", "_aget_text_embedding", "_aget_text_embeddings"):
        assert name in NanoGPTEmbedding.__dict__
        assert inspect.iscoroutinefunction(getattr(NanoGPTEmbedding, name))
