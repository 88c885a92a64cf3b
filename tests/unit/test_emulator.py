"""The NanoGPT emulator, exercised with stdlib HTTP clients only (no httpx)."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator, ToolCallSpec

# Provides the `emulator` fixture (also registered by tests/conftest.py once that exists).
pytest_plugins = ["nanogpt_integrations.testing.pytest_plugin"]

KEY = "sk-nano-test"

# -- helpers --------------------------------------------------------------------------------------


class Reply:
    """A decoded HTTP response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def call(
    emu: NanoGPTEmulator,
    path: str,
    body: Any = None,
    *,
    method: str = "POST",
    key: str | None = KEY,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 5.0,
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if key is not None:
            sent.setdefault("Authorization", f"Bearer {key}")
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
    finally:
        conn.close()


def chat(emu: NanoGPTEmulator, **body: Any) -> Reply:
    body.setdefault("model", "openai/gpt-4o-mini")
    body.setdefault("messages", [{"role": "user", "content": "Hello"}])
    return call(emu, "/api/v1/chat/completions", body)


def events(text: str) -> list[str]:
    """The `data:` payloads of an SSE body, asserting the `data: ...\\n\\n` framing."""
    assert text.endswith("\n\n")
    out = []
    for block in text[:-2].split("\n\n"):
        assert block.startswith("data: "), block
        out.append(block[len("data: ") :])
    return out


def chunks(text: str) -> list[dict[str, Any]]:
    payloads = events(text)
    assert payloads[-1] == "[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def streamed(emu: NanoGPTEmulator, **body: Any) -> list[dict[str, Any]]:
    reply = chat(emu, stream=True, **body)
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"].startswith("text/event-stream")
    return chunks(reply.text)


def tool(
    name: str, properties: dict[str, Any] | None = None, required: list[str] | None = None
) -> dict[str, Any]:
    parameters: dict[str, Any] = {"type": "object", "properties": properties or {}}
    if required is not None:
        parameters["required"] = required
    return {
        "type": "function",
        "function": {"name": name, "description": f"{name} tool", "parameters": parameters},
    }


def user(text: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


MAGIC = tool("magic_function", {"input": {"type": "integer"}}, ["input"])
WEATHER = tool("get_weather", {"location": {"type": "string"}}, ["location"])


def message_of(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    return dict(reply.json()["choices"][0]["message"])


# -- lifecycle ------------------------------------------------------------------------------------


def test_urls_context_manager_and_restart() -> None:
    emu = NanoGPTEmulator()
    with pytest.raises(RuntimeError):
        _ = emu.url
    with emu:
        assert emu.running
        assert emu.url == f"http://127.0.0.1:{emu.port}"
        assert emu.base_url == emu.url + "/api/v1"
        assert call(emu, "/api/v1/models", method="GET").status == 200
    assert not emu.running
    emu.stop()  # idempotent
    emu.start()
    try:
        assert call(emu, "/api/v1/models", method="GET").status == 200
    finally:
        emu.stop()


def test_stop_is_prompt_with_stalled_handler_and_idle_keepalive() -> None:
    emu = NanoGPTEmulator().start()
    idle = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    idle.request("GET", "/api/v1/models")
    idle.getresponse().read()  # connection stays open (keep-alive)
    emu.inject(Fault.stall(30))
    outcome: list[BaseException | int] = []

    def stalled() -> None:
        try:
            outcome.append(
                call(emu, "/api/v1/chat/completions", {"model": "openai/gpt-4o-mini", "messages": user("x")}).status
            )
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=stalled, daemon=True)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1.0
    worker.join(2)
    assert outcome and isinstance(outcome[0], (ConnectionError, http.client.HTTPException, OSError))
    idle.close()


def test_main_runs_in_foreground_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "nanogpt_integrations.testing", "--port", "0", "--api-key", KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v1")
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/models")
        assert conn.getresponse().status == 200
        conn.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "nanogpt_integrations.testing", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdout is not None and process.stdout.readline().startswith(b"http://127.0.0.1:")
        process.terminate()  # SIGTERM stops it cleanly too
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_many_concurrent_connections(emulator: NanoGPTEmulator) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(220)

    def worker(index: int) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
            conn.connect()
            barrier.wait(timeout=10)
            for round_ in range(2):  # second round reuses the keep-alive connection
                body = {"model": "openai/gpt-4o-mini", "stream": index % 2 == 0, "messages": user(f"hi {index} {round_}")}
                headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
                conn.request("POST", "/api/v1/chat/completions", json.dumps(body), headers)
                response = conn.getresponse()
                payload = response.read().decode()
                assert response.status == 200
                if body["stream"]:
                    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks(payload))
                    assert content.endswith(f"hi {index} {round_}")
                else:
                    assert f"hi {index} {round_}" in payload
            conn.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(220)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors[:3]
    assert len(emulator.requests) == 440


# -- chat completions: shapes ---------------------------------------------------------------------


def test_chat_non_streaming_shape(emulator: NanoGPTEmulator) -> None:
    reply = chat(emulator, model="openai/gpt-4o-mini:online", service_tier="flex", include_usage=True)
    assert reply.status == 200
    assert reply.headers["x-request-id"].startswith("req_")
    data = reply.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert isinstance(data["created"], int)
    assert data["model"] == "openai/gpt-4o-mini:online"
    assert data["service_tier"] == "flex"
    choice = data["choices"][0]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"] == {"role": "assistant", "content": "Hello! You said: Hello"}
    usage = data["usage"]
    assert usage["prompt_tokens"] == 2  # ceil(len("Hello") / 4)
    assert usage["completion_tokens"] == math.ceil(len("Hello! You said: Hello") / 4)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0
    assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0
    pricing = data["x_nanogpt_pricing"]
    assert pricing["currency"] == "USD" and pricing["paymentSource"] == "USD"
    assert pricing["inputTokens"] == usage["prompt_tokens"]
    assert pricing["outputTokens"] == usage["completion_tokens"]
    expected = round((usage["prompt_tokens"] * 1 + usage["completion_tokens"] * 2) / 1e6, 10)
    assert pricing["cost"] == pricing["amount"] == expected
    assert pricing["cacheCost"] == 0


def test_content_parts_and_attachments_are_described(emulator: NanoGPTEmulator) -> None:
    content = [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,AAAA"}},
    ]
    message = message_of(chat(emulator, messages=user(content)))
    assert message["content"] == "Hello! You said: What is in these? [2 images, 1 audio, 1 file]"


def test_streaming_framing_on_the_wire(emulator: NanoGPTEmulator) -> None:
    sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=5)
    body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True, "messages": user("Hello")}).encode()
    request = (
        b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    sock.sendall(request)
    raw = b""
    while not raw.endswith(b"\r\n0\r\n\r\n"):
        piece = sock.recv(65536)
        assert piece
        raw += piece
    sock.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert (
        b"Transfer-Encoding: chunked" in head
        and b"text/event-stream" in head
        and b"X-Request-ID: req_" in head
    )
    frames = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        frames.append(rest[:size])
        rest = rest[size + 2 :]
    assert all(frame.startswith(b"data: ") and frame.endswith(b"\n\n") for frame in frames)
    assert frames[-1] == b"data: [DONE]\n\n"


def test_streaming_chunks_match_non_streaming(emulator: NanoGPTEmulator) -> None:
    plain = message_of(chat(emulator, messages=user("Tell me something nice")))
    stream = streamed(emulator, messages=user("Tell me something nice"))
    assert stream[0]["choices"][0]["delta"]["role"] == "assistant"
    assert {c["object"] for c in stream} == {"chat.completion.chunk"}
    assert len({c["id"] for c in stream}) == 1
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in stream)
    assert content == plain["content"]
    pieces = [c["choices"][0]["delta"]["content"] for c in stream[1:-1]]
    assert all(len(piece) <= 8 for piece in pieces)
    finish = stream[-1]
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert "usage" not in finish
    assert all("usage" not in c for c in stream)
    assert finish["x_nanogpt_pricing"]["currency"] == "USD"
    assert all("x_nanogpt_pricing" not in c for c in stream[:-1])


