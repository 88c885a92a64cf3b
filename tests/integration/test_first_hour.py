"""A new user's mistakes, caught before any request with a message that says what to do, the same
way in both frameworks (issue: the first hour)."""

from __future__ import annotations

import logging
import socket
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from nanogpt_integrations.core import ConfigurationError, MissingAPIKeyError
from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.llama_index import NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

KEY = "test-key-for-the-emulator"
GPT = "openai/gpt-4o-mini"


class CountingServer:
    """Accepts connections and counts them; never answers (anything reaching it is a failure)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/v1"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[CountingServer]:
    server = CountingServer()
    yield server
    server.close()


def _make(framework: str, base_url: str, **fields: Any) -> Any:
    if framework == "langchain":
        return ChatNanoGPT(base_url=base_url, **fields)
    return NanoGPTLLM(api_base=base_url, **fields)


FRAMEWORKS = ["langchain", "llama_index"]

# -- construction -------------------------------------------------------------------------------------

BAD_SETTINGS = [
    ({"temperature": -1}, "temperature"),
    ({"temperature": 5}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_tokens": -5}, "max_tokens"),
    ({"top_p": 7}, "top_p"),
    ({"model": ""}, "model"),
    ({"timeout": 0}, "timeout"),
    ({"max_retries": -1}, "max_retries"),
    ({"reasoning_effort": "max"}, "reasoning_effort"),
    ({"model": f"{GPT}:price", "routing": "speed"}, "routing conflict"),
    ({"provider": "novita", "routing": "price"}, "routing conflict"),
    ({"tempreature": 0.2}, "did you mean 'temperature'"),
]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(("settings", "phrase"), BAD_SETTINGS, ids=[p for _, p in BAD_SETTINGS])
def test_bad_settings_fail_at_construction_with_one_typed_error(
    framework: str, settings: dict[str, Any], phrase: str, silent_server: CountingServer
) -> None:
    fields = {"model": GPT, "api_key": KEY, **settings}
    with pytest.raises(ConfigurationError, match=phrase) as info:
        _make(framework, silent_server.base_url, **fields)
    assert isinstance(info.value, ValueError)
    assert KEY not in str(info.value)
    assert silent_server.connections == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("url", ["http://[::1/api", "ftp://nano-gpt.com/api/v1", "nano-gpt.com/api/v1"])
def test_a_bad_base_url_fails_at_construction(framework: str, url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"api_base|base_url"):
        _make(framework, url, model=GPT, api_key=KEY)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_unknown_arguments_are_sent_not_lost(framework: str, emulator: NanoGPTEmulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm = _make(framework, emulator.base_url, model=GPT, api_key=KEY, logprobs=True, user="u-1")
    assert any("moved to" in str(w.message) and "logprobs" in str(w.message) for w in caught)
    if framework == "langchain":
        llm.invoke("hi")
    else:
        llm.chat([ChatMessage(role="user", content="hi")])
    body = emulator.last_request("/chat/completions").body
    assert (body["logprobs"], body["user"]) == (True, "u-1")


def test_openai_style_arguments_work(emulator: NanoGPTEmulator) -> None:
    llm = ChatNanoGPT(
        model_name=GPT, openai_api_key=KEY, openai_api_base=emulator.base_url, max_completion_tokens=10
    )
    llm.invoke("hi")
    request = emulator.last_request("/chat/completions")
    assert request.body["max_tokens"] == 10
    assert request.headers["authorization"] == f"Bearer {KEY}"
    with pytest.raises(ConfigurationError, match="not both"):
        ChatNanoGPT(model=GPT, api_key=KEY, openai_api_key="other")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_web_search_false_removes_the_suffix(framework: str, emulator: NanoGPTEmulator) -> None:
    llm = _make(framework, emulator.base_url, model=f"{GPT}:online", api_key=KEY, web_search=False)
    if framework == "langchain":
        llm.invoke("hi")
    else:
        llm.chat([ChatMessage(role="user", content="hi")])
    assert emulator.last_request("/chat/completions").body["model"] == GPT


# -- keys, catalogue, model typos ---------------------------------------------------------------------


def test_llama_index_without_a_key_fails_before_any_connection(
    silent_server: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    llm = NanoGPTLLM(model=GPT, api_base=silent_server.base_url)
    with pytest.raises(MissingAPIKeyError, match="NANOGPT_API_KEY"):
        llm.complete("Hi")
    assert silent_server.connections == 0


def test_catalogue_warning_states_only_the_fallbacks_used(
    silent_server: CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    llm = NanoGPTLLM(
        model="openai/fallback-test",
        api_key=KEY,
        api_base="http://127.0.0.1:9/api/v1",
        max_retries=0,
        context_window=4096,
    )
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        assert llm.metadata.context_window == 4096
    text = caplog.text
    assert "catalogue unavailable" in text and "context_window=32768" not in text
    assert "is_function_calling_model=True" in text


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_model_typo_is_warned_with_the_closest_ids(
    framework: str, emulator: NanoGPTEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The warning is once per id per process: each framework gets its own typo.
    typo = {"langchain": "openai/gpt-4o-mnii", "llama_index": "openai/gpt-4o-minii"}[framework]
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        if framework == "langchain":
            ChatNanoGPT(model=typo, api_key=KEY, base_url=emulator.base_url).load_profile()
        else:
            NanoGPTLLM(model=typo, api_key=KEY, api_base=emulator.base_url).metadata  # noqa: B018
    assert f"Model {typo!r} is not in NanoGPT's model catalogue" in caplog.text
    assert "did you mean 'openai/gpt-4o-mini'" in caplog.text


# -- wrong input types --------------------------------------------------------------------------------


def test_llama_index_accepts_dict_messages_and_plain_functions(emulator: NanoGPTEmulator) -> None:
    llm = NanoGPTLLM(model=GPT, api_key=KEY, api_base=emulator.base_url, context_window=1000)
    reply = llm.chat([{"role": "user", "content": "Hi"}])  # type: ignore[list-item]
    assert reply.message.content
    assert emulator.last_request("/chat/completions").body["messages"] == [{"role": "user", "content": "Hi"}]

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    llm.chat_with_tools([multiply], user_msg="6 times 7?")  # type: ignore[list-item]
    tools = emulator.last_request("/chat/completions").body["tools"]
    assert tools[0]["function"]["name"] == "multiply"


@pytest.mark.parametrize(
    ("call", "error", "phrase"),
    [
        (lambda llm: llm.chat("Hi"), TypeError, "messages must be a list"),
        (lambda llm: llm.chat([42]), TypeError, r"messages\[0\]"),
        (lambda llm: llm.chat([{"role": "nobody", "content": "x"}]), ValueError, r"messages\[0\]"),
        (lambda llm: llm.chat_with_tools([42], user_msg="x"), TypeError, r"tools\[0\]"),
    ],
)
def test_llama_index_wrong_input_types_are_named(
    call: Any, error: type[Exception], phrase: str, silent_server: CountingServer
) -> None:
    llm = NanoGPTLLM(model=GPT, api_key=KEY, api_base=silent_server.base_url, context_window=1000)
    with pytest.raises(error, match=phrase):
        call(llm)
    assert silent_server.connections == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_tool_schema_with_a_bad_type_is_refused_before_sending(
    framework: str, silent_server: CountingServer
) -> None:
    tool = {
        "type": "function",
        "function": {"name": "f", "parameters": {"type": "object", "properties": {"c": {"type": "strng"}}}},
    }
    extra = {} if framework == "langchain" else {"context_window": 1000, "is_function_calling_model": True}
    llm = _make(framework, silent_server.base_url, model=GPT, api_key=KEY, **extra)
    with pytest.raises(ValueError, match="'strng' is not a JSON Schema type"):
        if framework == "langchain":
            llm.bind_tools([tool]).invoke([HumanMessage("x")])
        else:
            llm.chat([ChatMessage(role="user", content="x")], tools=[tool])
    assert silent_server.connections == 0


def test_llama_index_function_tool_objects_still_work(emulator: NanoGPTEmulator) -> None:
    llm = NanoGPTLLM(model=GPT, api_key=KEY, api_base=emulator.base_url, context_window=1000)
    tool = FunctionTool.from_defaults(fn=lambda city: city, name="echo", description="Echo a city.")
    llm.chat_with_tools([tool], user_msg="Paris")
    assert emulator.last_request("/chat/completions").body["tools"][0]["function"]["name"] == "echo"
