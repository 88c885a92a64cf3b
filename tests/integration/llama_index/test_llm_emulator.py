"""NanoGPTLLM against the emulator: exact wire payloads, options, usage, errors, events."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index_instrumentation import get_dispatcher

from nanogpt_integrations.core import BadRequestError, InternalServerError, MissingAPIKeyError
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator

KEY = "test-key-for-the-emulator"
USER_HI = [ChatMessage(role=MessageRole.USER, content="Hi there")]
Factory = Callable[..., NanoGPTLLM]


@pytest.fixture
def make_llm(emulator: NanoGPTEmulator) -> Factory:
    def factory(**kwargs: Any) -> NanoGPTLLM:
        kwargs.setdefault("model", "openai/gpt-4o-mini")
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("api_base", emulator.base_url)
        return NanoGPTLLM(**kwargs)

    return factory


def chat_requests(emulator: NanoGPTEmulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("/chat/completions")]


# -- configuration, catalogue, keys --------------------------------------------------------------


def test_class_name_and_base_class() -> None:
    from llama_index.core.llms.function_calling import FunctionCallingLLM

    assert NanoGPTLLM.class_name() == "NanoGPT_LLM"
    assert FunctionCallingLLM in NanoGPTLLM.__mro__


@pytest.mark.parametrize(
    ("model", "context", "calling"),
    [
        ("openai/gpt-4o-mini", 128000, True),
        ("deepseek/deepseek-r1", 128000, False),
        ("moonshotai/kimi-k2-instruct", 32768, True),  # context_length null → documented fallback
        ("acme/not-in-catalogue", 32768, True),
    ],
)
def test_metadata_from_catalogue(
    make_llm: Factory, emulator: NanoGPTEmulator, model: str, context: int, calling: bool
) -> None:
    llm = make_llm(model=model)
    meta = llm.metadata
    assert (meta.context_window, meta.is_function_calling_model, meta.is_chat_model) == (
        context,
        calling,
        True,
    )
    assert meta.num_output == 256
    llm.metadata  # noqa: B018  (cached: one catalogue request per instance)
    assert [(r.path, r.query) for r in emulator.requests] == [("/api/v1/models", {"detailed": "true"})]


def test_explicit_metadata_wins_without_any_request(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    meta = make_llm(context_window=4096, is_function_calling_model=False, max_tokens=99).metadata
    assert (meta.context_window, meta.is_function_calling_model, meta.num_output) == (4096, False, 99)
    assert emulator.requests == []


def test_unreachable_catalogue_falls_back_and_logs_once(
    make_llm: Factory, emulator: NanoGPTEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.inject(Fault.http_status(500), times=10, path="/models")
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        llm = make_llm(model="acme/offline-model", max_retries=0)
        assert llm.metadata.context_window == 32768
        assert llm.metadata.is_function_calling_model is True
        make_llm(model="acme/offline-model", max_retries=0).metadata  # noqa: B018
    assert sum("catalogue unavailable" in r.message for r in caplog.records) == 1


def test_key_from_env_only_never_openai(emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-should-never-be-sent")
    llm = NanoGPTLLM(api_base=emulator.base_url, context_window=1000, is_function_calling_model=True)
    with pytest.raises(MissingAPIKeyError, match="NANOGPT_API_KEY"):
        llm.chat(USER_HI)
    assert chat_requests(emulator) == []
    monkeypatch.setenv("NANOGPT_API_KEY", "env-key")
    NanoGPTLLM(api_base=emulator.base_url, context_window=1000, is_function_calling_model=True).chat(USER_HI)
    assert emulator.last_request("/chat/completions").headers["authorization"] == "Bearer env-key"


def test_base_url_alias_and_env(emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    assert NanoGPTLLM(api_key=KEY, base_url=emulator.base_url).api_base == emulator.base_url
    monkeypatch.setenv("NANOGPT_BASE_URL", emulator.base_url)
    assert NanoGPTLLM(api_key=KEY).api_base == emulator.base_url


def test_serialisation_never_contains_the_key(make_llm: Factory) -> None:
    llm = make_llm(api_key="sk-nano-secret-123", provider="novita", prompt_caching=True)
    assert "sk-nano-secret-123" not in json.dumps(llm.to_dict())
    assert "sk-nano-secret-123" not in llm.to_json()
    assert "sk-nano-secret-123" not in repr(llm)
    assert llm.to_dict()["class_name"] == "NanoGPT_LLM"
    assert llm.to_dict()["provider"] == "novita"


def test_invalid_options_fail_at_construction(make_llm: Factory) -> None:
    with pytest.raises(ValueError, match="billing_mode"):
        make_llm(billing_mode="free")
    with pytest.raises(ValueError, match="reasoning_effort"):
        make_llm(reasoning_effort="extreme")


# -- chat, complete, streams ---------------------------------------------------------------------


def test_chat_sends_minimal_payload_and_returns_usage_and_cost(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    emulator.script(
        ChatReply(
            content="Hello!",
            usage={"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
            pricing={"cost": 0.00042, "currency": "USD"},
        )
    )
    response = make_llm(context_window=1000, is_function_calling_model=True).chat(USER_HI)
    assert emulator.last_request("/chat/completions").body == {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hi there"}],
        "include_usage": True,
    }
    assert response.message.content == "Hello!"
    assert response.message.role == MessageRole.ASSISTANT
    kw = response.additional_kwargs
    assert (kw["prompt_tokens"], kw["completion_tokens"], kw["total_tokens"], kw["cost"]) == (
        12,
        3,
        15,
        0.00042,
    )


def test_temperature_max_tokens_and_additional_kwargs_are_sent(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    llm = make_llm(
        temperature=0.3, max_tokens=64, additional_kwargs={"top_p": 0.5}, default_headers={"X-Trace": "t1"}
    )
    llm.chat(USER_HI, seed=3)
    req = emulator.last_request("/chat/completions")
    assert req.body == {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hi there"}],
        "temperature": 0.3,
        "max_tokens": 64,
        "top_p": 0.5,
        "seed": 3,
        "include_usage": True,
    }
    assert req.headers["x-trace"] == "t1"


def test_stream_chat_requests_usage_and_reports_it(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    responses = list(make_llm().stream_chat(USER_HI))
    req = emulator.last_request("/chat/completions")
    assert req.body["stream"] is True
    assert req.body["stream_options"] == {"include_usage": True}
    assert "".join(r.delta or "" for r in responses) == "Hello! You said: Hi there"
    assert responses[-1].message.content == "Hello! You said: Hi there"
    assert responses[-1].additional_kwargs["prompt_tokens"] > 0
    assert responses[-1].additional_kwargs["completion_tokens"] > 0
    assert "cost" in responses[-1].additional_kwargs


def test_stream_usage_can_be_turned_off(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    list(make_llm(stream_usage=False).stream_chat(USER_HI))
    assert "stream_options" not in emulator.last_request("/chat/completions").body


async def test_async_chat_and_stream(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    response = await llm.achat(USER_HI)
    assert response.message.content == "Hello! You said: Hi there"
    chunks = [r async for r in await llm.astream_chat(USER_HI)]
    assert chunks[-1].message.content == "Hello! You said: Hi there"
    assert chunks[-1].additional_kwargs["total_tokens"] > 0
    completion = await llm.acomplete("Say hi")
    assert completion.text == "Hello! You said: Say hi"
    pieces = [r async for r in await llm.astream_complete("Say hi")]
    assert pieces[-1].text == "Hello! You said: Say hi"
    assert [r.body.get("stream", False) for r in chat_requests(emulator)] == [False, True, False, True]


def test_asyncio_run_twice_on_one_instance(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()

    async def ask(text: str) -> str:
        return (await llm.achat([ChatMessage(role="user", content=text)])).message.content or ""

    assert asyncio.run(ask("one")) == "Hello! You said: one"
    assert asyncio.run(ask("two")) == "Hello! You said: two"
    assert len(chat_requests(emulator)) == 2


def test_complete_goes_through_chat(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm()
    assert llm.complete("Say hi").text == "Hello! You said: Say hi"
    assert [r.text for r in llm.stream_complete("Say hi")][-1] == "Hello! You said: Say hi"
    assert all(r.path == "/api/v1/chat/completions" for r in emulator.requests if r.method == "POST")
    assert emulator.last_request("/chat/completions").body["messages"] == [
        {"role": "user", "content": "Say hi"}
    ]


async def test_completions_endpoint_option(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(use_completions_endpoint=True, max_tokens=40, billing_mode="paygo")
    text = llm.complete("Once upon a time").text
    assert text
    req = emulator.last_request("/completions")
    assert req.path == "/api/v1/completions"
    assert req.body == {"model": "openai/gpt-4o-mini", "prompt": "Once upon a time", "max_tokens": 40}
    assert req.headers["x-billing-mode"] == "paygo"
    streamed = list(llm.stream_complete("Once upon a time"))
    assert streamed[-1].text == "".join(r.delta or "" for r in streamed)
    assert (await llm.acomplete("Once upon a time")).text == text
    pieces = [r async for r in await llm.astream_complete("Once upon a time")]
    assert pieces[-1].text
    assert {r.path for r in emulator.requests if r.method == "POST"} == {"/api/v1/completions"}


# -- NanoGPT options on the wire -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "model", "headers", "body"),
    [
        ({"web_search": True}, "openai/gpt-4o-mini:online", {}, {}),
        ({"web_search": "deep"}, "openai/gpt-4o-mini:online/linkup-deep", {}, {}),
        (
            {"web_search": {"provider": "tavily", "depth": "standard"}},
            "openai/gpt-4o-mini",
            {},
            {"webSearch": {"enabled": True, "provider": "tavily", "depth": "standard"}},
        ),
        ({"routing": "speed", "model": "zai-org/glm-5"}, "zai-org/glm-5:speed", {}, {}),
        ({"provider": "novita"}, "openai/gpt-4o-mini", {"x-provider": "novita"}, {}),
        (
            {"provider": {"order": ["novita", "deepinfra"], "allow_fallbacks": False}},
            "openai/gpt-4o-mini",
            {},
            {"provider": {"order": ["novita", "deepinfra"], "allow_fallbacks": False}},
        ),
        ({"billing_mode": "paygo"}, "openai/gpt-4o-mini", {"x-billing-mode": "paygo"}, {}),
        (
            {"caching": True, "sticky_provider": False},
            "openai/gpt-4o-mini",
            {},
            {"caching": True, "stickyprovider": False},
        ),
        ({"reasoning_effort": "low"}, "openai/gpt-4o-mini", {}, {"reasoning_effort": "low"}),
        ({"reasoning": {"exclude": True}}, "openai/gpt-4o-mini", {}, {"reasoning": {"exclude": True}}),
    ],
)
def test_nanogpt_options_on_the_wire(
    make_llm: Factory,
    emulator: NanoGPTEmulator,
    options: dict[str, Any],
    model: str,
    headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    make_llm(**options).chat(USER_HI)
    req = emulator.last_request("/chat/completions")
    assert req.body == {
        "model": model,
        "messages": [{"role": "user", "content": "Hi there"}],
        "include_usage": True,
        **body,
    }
    for name in ("x-provider", "x-billing-mode"):
        assert req.headers.get(name) == headers.get(name)


def test_prompt_caching_and_cache_point_for_claude(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(model="anthropic/claude-sonnet-4.5", prompt_caching={"ttl": "1h"})
    system = ChatMessage(
        role="system",
        blocks=[
            TextBlock(text="You answer from the manual. " * 200),
            CachePoint(cache_control=CacheControl(type="ephemeral")),
        ],
    )
    response = llm.chat([system, ChatMessage(role="user", content="What is the manual about?")])
    body = emulator.last_request("/chat/completions").body
    assert body["prompt_caching"] == {"enabled": True, "ttl": "1h"}
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}  # default TTL implied
    assert response.additional_kwargs["cache_creation_tokens"] > 0
    again = llm.chat([system, ChatMessage(role="user", content="What is the manual about?")])
    assert again.additional_kwargs["cached_tokens"] > 0


def test_per_call_options_override(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    make_llm(provider="novita").chat(USER_HI, provider="deepinfra", web_search=True)
    req = emulator.last_request("/chat/completions")
    assert req.headers["x-provider"] == "deepinfra"
    assert req.body["model"] == "openai/gpt-4o-mini:online"


# -- reasoning -----------------------------------------------------------------------------------


def test_reasoning_becomes_thinking_block_and_is_sent_back(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    llm = make_llm(model="deepseek/deepseek-r1")
    first = llm.chat(USER_HI)
    thinking = first.message.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content and thinking.content.startswith("Let me think")
    assert first.message.content == "Hello! You said: Hi there"
    llm.chat([*USER_HI, first.message, ChatMessage(role="user", content="And again?")])
    sent = emulator.last_request("/chat/completions").body["messages"][1]
    assert sent["role"] == "assistant"
    assert sent["reasoning"] == thinking.content
    assert sent["reasoning_details"] == [{"type": "reasoning.text", "text": thinking.content}]


def test_stream_thinking_delta(make_llm: Factory) -> None:
    responses = list(make_llm(reasoning_effort="high").stream_chat(USER_HI))
    deltas = "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses)
    assert deltas.startswith("Let me think about this: Hi there")
    last = responses[-1]
    assert isinstance(last.message.blocks[0], ThinkingBlock)
    assert last.message.blocks[0].content == deltas


# -- errors and retries (core only) --------------------------------------------------------------


def test_errors_surface_unchanged_and_retries_happen_once(
    make_llm: Factory, emulator: NanoGPTEmulator
) -> None:
    emulator.inject(Fault.http_status(400))
    with pytest.raises(BadRequestError):
        make_llm(max_retries=3).chat(USER_HI)
    assert len(chat_requests(emulator)) == 1
    emulator.clear()
    emulator.inject(Fault.http_status(500), times=5)
    with pytest.raises(InternalServerError):
        make_llm(max_retries=1).chat(USER_HI)
    assert len(chat_requests(emulator)) == 2


# -- instrumentation and token counting ----------------------------------------------------------


class Collector(BaseEventHandler):
    events: list[str] = []

    @classmethod
    def class_name(cls) -> str:
        return "Collector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event.class_name())


@pytest.fixture
def collector() -> Any:
    dispatcher = get_dispatcher()
    handler = Collector(events=[])
    dispatcher.add_event_handler(handler)
    yield handler
    dispatcher.event_handlers.remove(handler)


def test_instrumentation_events_for_chat_and_stream(make_llm: Factory, collector: Collector) -> None:
    llm = make_llm(context_window=1000, is_function_calling_model=True)
    llm.chat(USER_HI)
    assert [e for e in collector.events if e.startswith("LLMChat")] == [
        "LLMChatStartEvent",
        "LLMChatEndEvent",
    ]
    collector.events.clear()
    list(llm.stream_chat(USER_HI))
    chat_events = [e for e in collector.events if e.startswith("LLMChat")]
    assert chat_events[0] == "LLMChatStartEvent"
    assert chat_events[-1] == "LLMChatEndEvent"
    assert "LLMChatInProgressEvent" in chat_events
    collector.events.clear()
    llm.complete("hi")
    assert [e for e in collector.events if e.startswith("LLM")] == [
        "LLMCompletionStartEvent",
        "LLMCompletionEndEvent",
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_token_counting_handler_sees_server_usage(
    make_llm: Factory, emulator: NanoGPTEmulator, stream: bool
) -> None:
    emulator.script(
        ChatReply(content="Fine.", usage={"prompt_tokens": 321, "completion_tokens": 12, "total_tokens": 333})
    )
    counter = TokenCountingHandler(tokenizer=lambda text: text.split())
    llm = make_llm(callback_manager=CallbackManager([counter]))
    if stream:
        list(llm.stream_chat(USER_HI))
    else:
        llm.chat(USER_HI)
    assert (counter.prompt_llm_token_count, counter.completion_llm_token_count) == (321, 12)


def test_start_event_payload_has_no_key(make_llm: Factory) -> None:
    llm = make_llm(api_key="sk-nano-very-secret", context_window=1000, is_function_calling_model=True)
    assert "sk-nano-very-secret" not in json.dumps(llm.to_payload())


def test_copies_and_pickles_work_and_keep_the_key(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    import copy
    import pickle

    llm = make_llm(api_key="copied-key", context_window=1000, is_function_calling_model=True)
    llm.chat(USER_HI)
    for clone in (copy.deepcopy(llm), pickle.loads(pickle.dumps(llm)), llm.model_copy()):
        assert clone.chat(USER_HI).message.content == "Hello! You said: Hi there"
        assert emulator.last_request("/chat/completions").headers["authorization"] == "Bearer copied-key"


def test_multimodal_blocks_reach_the_server(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    from llama_index.core.base.llms.types import AudioBlock, DocumentBlock, ImageBlock

    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
        "000000164944415478da63fccfc0c0c0c0c0c4c0c0c0c0c000000d1d0103a6c29be90000000049454e44ae426082"
    )
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="What are these?"),
            ImageBlock(image=png),
            ImageBlock(url="https://example.com/cat.png"),
            DocumentBlock(data=b"%PDF-1.4 tiny", title="a.pdf", document_mimetype="application/pdf"),
            AudioBlock(audio=b"RIFF0000WAVEfmt ", format="wav"),
        ],
    )
    response = make_llm().chat([message])
    assert response.message.content == "Hello! You said: What are these? [2 images, 1 file, 1 audio]"
    parts = emulator.last_request("/chat/completions").body["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url", "file", "input_audio"]


def test_lazy_top_level_import() -> None:
    import nanogpt_integrations

    assert nanogpt_integrations.NanoGPTLLM is NanoGPTLLM


def test_structured_predict_events(make_llm: Factory, collector: Collector) -> None:
    from llama_index.core.prompts import PromptTemplate
    from pydantic import BaseModel

    class City(BaseModel):
        name: str

    city = make_llm().structured_predict(City, PromptTemplate("Name a city: {hint}"), hint="Paris")
    assert isinstance(city, City)
    names = [e for e in collector.events if e.startswith("LLM")]
    assert names[0] == "LLMStructuredPredictStartEvent"
    assert names[-1] == "LLMStructuredPredictEndEvent"
    assert "LLMChatStartEvent" in names


@pytest.mark.parametrize("fault", [Fault.error_frame(after_chunks=2), Fault.eof_without_done(after_chunks=2)])
def test_broken_streams_raise_instead_of_truncating(
    make_llm: Factory, emulator: NanoGPTEmulator, fault: Fault
) -> None:
    from nanogpt_integrations.core import StreamError

    emulator.inject(fault)
    received: list[str] = []
    with pytest.raises(StreamError):
        for response in make_llm(max_retries=3).stream_chat(USER_HI):
            received.append(response.delta or "")
    assert len(chat_requests(emulator)) == 1
    assert "".join(received) != "Hello! You said: Hi there"


async def test_broken_async_stream_raises(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    from nanogpt_integrations.core import StreamError

    emulator.inject(Fault.error_frame(after_chunks=1))
    with pytest.raises(StreamError):
        async for _ in await make_llm().astream_chat(USER_HI):
            pass


def test_reassigned_options_apply_to_the_next_request(make_llm: Factory, emulator: NanoGPTEmulator) -> None:
    llm = make_llm(provider="novita")
    llm.provider = "deepinfra"
    llm.billing_mode = "paygo"
    llm.chat(USER_HI)
    req = emulator.last_request("/chat/completions")
    assert (req.headers["x-provider"], req.headers["x-billing-mode"]) == ("deepinfra", "paygo")