def test_stream_usage_only_with_include_usage(emulator: NanoGPTEmulator) -> None:
    stream = streamed(emulator, stream_options={"include_usage": True})
    assert all("usage" not in c for c in stream[:-1])
    finish = stream[-1]
    assert finish["choices"][0]["finish_reason"] == "stop"  # usage rides the finish frame
    assert (
        finish["usage"]["total_tokens"]
        == finish["usage"]["prompt_tokens"] + finish["usage"]["completion_tokens"]
    )
    stream = streamed(emulator, stream_options={"include_usage": False})
    assert all("usage" not in c for c in stream)


# -- reasoning ------------------------------------------------------------------------------------


def test_reasoning_model_non_streaming(emulator: NanoGPTEmulator) -> None:
    data = chat(
        emulator, model="deepseek/deepseek-r1", messages=user("Why is the sky blue?"), include_usage=True
    ).json()
    message = data["choices"][0]["message"]
    assert message["reasoning"].startswith("Let me think about")
    assert message["reasoning_details"] == [{"type": "reasoning.text", "text": message["reasoning"]}]
    assert message["content"] == "Hello! You said: Why is the sky blue?"
    reasoning_tokens = math.ceil(len(message["reasoning"]) / 4)
    assert data["usage"]["completion_tokens_details"]["reasoning_tokens"] == reasoning_tokens
    assert data["usage"]["reasoning_tokens"] == reasoning_tokens
    assert data["usage"]["completion_tokens"] == reasoning_tokens + math.ceil(len(message["content"]) / 4)


@pytest.mark.parametrize(
    "extra",
    [
        {"reasoning_content_compat": True},
        {"reasoning_delta_field": "reasoning_content"},
        {"reasoning": {"delta_field": "reasoning_content"}},
    ],
)
def test_reasoning_content_compat_field(emulator: NanoGPTEmulator, extra: dict[str, Any]) -> None:
    stream = streamed(emulator, model="zai-org/glm-4.6:thinking", **extra)
    deltas = [c["choices"][0]["delta"] for c in stream]
    assert any("reasoning_content" in d for d in deltas)
    assert not any("reasoning" in d for d in deltas)
    message = message_of(chat(emulator, model="zai-org/glm-4.6:thinking", **extra))
    assert "reasoning_content" in message and "reasoning" not in message


def test_legacy_path_uses_reasoning_content(emulator: NanoGPTEmulator) -> None:
    reply = call(
        emulator, "/api/v1legacy/chat/completions", {"model": "deepseek/deepseek-r1", "messages": user("hi")}
    )
    assert "reasoning_content" in message_of(reply)


def test_reasoning_streamed_before_content(emulator: NanoGPTEmulator) -> None:
    deltas = [c["choices"][0]["delta"] for c in streamed(emulator, model="openai/o3")]
    kinds = [("reasoning" if "reasoning" in d else "content") for d in deltas[1:-1]]
    assert kinds == sorted(kinds, key=lambda k: k != "reasoning") and "reasoning" in kinds
    assert "reasoning_details" in deltas[kinds.index("content")]  # on the last reasoning delta


@pytest.mark.parametrize(
    "extra",
    [{"reasoning": {"exclude": True}}, {"model": "deepseek/deepseek-r1:reasoning-exclude"}],
)
def test_reasoning_exclude(emulator: NanoGPTEmulator, extra: dict[str, Any]) -> None:
    body = {"model": "deepseek/deepseek-r1", **extra}
    message = message_of(chat(emulator, **body))
    assert "reasoning" not in message and "reasoning_details" not in message
    deltas = [c["choices"][0]["delta"] for c in streamed(emulator, **body)]
    assert not any("reasoning" in d for d in deltas)


