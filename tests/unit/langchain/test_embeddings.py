"""NanoGPTEmbeddings without a server: the standard EmbeddingsUnitTests and configuration checks."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.unit_tests import EmbeddingsUnitTests
from pydantic import ValidationError

from nanogpt_integrations.langchain import NanoGPTEmbeddings

pytestmark = pytest.mark.vcr


class TestNanoGPTEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[NanoGPTEmbeddings]:
        return NanoGPTEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"api_key": "test-key", "model": "text-embedding-3-small"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"NANOGPT_API_KEY": "sk-from-env", "NANOGPT_BASE_URL": "http://127.0.0.1:1/api/v1"},
            {"dimensions": 128},
            {"api_key": "sk-from-env", "base_url": "http://127.0.0.1:1/api/v1", "dimensions": 128},
        )


def test_defaults() -> None:
    embeddings = NanoGPTEmbeddings(api_key="k")
    assert (embeddings.model, embeddings.dimensions, embeddings.batch_size) == (
        "text-embedding-3-small",
        None,
        512,
    )


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2049}, "batch_size"),
        ({"dimensions": 0}, "dimensions"),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError, match=param):
        NanoGPTEmbeddings(api_key="k", **kwargs)


def test_key_never_in_repr() -> None:
    embeddings = NanoGPTEmbeddings(api_key="sk-super-secret")
    assert "sk-super-secret" not in repr(embeddings)
    assert "sk-super-secret" not in embeddings.model_dump_json()
