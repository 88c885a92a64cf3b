"""Secret-looking ``default_headers`` are never shown, yet every request carries them (issue 12.5).

Shown nowhere: ``repr``/``str``, ``model_dump``(_json), LangChain ``dumps``/``dumpd`` and so every
callback's ``serialized`` payload, LlamaIndex ``to_dict``/``to_json`` and its instrumentation events.
An object rebuilt from one of those dumps holds the placeholder and refuses to send it.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, loads

from nanogpt_integrations.core import MissingAPIKeyError
from nanogpt_integrations.core.redact import REDACTED, is_secret_header, redact_headers
from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPT
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = pytest.mark.emulator

SECRET = "hdr-" + "5f0c2d7e-never-shown"  # split: not a real secret, keeps scanners quiet
HEADERS = {
    "x-api-key": SECRET + "-1",
    "x-encryption-key": SECRET + "-2",
    "Authorization": "Bearer " + SECRET + "-3",
    "X-Auth-Token": SECRET + "-4",
    "X-Title": "my-app",
}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("x-api-key", True),
        ("X-Encryption-Key", True),
        ("x-encryption-passphrase", True),
        ("Cookie", True),
        ("x-session-id", True),
        ("X-Gateway-Token", True),
        ("X-Client-Secret", True),
        ("X-Title", False),
        ("HTTP-Referer", False),
        ("X-Provider", False),
        ("User-Agent", False),
        ("Accept", False),
    ],
)
def test_the_rule(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret
    assert (redact_headers({name: "v"}) == {name: REDACTED}) is secret


def assert_hidden(text: str) -> None:
    assert SECRET not in text


class Serialized(BaseCallbackHandler):
    def __init__(self) -> None:
        self.payloads: list[Any] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.payloads.append(serialized)

    def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
        self.payloads.append(serialized)


@pytest.mark.parametrize("cls", [ChatNanoGPT, NanoGPT])
def test_langchain_views_hide_secret_headers_and_requests_carry_them(
    cls: type[ChatNanoGPT] | type[NanoGPT], emulator: NanoGPTEmulator
) -> None:
    model = cls(model="openai/gpt-4o-mini", api_key="k", base_url=emulator.base_url, default_headers=HEADERS)
    handler = Serialized()
    model.invoke("hi", config={"callbacks": [handler]})
    sent = emulator.last_request().headers
    assert (
        sent["x-api-key"] == HEADERS["x-api-key"] and sent["x-encryption-key"] == HEADERS["x-encryption-key"]
    )
    assert sent["x-auth-token"] == HEADERS["X-Auth-Token"] and sent["x-title"] == "my-app"
    for text in (
        repr(model),
        str(model),
        str(model.model_dump()),
        model.model_dump_json(),
        dumps(model),
        str(dumpd(model)),
    ):
        assert_hidden(text)
    assert handler.payloads and all(SECRET not in str(payload) for payload in handler.payloads)
    assert "my-app" in repr(model) and "my-app" in dumps(model)  # headers shown, secret values not
    assert model.model_dump()["default_headers"]["x-api-key"] == REDACTED
    assert model.default_headers == HEADERS  # the object keeps the real values


def test_langchain_round_trip_keeps_the_placeholder_and_refuses_to_send_it(emulator: NanoGPTEmulator) -> None:
    model = ChatNanoGPT(
        model="openai/gpt-4o-mini", api_key="k", base_url=emulator.base_url, default_headers=HEADERS
    )
    text = dumps(model)
    loaded = loads(
        text,
        secrets_map={"NANOGPT_API_KEY": "k"},
        valid_namespaces=["nanogpt_integrations"],
        allowed_objects=[ChatNanoGPT],
    )
    assert isinstance(loaded, ChatNanoGPT)
    assert loaded.default_headers == {**redact_headers(HEADERS), "X-Title": "my-app"}
    with pytest.raises(MissingAPIKeyError) as info:
        loaded.invoke("hi")
    assert "x-api-key" in str(info.value) and SECRET not in str(info.value)
    assert emulator.requests == []  # refused before any request
    loaded.default_headers = HEADERS  # the real values, given again
    assert loaded.invoke("hi").content == "Hello! You said: hi"
    assert emulator.last_request().headers["x-api-key"] == HEADERS["x-api-key"]


def test_pickles_hold_the_real_values_like_the_key(emulator: NanoGPTEmulator) -> None:
    model = ChatNanoGPT(
        model="openai/gpt-4o-mini", api_key="k", base_url=emulator.base_url, default_headers=HEADERS
    )
    back = pickle.loads(pickle.dumps(model))
    assert back.default_headers == HEADERS
    back.invoke("hi")
    assert emulator.last_request().headers["x-encryption-key"] == HEADERS["x-encryption-key"]


def _llm(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTLLM:
    return NanoGPTLLM(
        model="openai/gpt-4o-mini",
        api_key="k",
        api_base=emulator.base_url,
        context_window=8192,
        is_function_calling_model=True,
        **kwargs,
    )


def test_llama_index_views_and_events_hide_secret_headers(emulator: NanoGPTEmulator) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events import BaseEvent

    class Events(BaseEventHandler):
        seen: list[str] = []

        @classmethod
        def class_name(cls) -> str:
            return "Events"

        def handle(self, event: BaseEvent, **kwargs: Any) -> None:
            self.seen.append(repr(event.model_dump()))

    llm = _llm(emulator, default_headers=HEADERS)
    events = Events()
    root = get_dispatcher()
    root.add_event_handler(events)
    try:
        llm.chat([ChatMessage(role="user", content="hi")])
    finally:
        root.event_handlers.remove(events)
    assert emulator.last_request().headers["x-encryption-key"] == HEADERS["x-encryption-key"]
    assert events.seen and all(SECRET not in seen for seen in events.seen)
    for text in (repr(llm), str(llm), str(llm.to_dict()), llm.to_json(), llm.model_dump_json()):
        assert_hidden(text)
    assert llm.to_dict()["default_headers"]["X-Title"] == "my-app"
    rebuilt = NanoGPTLLM.from_dict(llm.to_dict())
    assert rebuilt.default_headers == {**redact_headers(HEADERS), "X-Title": "my-app"}
    emulator.clear()
    with pytest.raises(MissingAPIKeyError):
        rebuilt.chat([ChatMessage(role="user", content="hi")])
    assert emulator.requests == []