def test_reasoning_effort_switches_reasoning(emulator: NanoGPTEmulator) -> None:
    assert "reasoning" in message_of(chat(emulator, model="openai/gpt-4o-mini", reasoning_effort="low"))
    assert "reasoning" not in message_of(chat(emulator, model="openai/gpt-4o-mini"))
    assert "reasoning" not in message_of(
        chat(emulator, model="deepseek/deepseek-r1", reasoning_effort="none")
    )


# -- the default brain: tools ---------------------------------------------------------------------


def tool_calls(reply: Reply) -> list[dict[str, Any]]:
    data = reply.json()
    assert data["choices"][0]["finish_reason"] == "tool_calls"
    return list(data["choices"][0]["message"]["tool_calls"])


def test_tool_named_in_text_is_called_with_number_arguments(emulator: NanoGPTEmulator) -> None:
    text = "What is the value of magic_function(3)? Use the tool."
    calls = tool_calls(chat(emulator, messages=user(text), tools=[MAGIC]))
    assert len(calls) == 1
    assert calls[0]["type"] == "function"
    assert calls[0]["id"].startswith("call_")
    assert calls[0]["function"] == {"name": "magic_function", "arguments": '{"input": 3}'}
    again = tool_calls(chat(emulator, messages=user(text), tools=[MAGIC]))
    assert again[0]["id"] == calls[0]["id"]  # deterministic ids keep cassettes stable


def test_tool_without_arguments_and_longest_name_wins(emulator: NanoGPTEmulator) -> None:
    no_args = tool("magic_function_no_args")
    text = "What is the value of magic_function_no_args()? Use the tool."
    calls = tool_calls(chat(emulator, messages=user(text), tools=[MAGIC, no_args]))
    assert [c["function"]["name"] for c in calls] == ["magic_function_no_args"]
    assert json.loads(calls[0]["function"]["arguments"]) == {}


@pytest.mark.parametrize(
    "choice",
    [{"type": "function", "function": {"name": "magic_function"}}, "magic_function"],
)
def test_forced_tool_choice(emulator: NanoGPTEmulator, choice: Any) -> None:
    calls = tool_calls(chat(emulator, messages=user("Hello!"), tools=[WEATHER, MAGIC], tool_choice=choice))
    assert [c["function"]["name"] for c in calls] == ["magic_function"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"input": 3}  # default number


@pytest.mark.parametrize("choice", ["required", "any"])
def test_required_tool_choice_calls_first_tool(emulator: NanoGPTEmulator, choice: str) -> None:
    calls = tool_calls(chat(emulator, messages=user("Hello!"), tools=[MAGIC, WEATHER], tool_choice=choice))
    assert [c["function"]["name"] for c in calls] == ["magic_function"]


def test_auto_without_match_answers_in_text(emulator: NanoGPTEmulator) -> None:
    message = message_of(chat(emulator, messages=user("Hello!"), tools=[MAGIC]))
    assert message["content"] == "Hello! You said: Hello!" and "tool_calls" not in message
    message = message_of(
        chat(emulator, messages=user("magic_function(2)"), tools=[MAGIC], tool_choice="none")
    )
    assert "tool_calls" not in message


def test_tool_name_words_and_key_phrase(emulator: NanoGPTEmulator) -> None:
    calls = tool_calls(
        chat(emulator, messages=user("What is the weather in San Francisco, CA?"), tools=[WEATHER])
    )
    assert calls[0]["function"]["name"] == "get_weather"
    assert json.loads(calls[0]["function"]["arguments"]) == {"location": "San Francisco"}


def test_asking_for_a_tool_and_quoted_strings(emulator: NanoGPTEmulator) -> None:
    greet = tool("greeting_generator", {"answer_style": {"type": "string"}}, ["answer_style"])
    calls = tool_calls(
        chat(emulator, messages=user("Using the tool, generate a Pirate greeting."), tools=[greet])
    )
    assert json.loads(calls[0]["function"]["arguments"]) == {"answer_style": "Pirate"}
    customer = tool("unicode_customer", {"customer_name": {"type": "string"}}, ["customer_name"])
    text = "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company."
    calls = tool_calls(chat(emulator, messages=user(text), tools=[customer], tool_choice="required"))
    assert json.loads(calls[0]["function"]["arguments"]) == {"customer_name": "你好啊集团"}


def test_parallel_tool_calls(emulator: NanoGPTEmulator) -> None:
    add = tool("add", {"a": {"type": "integer"}, "b": {"type": "integer"}}, ["a", "b"])
    multiply = tool("multiply", {"a": {"type": "integer"}, "b": {"type": "integer"}}, ["a", "b"])
    text = "Use add on 1 and 2, then multiply 3 and 4."
    calls = tool_calls(chat(emulator, messages=user(text), tools=[multiply, add]))
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == [
        ("add", {"a": 1, "b": 2}),
        ("multiply", {"a": 3, "b": 4}),
    ]
    assert len({c["id"] for c in calls}) == 2
    single = tool_calls(chat(emulator, messages=user(text), tools=[multiply, add], parallel_tool_calls=False))
    assert [c["function"]["name"] for c in single] == ["add"]


def test_arguments_generated_from_schema(emulator: NanoGPTEmulator) -> None:
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "label": {"type": "string"},
            "flag": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "nested": {"$ref": "#/$defs/Inner"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
            "optional": {"type": "string"},
        },
        "required": ["count", "ratio", "label", "flag", "tags", "unit", "nested", "maybe"],
        "$defs": {"Inner": {"type": "object", "properties": {"depth": {"type": "integer"}}}},
    }
    spec = {"type": "function", "function": {"name": "configure", "parameters": schema}}
    text = 'Please configure with 7 and 2.5, label "alpha", depth 9.'
    calls = tool_calls(chat(emulator, messages=user(text), tools=[spec], tool_choice="required"))
    assert json.loads(calls[0]["function"]["arguments"]) == {
        "count": 7,
        "ratio": 2.5,
        "label": "alpha",
        "flag": True,
        "tags": [],
        "unit": "celsius",
        "nested": {"depth": 9},
        "maybe": 3,
    }


