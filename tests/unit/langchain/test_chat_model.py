"""ChatNanoGPT configuration and plumbing that needs no server."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableBinding, RunnableSequence
from pydantic import BaseModel

from nanogpt_integrations.core import ModelCatalogue, WebSearchOptions
from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPT
from nanogpt_integrations.langchain._profile import remember_catalogue

KEY = "sk-nano-very-secret-0123456789"


@pytest.mark.parametrize("cls", [ChatNanoGPT, NanoGPT])
def test_key_never_serialised(cls: Any) -> None:
    model = cls(model="openai/gpt-4o-mini", api_key=KEY, web_search="deep")
    views = [dumps(model), str(dumpd(model)), repr(model), str(model)]
    if hasattr(model, "asdict"):  # every view the installed langchain-core has (asdict: 1.5+)
        views.append(str(model.asdict()))
    for text in views:
        assert KEY not in text
    assert dumpd(model)["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["NANOGPT_API_KEY"]}


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_round_trip_with_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", KEY)
    model = ChatNanoGPT(model="openai/gpt-4o-mini", routing="price", temperature=0.3)
    revived = load(
        dumpd(model),
        valid_namespaces=["nanogpt_integrations"],
        allowed_objects=[ChatNanoGPT],
        secrets_from_env=True,
    )
    assert isinstance(revived, ChatNanoGPT)
    assert revived.api_key is not None and revived.api_key.get_secret_value() == KEY
    assert (revived.model, revived.routing, revived.temperature) == ("openai/gpt-4o-mini", "price", 0.3)


def test_model_name_alias_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_BASE_URL", "http://127.0.0.1:9/api/v1")
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    model = ChatNanoGPT(model_name="m")
    assert model.model == "m"
    assert model.base_url == "http://127.0.0.1:9/api/v1"
    assert model.api_key is None


def test_missing_key_fails_at_call_time_not_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    from nanogpt_integrations.core import MissingAPIKeyError

    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    model = ChatNanoGPT(model="m", base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(MissingAPIKeyError, match="NANOGPT_API_KEY"):
        model.invoke("hi")


@pytest.mark.parametrize(
    "options",
    [
        {"routing": "price", "provider": "novita"},
        {"reasoning_effort": "extreme"},
        {"billing_mode": "free"},
        {"sticky_provider": True},
        {"web_search": {"depth": "bottomless"}},
    ],
)
def test_bad_options_rejected_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ChatNanoGPT(model="m", api_key="k", **options)


def test_ls_params() -> None:
    model = ChatNanoGPT(model="m", api_key="k", temperature=0.2, max_tokens=5)
    params = model._get_ls_params(stop=["x"])
    assert params["ls_provider"] == "nanogpt"
    assert params["ls_model_name"] == "m"
    assert params["ls_stop"] == ["x"]
    assert model._get_ls_params(model="other")["ls_model_name"] == "other"


def test_token_counts_are_offline() -> None:
    model = ChatNanoGPT(model="m", api_key="k")
    assert model.get_num_tokens("abcdefgh") == 2
    assert model.get_num_tokens_from_messages([HumanMessage("hello world")]) > 0


def test_profile_from_catalogue_already_in_memory() -> None:
    base = "http://127.0.0.1:9/profile-test/api/v1"
    assert ChatNanoGPT(model="x/known", api_key="k", base_url=base).profile is None
    remember_catalogue(
        base,
        ModelCatalogue.from_payload(
            {"data": [{"id": "x/known", "context_length": 1000, "capabilities": {}}]}
        ),
    )
    profile = ChatNanoGPT(model="x/known:online", api_key="k", base_url=base).profile  # suffix ignored
    assert profile is not None and profile["max_input_tokens"] == 1000


def test_bind_tools_kwargs() -> None:
    model = ChatNanoGPT(model="m", api_key="k")

    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    bound = model.bind_tools([add], tool_choice="any")
    assert isinstance(bound, RunnableBinding)
    assert bound.kwargs["tool_choice"] == "required"
    assert "parallel_tool_calls" not in bound.kwargs
    bound = model.bind_tools([add], parallel_tool_calls=False)
    assert bound.kwargs["parallel_tool_calls"] is False


class Joke(BaseModel):
    """A joke."""

    setup: str


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("function_calling", {"tool_choice": {"type": "function", "function": {"name": "Joke"}}}),
        ("json_schema", {"response_format": {"type": "json_schema"}}),
        ("json_mode", {"response_format": {"type": "json_object"}}),
    ],
)
def test_structured_output_binds(method: str, expected: dict[str, Any]) -> None:
    model = ChatNanoGPT(model="m", api_key="k")
    chain = model.with_structured_output(Joke, method=method)  # type: ignore[arg-type]
    assert isinstance(chain, RunnableSequence)
    bound = chain.first
    assert isinstance(bound, RunnableBinding)
    for key, value in expected.items():
        got = bound.kwargs[key]
        assert {k: got[k] for k in value} == value if isinstance(value, dict) else got == value
    assert bound.kwargs["ls_structured_output_format"]["schema"] is Joke


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_option_objects_round_trip() -> None:
    model = ChatNanoGPT(
        model="m",
        api_key="k",
        web_search=WebSearchOptions(provider="exa", depth="deep"),
        provider={"order": ["a"]},
        reasoning={"exclude": True},
        prompt_caching=True,
    )
    data = dumpd(model)
    assert data["kwargs"]["web_search"] == {"enabled": True, "provider": "exa", "depth": "deep"}
    revived = load(
        data,
        valid_namespaces=["nanogpt_integrations"],
        allowed_objects=[ChatNanoGPT],
        secrets_map={"NANOGPT_API_KEY": "k"},
    )
    assert revived.web_search == model.web_search
    assert revived.provider == model.provider
    assert revived.reasoning == model.reasoning
    assert revived.prompt_caching is True


def test_stream_options_spelling_maps_to_stream_usage() -> None:
    model = ChatNanoGPT(model="m", api_key="k")
    hi = [HumanMessage("hi")]

    def options(**kwargs: Any) -> Any:
        return model._wire(hi, None, kwargs, stream=True).body.get("stream_options")

    assert options(stream_options={"include_usage": False}) is None
    assert options(stream_options={"include_usage": False}, stream_usage=True) == {"include_usage": True}
    assert options() == {"include_usage": True}


def test_copies_never_share_or_copy_a_pool() -> None:
    import copy
    import pickle

    model = ChatNanoGPT(model="m", api_key="k", base_url="http://127.0.0.1:9/a/api/v1")
    client = model._sync_client()
    assert model._sync_client() is client
    assert copy.deepcopy(model)._sync_client() is not client
    assert pickle.loads(pickle.dumps(model))._sync_client() is not client
    moved = model.model_copy(update={"base_url": "http://127.0.0.1:9/b/api/v1"})
    assert moved._sync_client().base_url == "http://127.0.0.1:9/b/api/v1"
    assert model._sync_client().base_url == "http://127.0.0.1:9/a/api/v1"


def test_options_follow_field_changes() -> None:
    model = ChatNanoGPT(model="m", api_key="k").model_copy(update={"routing": "price"})
    request = model._wire([HumanMessage("hi")], None, {}, stream=False)
    assert request.model == "m:price"
