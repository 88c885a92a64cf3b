"""Settings that change between calls are always what is sent: no memo returns a stale value, and
no request edits the caller's objects (both frameworks, against the emulator)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator
from nanogpt_integrations.testing.catalogue import MODELS

KEY = "test-key-for-the-emulator"
GPT = "openai/gpt-4o-mini"
KIMI = "moonshotai/kimi-k2-instruct"  # offers provider selection (routing suffixes)
CC = {"type": "ephemeral"}
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    "cache_control": CC,
}


def _langchain(emulator: NanoGPTEmulator, **fields: Any) -> tuple[Any, Callable[..., Any]]:
    llm = ChatNanoGPT(**{"model": GPT, "api_key": KEY, "base_url": emulator.base_url, **fields})
    return llm, lambda target=None, **kw: (target or llm).invoke([HumanMessage("hi")], **kw)


def _llama_index(emulator: NanoGPTEmulator, **fields: Any) -> tuple[Any, Callable[..., Any]]:
    if "model_kwargs" in fields:
        fields["additional_kwargs"] = fields.pop("model_kwargs")
    llm = NanoGPTLLM(
        **{"model": GPT, "api_key": KEY, "api_base": emulator.base_url, "context_window": 1000, **fields}
    )
    return llm, lambda target=None, **kw: (target or llm).chat([ChatMessage(role="user", content="hi")], **kw)


FRAMEWORKS = [pytest.param(_langchain, id="langchain"), pytest.param(_llama_index, id="llama_index")]
EXTRA = {_langchain: "model_kwargs", _llama_index: "additional_kwargs"}


def sent(emulator: NanoGPTEmulator) -> dict[str, Any]:
    body: dict[str, Any] = emulator.last_request("/chat/completions").body
    return body


@pytest.mark.parametrize("make", FRAMEWORKS)
def test_a_value_changed_from_1_to_true_is_sent_as_true(emulator: NanoGPTEmulator, make: Any) -> None:
    llm, call = make(emulator, model_kwargs={"logprobs": 1})
    call()
    assert sent(emulator)["logprobs"] == 1 and sent(emulator)["logprobs"] is not True
    getattr(llm, EXTRA[make])["logprobs"] = True
    call()
    assert sent(emulator)["logprobs"] is True


@pytest.mark.parametrize("make", FRAMEWORKS)
def test_an_option_edited_in_place_is_sent_as_edited(emulator: NanoGPTEmulator, make: Any) -> None:
    llm, call = make(emulator, model_kwargs={"provider": {"order": ["a"]}})
    call()
    assert sent(emulator)["provider"] == {"order": ["a"]}
    getattr(llm, EXTRA[make])["provider"]["order"].append("b")
    call()
    assert sent(emulator)["provider"] == {"order": ["a", "b"]}
    llm.reasoning_effort = "low"
    call()
    assert sent(emulator)["reasoning_effort"] == "low"
    llm.reasoning_effort = "high"
    call()
    assert sent(emulator)["reasoning_effort"] == "high"


@pytest.mark.parametrize("make", FRAMEWORKS)
def test_an_option_flag_switched_off_is_sent_off(emulator: NanoGPTEmulator, make: Any) -> None:
    llm, call = make(emulator, caching=True)
    call()
    assert sent(emulator)["caching"] is True
    llm.caching = False
    call()
    assert sent(emulator)["caching"] is False


@pytest.mark.parametrize("make", FRAMEWORKS)
def test_cache_markers_are_dropped_from_a_copy_so_a_later_call_can_force_them(
    emulator: NanoGPTEmulator, make: Any
) -> None:
    tools = [copy.deepcopy(TOOL)]
    llm, call = make(emulator)
    if make is _langchain:
        bound = llm.bind_tools(tools)
        bound.invoke([HumanMessage("hi")])
        assert "cache_control" not in sent(emulator)["tools"][0]
        bound.invoke([HumanMessage("hi")], force_cache_control=True)
    else:
        call(tools=tools)
        assert "cache_control" not in sent(emulator)["tools"][0]
        call(tools=tools, force_cache_control=True)
    assert sent(emulator)["tools"][0]["cache_control"] == CC
    assert tools == [TOOL]  # the caller's tool is as it was


@pytest.mark.parametrize("make", FRAMEWORKS)
def test_reassigned_model_and_options_are_sent(emulator: NanoGPTEmulator, make: Any) -> None:
    llm, call = make(emulator, model=KIMI, routing="price")
    call()
    assert sent(emulator)["model"] == f"{KIMI}:price"
    llm.model = "openai/gpt-5.2"
    llm.routing = None
    llm.web_search = True
    call()
    assert sent(emulator)["model"] == "openai/gpt-5.2:online"


def test_llama_index_metadata_follows_the_model(emulator: NanoGPTEmulator) -> None:
    llm = NanoGPTLLM(model=GPT, api_key=KEY, api_base=emulator.base_url)
    first = llm.metadata
    llm.model = "anthropic/claude-sonnet-4.5"
    second = llm.metadata
    assert (first.model_name, second.model_name) == (GPT, "anthropic/claude-sonnet-4.5")
    catalogue = {m.id: m.row for m in MODELS}
    assert first.context_window == catalogue[GPT]["context_length"]
    assert second.context_window == catalogue["anthropic/claude-sonnet-4.5"]["context_length"]
    assert first.context_window != second.context_window
    llm.model = GPT
    assert llm.metadata.context_window == first.context_window
    assert len([r for r in emulator.requests if r.path.endswith("/models")]) == 1  # catalogue fetched once


@pytest.mark.parametrize("make", FRAMEWORKS)
def test_an_option_field_assigned_then_edited_in_place_is_sent_as_edited(
    emulator: NanoGPTEmulator, make: Any
) -> None:
    llm, call = make(emulator)
    llm.provider = {"order": ["a"]}
    call()
    assert sent(emulator)["provider"] == {"order": ["a"]}
    provider = llm.provider
    order = provider["order"] if isinstance(provider, dict) else provider.order
    order.append("b")  # whatever the field holds (a dict, or the validated object), edited in place
    call()
    assert sent(emulator)["provider"] == {"order": ["a", "b"]}