def test_tool_result_is_answered_in_text(emulator: NanoGPTEmulator) -> None:
    messages = [
        {"role": "user", "content": "What is 1 + 2"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "abc123",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "abc123", "content": '{"result": 3}'},
    ]
    message = message_of(chat(emulator, messages=messages, tools=[MAGIC]))
    assert message["content"] == 'The result is {"result": 3}.'
    assert "tool_calls" not in message


def test_streamed_tool_call_deltas(emulator: NanoGPTEmulator) -> None:
    stream = streamed(emulator, messages=user("magic_function(42)"), tools=[MAGIC])
    deltas = [d for c in stream for d in c["choices"][0]["delta"].get("tool_calls", [])]
    head = deltas[0]
    assert head["index"] == 0 and head["id"].startswith("call_") and head["type"] == "function"
    assert head["function"] == {"name": "magic_function", "arguments": ""}
    assert all(set(d) == {"index", "function"} for d in deltas[1:])
    assert json.loads("".join(d["function"]["arguments"] for d in deltas)) == {"input": 42}
    assert stream[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_scripted_tool_call_quirks(emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(
            tool_calls=[ToolCallSpec("lookup", {"q": "a long query string"}, id="call_fixed")],
            omit_tool_call_index=True,
            repeat_tool_call_id=True,
            chunk_size=4,
        )
    )
    stream = streamed(emulator)
    deltas = [d for c in stream for d in c["choices"][0]["delta"].get("tool_calls", [])]
    assert len(deltas) > 2
    assert all("index" not in d and d["id"] == "call_fixed" for d in deltas)
    assert json.loads("".join(d["function"]["arguments"] for d in deltas)) == {"q": "a long query string"}


# -- the default brain: structured output, stop, max_tokens ---------------------------------------


JOKE = {
    "type": "object",
    "properties": {
        "setup": {"type": "string"},
        "punchline": {"type": "string"},
        "rating": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "topic": {"type": "string"},
    },
    "required": ["setup", "punchline", "topic"],
}


def test_json_schema_response_format(emulator: NanoGPTEmulator) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "Joke", "strict": True, "schema": JOKE}}
    message = message_of(
        chat(emulator, messages=user("Tell me a joke about cats"), response_format=response_format)
    )
    assert json.loads(message["content"]) == {
        "setup": "Why did the chicken cross the road?",
        "punchline": "To get to the other side!",
        "topic": "cats",  # the subject of the request, not a placeholder
    }
    stream = streamed(emulator, messages=user("joke"), response_format=response_format)
    assert json.loads("".join(c["choices"][0]["delta"].get("content") or "" for c in stream))["topic"]


def test_json_object_response_format(emulator: NanoGPTEmulator) -> None:
    fmt = {"type": "json_object"}
    text = "Tell me a joke. Return the result as a JSON with 'setup' and 'punchline' keys."
    assert set(
        json.loads(message_of(chat(emulator, messages=user(text), response_format=fmt))["content"])
    ) == {
        "setup",
        "punchline",
    }
    instructions = "Answer as JSON matching this schema:\n```json\n" + json.dumps(JOKE) + "\n```"
    messages = [{"role": "system", "content": instructions}, {"role": "user", "content": "cats"}]
    content = json.loads(message_of(chat(emulator, messages=messages, response_format=fmt))["content"])
    assert set(content) == {"setup", "punchline", "topic"}
    plain = json.loads(message_of(chat(emulator, messages=user("hi"), response_format=fmt))["content"])
    assert plain == {"answer": "Hello! You said: hi"}


def test_stop_and_max_tokens(emulator: NanoGPTEmulator) -> None:
    data = chat(emulator, messages=user("one two three"), stop=["two"]).json()
    assert data["choices"][0]["message"]["content"] == "Hello! You said: one "
    assert data["choices"][0]["finish_reason"] == "stop"
    data = chat(emulator, messages=user("one two three"), stop="said").json()
    assert data["choices"][0]["message"]["content"] == "Hello! You "
    data = chat(emulator, messages=user("one two three four five"), max_tokens=2, include_usage=True).json()
    assert data["choices"][0]["message"]["content"] == "Hello! Y"
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 2
    stream = streamed(emulator, messages=user("one two three four five"), max_tokens=2)
    assert stream[-1]["choices"][0]["finish_reason"] == "length"


# -- validation, auth, unknown routes -------------------------------------------------------------


def test_validation_errors(emulator: NanoGPTEmulator) -> None:
    reply = call(emulator, "/api/v1/chat/completions", {"messages": user("hi")})
    assert reply.status == 400
    assert reply.json() == {
        "error": {
            "message": "Missing required parameter: model",
            "type": "invalid_request_error",
            "code": "missing_required_parameter",
            "param": "model",
        }
    }
    assert reply.headers["x-request-id"].startswith("req_")
    reply = call(emulator, "/api/v1/chat/completions", {"model": "openai/gpt-4o-mini"})
    assert reply.json()["error"]["param"] == "messages"
    reply = call(emulator, "/api/v1/chat/completions", raw=b"{not json")
    assert reply.status == 400 and reply.json()["error"]["code"] == "invalid_json"
    reply = chat(emulator, response_format={"type": "json_schema", "json_schema": {"schema": {}}})
    assert reply.status == 400
    reply = chat(emulator, tools=[{"type": "function", "function": {}}])
    assert reply.status == 400 and reply.json()["error"]["code"] == "invalid_tool_spec"


def test_auth_with_fixed_key() -> None:
    with NanoGPTEmulator(api_key=KEY) as emu:
        body = {"model": "openai/gpt-4o-mini", "messages": user("hi")}
        reply = call(emu, "/api/v1/chat/completions", body, key=None)
        assert reply.status == 401 and reply.json()["error"]["code"] == "missing_api_key"
        assert reply.json()["error"]["type"] == "authentication_error"
        reply = call(emu, "/api/v1/chat/completions", body, key="wrong")
        assert reply.status == 401 and reply.json()["error"]["code"] == "invalid_api_key"
        assert call(emu, "/api/v1/chat/completions", body).status == 200
        assert call(emu, "/api/v1/chat/completions", body, key=None, headers={"X-API-Key": KEY}).status == 200
        assert call(emu, "/api/v1/models", method="GET", key=None).status == 200
        reply = call(emu, "/api/web", {"query": "x"}, key=None)
        assert reply.status == 401 and reply.json() == {"error": "Missing API key", "status": 401}


def test_any_key_accepted_by_default(emulator: NanoGPTEmulator) -> None:
    assert (
        call(emulator, "/api/v1/chat/completions", {"model": "openai/gpt-4o-mini", "messages": user("hi")}, key="x").status
        == 200
    )
    reply = call(emulator, "/api/v1/chat/completions", {"model": "openai/gpt-4o-mini", "messages": user("hi")}, key=None)
    assert reply.status == 401


def test_unknown_route_is_404(emulator: NanoGPTEmulator) -> None:
    reply = call(emulator, "/api/v1/nope", {"a": 1})
    assert reply.status == 404
    assert reply.json()["error"]["type"] == "not_found_error"
    assert call(emulator, "/api/v1/chat/completions", method="GET").status == 404


def test_gzip_request_body(emulator: NanoGPTEmulator) -> None:
    raw = gzip.compress(json.dumps({"model": "openai/gpt-4o-mini", "messages": user("zipped")}).encode())
    reply = call(emulator, "/api/v1/chat/completions", raw=raw, headers={"Content-Encoding": "gzip"})
    assert message_of(reply)["content"] == "Hello! You said: zipped"


# -- prompt caching -------------------------------------------------------------------------------


def test_prompt_caching_creation_then_read(emulator: NanoGPTEmulator) -> None:
    system = {
        "type": "text",
        "text": "You are a careful assistant. " * 40,
        "cache_control": {"type": "ephemeral"},
    }
    messages = [{"role": "system", "content": [system]}, {"role": "user", "content": "Hi"}]
    first = chat(emulator, model="anthropic/claude-sonnet-4.5", messages=messages).json()
    prefix = math.ceil(len(system["text"]) / 4)
    assert first["usage"]["cache_creation_input_tokens"] == prefix
    assert first["usage"]["cache_read_input_tokens"] == 0
    assert first["x_nanogpt_pricing"]["cacheCreationInputTokens"] == prefix
    assert first["x_nanogpt_pricing"]["cacheTTL"] == "5m"
    second = chat(emulator, model="anthropic/claude-sonnet-4.5", messages=messages).json()
    usage = second["usage"]
    assert usage["cache_read_input_tokens"] == prefix == usage["prompt_tokens_details"]["cached_tokens"]
    assert usage["cache_creation_input_tokens"] == 0
    assert usage["prompt_tokens"] >= usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
    assert second["x_nanogpt_pricing"]["cost"] < first["x_nanogpt_pricing"]["cost"]
    assert second["x_nanogpt_pricing"]["cacheCost"] == round(prefix * 0.1 / 1e6, 10)


def test_prompt_caching_helper_and_stream_usage(emulator: NanoGPTEmulator) -> None:
    messages = [
        {"role": "system", "content": "Long system prompt. " * 30},
        {"role": "user", "content": "Question one"},
    ]
    body = {
        "model": "anthropic/claude-sonnet-4.5",
        "messages": messages,
        "prompt_caching": {"enabled": True, "ttl": "1h"},
    }
    first = streamed(emulator, **body)[-1]
    assert first["usage"]["cache_creation_input_tokens"] == math.ceil(len(messages[0]["content"]) / 4)
    assert first["x_nanogpt_pricing"]["cacheTTL"] == "1h"
    second = chat(emulator, **body).json()
    assert second["usage"]["cache_read_input_tokens"] == first["usage"]["cache_creation_input_tokens"]


# -- scripted replies -----------------------------------------------------------------------------


def test_scripted_replies_in_order_then_brain(emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(content="first", model="served-model", usage={"prompt_tokens": 1}, pricing={"amount": 0}),
        ChatReply(
            content="second streamed", reasoning="hmm", chunk_size=3, annotations=[{"type": "url_citation"}]
        ),
    )
    data = chat(emulator, include_usage=True).json()
    assert data["choices"][0]["message"]["content"] == "first"
    assert data["model"] == "served-model"
    assert data["usage"] == {"prompt_tokens": 1}
    assert data["x_nanogpt_pricing"] == {"amount": 0}
    stream = streamed(emulator)
    deltas = [c["choices"][0]["delta"] for c in stream]
    assert "".join(d.get("content") or "" for d in deltas) == "second streamed"
    assert "".join(d.get("reasoning") or "" for d in deltas) == "hmm"
    assert {"annotations": [{"type": "url_citation"}]} in deltas
    assert message_of(chat(emulator))["content"] == "Hello! You said: Hello"


def test_scripted_finish_reason_and_leading_space_arguments(emulator: NanoGPTEmulator) -> None:
    emulator.script(
        ChatReply(content="partial", tool_calls=[ToolCallSpec("f", ' {"x": 1}')], finish_reason="tool_calls")
    )
    message = message_of(chat(emulator))
    assert message["content"] == "partial"
    assert message["tool_calls"][0]["function"]["arguments"] == ' {"x": 1}'
    assert message["tool_calls"][0]["id"].startswith("call_")


# -- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("envelope", "expected"),
    [
        (
            "object",
            {"error": {"message": "Slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}},
        ),
        ("string", {"error": "Slow down", "status": 429}),
        ("openapi", {"error": 429, "message": "Slow down"}),
        ("top_level", {"code": "rate_limit_exceeded", "message": "Slow down"}),
        ("numeric_code", {"error": {"message": "Slow down", "type": "rate_limit_error", "code": 429}}),
    ],
)
def test_http_status_fault_envelopes(
    emulator: NanoGPTEmulator, envelope: Any, expected: dict[str, Any]
) -> None:
    emulator.inject(Fault.http_status(429, message="Slow down", retry_after="2", envelope=envelope))
    reply = chat(emulator)
    assert reply.status == 429
    assert reply.headers["retry-after"] == "2"
    assert reply.headers["x-request-id"].startswith("req_")
    assert reply.json() == expected
    assert chat(emulator).status == 200  # times=1


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (413, "invalid_request_error"),
        (500, "server_error"),
        (502, "api_error"),
        (503, "service_unavailable"),
        (504, "server_error"),
    ],
)
def test_http_status_defaults(emulator: NanoGPTEmulator, status: int, error_type: str) -> None:
    emulator.inject(Fault.http_status(status))
    reply = chat(emulator)
    assert reply.status == status
    assert reply.json()["error"]["type"] == error_type
    assert "retry-after" not in reply.headers


def test_402_with_custom_code_and_type(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(402, code="webSearch_balance_required", type="insufficient_quota"))
    assert chat(emulator).json()["error"] == {
        "message": "Insufficient balance",
        "type": "insufficient_quota",
        "code": "webSearch_balance_required",
    }


def test_cache_consistency_fault(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.cache_consistency())
    reply = chat(emulator)
    assert reply.status == 503
    error = reply.json()["error"]
    assert error["code"] == "fallback_blocked_for_cache_consistency"
    assert error["type"] == "service_unavailable" and error["status"] == 503


def test_fault_times_and_path(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(500), times=2)
    emulator.inject(Fault.http_status(503), path="/api/web")
    assert call(emulator, "/api/v1/models", method="GET").status == 200
    assert [chat(emulator).status for _ in range(3)] == [500, 500, 200]
    assert call(emulator, "/api/web", {"query": "x"}).status == 503
    assert call(emulator, "/api/web", {"query": "x"}).status == 200
    emulator.inject(Fault.http_status(500), path="*")
    assert call(emulator, "/api/v1/models", method="GET").status == 500


def test_reset_before_headers(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.reset_before_headers())
    with pytest.raises(ConnectionError):
        chat(emulator)
    assert len(emulator.requests) == 1  # recorded even though never answered
    assert chat(emulator).status == 200


def test_reset_mid_stream(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.reset_mid_stream(after_chunks=2))
    with pytest.raises((ConnectionError, http.client.IncompleteRead)):
        chat(emulator, stream=True, messages=user("a fairly long message to stream back"))
    emulator.inject(Fault.reset_mid_stream())
    with pytest.raises((ConnectionError, http.client.IncompleteRead)):
        chat(emulator)  # non-streaming: half the body, then RST


def test_malformed_frame(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.malformed_frame(after_chunks=1))
    payloads = events(chat(emulator, stream=True).text)
    assert payloads[1] == "{not json"
    assert payloads[-1] == "[DONE]"
    emulator.inject(Fault.malformed_frame())
    assert chat(emulator).body == b"{not json"


def test_error_frame(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.error_frame(after_chunks=2))
    payloads = events(chat(emulator, stream=True, messages=user("a long enough message")).text)
    assert len(payloads) == 4 and payloads[-1] == "[DONE]"
    error_chunk = json.loads(payloads[2])
    assert error_chunk["choices"][0]["finish_reason"] == "error"
    assert error_chunk["choices"][0]["delta"] == {}
    assert error_chunk["error"] == {
        "status": 503,
        "message": "Service temporarily unavailable. Please try again later.",
        "code": "service_unavailable",
    }
    assert error_chunk["id"] == json.loads(payloads[0])["id"]
    emulator.inject(Fault.error_frame())
    assert chat(emulator).status == 503


def test_eof_without_done(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.eof_without_done(after_chunks=2))
    payloads = events(chat(emulator, stream=True, messages=user("a long enough message")).text)
    assert len(payloads) == 2 and "[DONE]" not in payloads
    emulator.inject(Fault.eof_without_done())
    with pytest.raises(http.client.IncompleteRead):
        chat(emulator)


def test_stall_delays_only_its_request(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.stall(0.8))
    results: dict[str, float] = {}

    def slow() -> None:
        started = time.monotonic()
        chat(emulator)
        results["slow"] = time.monotonic() - started

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert chat(emulator).status == 200
    results["fast"] = time.monotonic() - started
    worker.join(5)
    assert results["slow"] >= 0.75 and results["fast"] < 0.6


def test_a_request_stalled_across_clear_is_never_served(emulator: NanoGPTEmulator) -> None:
    """A test that gives up on a stalled request must not leave it to wake up in the next test
    and take that test's scripted reply (this made a later test flaky)."""
    emulator.inject(Fault.stall(0.6))
    outcome: dict[str, Any] = {}

    def abandoned() -> None:
        try:
            outcome["status"] = chat(emulator).status
        except (OSError, http.client.HTTPException) as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=abandoned)
    worker.start()
    time.sleep(0.2)
    emulator.clear()  # what the next test's fixture does
    emulator.script(ChatReply(content="scripted for the next test"))
    worker.join(5)
    assert "error" in outcome, "the stalled request is dropped, not served"
    reply = chat(emulator)
    assert json.loads(reply.text)["choices"][0]["message"]["content"] == "scripted for the next test"


def test_stall_mid_stream_and_trickle(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.stall_mid_stream(after_chunks=2, seconds=0.6))
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True, "messages": user("stream me please")})
    conn.request("POST", "/api/v1/chat/completions", body, {"Authorization": "Bearer k"})
    response = conn.getresponse()
    started = time.monotonic()
    first = response.read1(65536)
    early = time.monotonic() - started
    rest = response.read()
    total = time.monotonic() - started
    conn.close()
    assert early < 0.45 and total >= 0.55
    assert events((first + rest).decode())[-1] == "[DONE]"
    emulator.inject(Fault.trickle(0.02))
    started = time.monotonic()
    frames = events(chat(emulator, stream=True).text)
    assert time.monotonic() - started >= 0.02 * len(frames) * 0.9


def test_request_id_on_every_response(emulator: NanoGPTEmulator) -> None:
    ids = {
        call(emulator, "/api/v1/models", method="GET").headers["x-request-id"],
        call(emulator, "/nope", method="GET").headers["x-request-id"],
        chat(emulator, stream=True).headers["x-request-id"],
    }
    assert len(ids) == 3 and all(i.startswith("req_") for i in ids)


def test_head_and_unsupported_method_carry_request_id(emulator: NanoGPTEmulator) -> None:
    reply = call(emulator, "/api/v1/models", method="HEAD")
    assert reply.status == 200 and reply.body == b"" and reply.headers["x-request-id"].startswith("req_")
    sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=5)
    sock.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")  # answered by the stdlib's send_error
    answer = sock.recv(65536)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 501") and b"X-Request-ID: req_" in answer


def test_quoted_property_names_are_not_used_as_values(emulator: NanoGPTEmulator) -> None:
    joke = tool(
        "Joke", {"setup": {"type": "string"}, "punchline": {"type": "string"}}, ["setup", "punchline"]
    )
    text = "Tell me a joke. Return JSON with 'setup' and 'punchline' keys."
    calls = tool_calls(chat(emulator, messages=user(text), tools=[joke], tool_choice="required"))
    assert json.loads(calls[0]["function"]["arguments"]) == {
        "setup": "Why did the chicken cross the road?",
        "punchline": "To get to the other side!",
    }


# -- legacy text endpoints ------------------------------------------------------------------------


def test_text_completions(emulator: NanoGPTEmulator) -> None:
    data = call(
        emulator, "/api/v1/completions", {"model": "openai/gpt-4o-mini", "prompt": "Once upon a time", "max_tokens": 50}
    ).json()
    assert data["object"] == "text_completion"
    assert data["choices"] == [
        {"text": "Hello! You said: Once upon a time", "index": 0, "logprobs": None, "finish_reason": "stop"}
    ]
    assert set(data["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert "x_nanogpt_pricing" not in data
    reply = call(emulator, "/api/v1/completions", {"model": "openai/gpt-4o-mini", "prompt": "Once", "stream": True})
    stream = chunks(reply.text)
    assert "".join(c["choices"][0]["text"] for c in stream) == "Hello! You said: Once"
    assert stream[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in c and "x_nanogpt_pricing" not in c for c in stream)
    body = {"model": "openai/gpt-4o-mini", "prompt": "Once", "stream": True, "stream_options": {"include_usage": True}}
    assert "usage" in chunks(call(emulator, "/api/v1/completions", body).text)[-1]
    assert call(emulator, "/api/v1/completions", {"model": "openai/gpt-4o-mini"}).json()["error"]["param"] == "prompt"


def test_talk_to_gpt(emulator: NanoGPTEmulator) -> None:
    body = {"model": "openai/gpt-4o-mini", "prompt": "What is AI?", "messages": [{"role": "user", "content": "earlier"}]}
    reply = call(emulator, "/api/talk-to-gpt", body, key=None, headers={"x-api-key": KEY})
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain")
    answer, _, trailer = reply.text.partition("<NanoGPT>")
    assert answer == "Hello! You said: What is AI?"
    meta = json.loads(trailer.removesuffix("</NanoGPT>"))
    assert set(meta) == {"cost", "inputTokens", "outputTokens"}
    assert meta["outputTokens"] == math.ceil(len(answer) / 4)


# -- web search -----------------------------------------------------------------------------------


def web(emulator: NanoGPTEmulator, path: str = "/api/web", **body: Any) -> Reply:
    return call(emulator, path, body)


def test_web_search_results(emulator: NanoGPTEmulator) -> None:
    data = web(emulator, query="latest AI news").json()
    results = data["data"]
    assert len(results) == 10
    assert all(
        r["type"] == "text" and r["title"] and r["content"] and r["url"].startswith("https://")
        for r in results
    )
    assert len({r["url"].split("/")[2] for r in results}) == 10
    assert data["metadata"] == {
        "query": "latest AI news",
        "provider": "linkup",
        "operation": "search",
        "depth": "standard",
        "outputType": "searchResults",
        "timestamp": data["metadata"]["timestamp"],
        "cost": 0.006,
    }
    assert data["metadata"]["timestamp"].endswith("Z")
    assert web(emulator, query="latest AI news").json() == data  # stable for cassettes
    assert web(emulator, query="x", depth="deep").json()["metadata"]["cost"] == 0.06
    assert web(emulator, "/api/v1/data/web/search", query="latest AI news").json() == data


def test_web_search_filters_images_and_dates(emulator: NanoGPTEmulator) -> None:
    data = web(
        emulator,
        query="python",
        includeDomains=["docs.python.org", "https://www.realpython.com"],
        excludeDomains=["realpython.com"],
        includeImages=True,
        fromDate="2025-01-01",
        toDate="2025-01-31",
    ).json()["data"]
    texts = [r for r in data if r["type"] == "text"]
    images = [r for r in data if r["type"] == "image"]
    assert texts and all(r["url"].startswith("https://docs.python.org/") for r in texts)
    assert all("2025-01-01" <= r["date"] <= "2025-01-31" for r in texts)
    assert len(images) == 2 and all(r["imageUrl"] == r["url"] for r in images)


def test_web_search_other_providers_and_outputs(emulator: NanoGPTEmulator) -> None:
    data = web(emulator, query="rust", provider="tavily").json()
    keys = [("content" in r, "snippet" in r) for r in data["data"]]
    assert (True, False) in keys and (False, True) in keys
    assert data["metadata"]["cost"] == 0.008
    answer = web(emulator, query="rust", outputType="sourcedAnswer").json()["data"]
    assert answer["answer"] and {"name", "url", "snippet"} == set(answer["sources"][0])
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "year": {"type": "integer"}}}
    structured = web(
        emulator, query="rust 2015", outputType="structured", structuredOutputSchema=json.dumps(schema)
    )
    assert structured.json()["data"] == {"title": "rust", "year": 2015}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": ""},
        {"query": 5},
        {"query": "x", "provider": "openai-native"},
        {"query": "x", "provider": "exa", "outputType": "sourcedAnswer"},
        {"query": "x", "outputType": "structured"},
        {"query": "x", "outputType": "structured", "structuredOutputSchema": {"type": "object"}},
        {"query": "x", "outputType": "structured", "structuredOutputSchema": "{nope"},
        {"query": "x", "depth": "abyss"},
        {"query": "x", "fromDate": "yesterday"},
    ],
)
def test_web_search_validation(emulator: NanoGPTEmulator, body: dict[str, Any]) -> None:
    reply = web(emulator, **body)
    assert reply.status == 400
    assert isinstance(reply.json()["error"], str)  # simple legacy body on /api/web
    reply = web(emulator, "/api/v1/data/web/search", **body)
    assert reply.status == 400 and reply.json()["error"]["type"] == "invalid_request_error"


# -- models and embeddings ------------------------------------------------------------------------


def test_models_basic_and_detailed(emulator: NanoGPTEmulator) -> None:
    reply = call(emulator, "/api/v1/models", method="GET", key=None)
    assert reply.headers["cache-control"] == "s-maxage=300"
    basic = reply.json()
    assert basic["object"] == "list" and [m["id"] for m in basic["data"]] == emulator.models()
    assert 10 <= len(basic["data"]) <= 20
    assert all(set(m) == {"id", "object", "created", "owned_by"} for m in basic["data"])
    detailed = {
        m["id"]: m for m in call(emulator, "/api/v1/models?detailed=true", method="GET").json()["data"]
    }
    assert detailed["openai/gpt-4o-mini"]["capabilities"]["tool_calling"] is True
    assert "cacheReadInputPer1kTokens" not in detailed["openai/gpt-4o-mini"]["pricing"]
    claude = detailed["anthropic/claude-sonnet-4.5"]
    assert claude["capabilities"]["pdf_upload"] and claude["capabilities"]["reasoning"]
    assert (
        claude["pricing"]["cacheReadInputPer1kTokens"] and claude["pricing"]["unit"] == "per_million_tokens"
    )
    assert detailed["deepseek/deepseek-r1"]["capabilities"]["tool_calling"] is False
    assert any(m["context_length"] is None for m in detailed.values())
    assert {"TEE/llama-3.3-70b-instruct", "zai-org/glm-4.6:thinking", "google/gemini-2.5-flash"} <= set(
        detailed
    )
    assert "image" in detailed["google/gemini-2.5-flash"]["architecture"]["input_modalities"]
    assert emulator.last_request().query == {"detailed": "true"}


def test_embeddings(emulator: NanoGPTEmulator) -> None:
    data = call(
        emulator, "/api/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "bb"]}
    ).json()
    assert data["object"] == "list" and data["model"] == "text-embedding-3-small"
    assert [d["index"] for d in data["data"]] == [0, 1]
    vector = data["data"][0]["embedding"]
    assert len(vector) == 64 and math.isclose(sum(v * v for v in vector), 1.0, rel_tol=1e-9)
    assert data["data"][0]["embedding"] != data["data"][1]["embedding"]
    assert data["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    again = call(emulator, "/api/v1/embeddings", {"model": "text-embedding-3-small", "input": "a"}).json()
    assert again["data"][0]["embedding"] == vector
    small = call(emulator, "/api/v1/embeddings", {"model": "text-embedding-3-small", "input": "a", "dimensions": 8}).json()
    assert len(small["data"][0]["embedding"]) == 8
    encoded = call(
        emulator, "/api/v1/embeddings", {"model": "text-embedding-3-small", "input": "a", "encoding_format": "base64"}
    ).json()
    floats = struct.unpack("<64f", base64.b64decode(encoded["data"][0]["embedding"]))
    assert all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) for a, b in zip(floats, vector, strict=True))
    too_many = call(emulator, "/api/v1/embeddings", {"model": "text-embedding-3-small", "input": ["x"] * 2049})
    assert too_many.status == 400 and too_many.json()["error"]["param"] == "input"


# -- request log ----------------------------------------------------------------------------------


def test_request_log(emulator: NanoGPTEmulator) -> None:
    chat(emulator, messages=user("logged"))
    call(
        emulator,
        "/api/v1/models?detailed=true&sort=favorites",
        method="GET",
        headers={"X-Provider": "openai"},
    )
    call(emulator, "/api/v1/chat/completions", raw=b"{bad")
    requests = emulator.requests
    assert [r.path for r in requests] == [
        "/api/v1/chat/completions",
        "/api/v1/models",
        "/api/v1/chat/completions",
    ]
    first = requests[0]
    assert first.method == "POST"
    assert first.body["messages"] == user("logged")
    assert json.loads(first.raw_body) == first.body
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert requests[1].query == {"detailed": "true", "sort": "favorites"}
    assert requests[1].headers["x-provider"] == "openai"
    assert requests[2].body is None and requests[2].raw_body == b"{bad"
    assert (
        emulator.last_request("/chat/completions") is requests[-1]
        or emulator.last_request().raw_body == b"{bad"
    )
    assert emulator.last_request("/models").path == "/api/v1/models"
    requests.clear()  # a copy
    assert len(emulator.requests) == 3
    emulator.script(ChatReply(content="x"))
    emulator.inject(Fault.http_status(500))
    emulator.clear()
    assert emulator.requests == []
    assert message_of(chat(emulator))["content"] == "Hello! You said: Hello"
    with pytest.raises(LookupError):
        emulator.last_request("/embeddings")
