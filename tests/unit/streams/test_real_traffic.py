"""Replays of real upstream traffic (OpenAI, DeepSeek, OpenRouter, Groq, Gemini, Cerebras, vLLM,
Together, Mistral) through the core and both adapters, checking what the user gets.

The recordings are third-party data kept outside the repository (``shared/real-traffic/``, see its
README); they are read in place, never copied here. The folder is looked up in
``$NANOGPT_REAL_TRAFFIC``, else as ``shared/real-traffic`` next to the repository or one of its
parent folders; without it every test here skips (a fresh clone has no such folder).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock

from nanogpt_integrations.core import AssistantTurn, StreamAccumulator, StreamError, turn_from_completion
from tests.unit.streams.conftest import Conn, HostileServer, chat_model, clients, llama_llm


def _traffic_dir() -> Path | None:
    configured = os.environ.get("NANOGPT_REAL_TRAFFIC")
    if configured:
        return Path(configured) if Path(configured).is_dir() else None
    root = Path(__file__).resolve().parents[3]
    for folder in (root, *root.parents):
        candidate = folder / "shared" / "real-traffic"
        if candidate.is_dir():
            return candidate
    return None


TRAFFIC = _traffic_dir()
FILES = sorted(TRAFFIC.glob("*.json")) if TRAFFIC else []
needs_traffic = pytest.mark.skipif(TRAFFIC is None, reason="shared/real-traffic is not available here")

# What each exchange must give: normalised usage (input, output, total, cache read, cache write,
# reasoning), tool calls (id, name, arguments; id None = a generated fallback), or the stream error
# (status, code, part of the message). Read off the recordings by hand.
EXPECTED: dict[str, dict[str, Any]] = {
    "cerebras-json-reasoning": {"usage": (79, 37, 116, 0, 0, 25)},
    "deepseek-json-parallel-tool-calls": {
        "usage": (875, 79, 954, 0, 0, 26),
        "calls": [
            ("call_00_6edlnw3Z1MgeMfey687g8451", "get_player_name", {}),
            ("call_01_km02sac7sHxNDPATKLZy7705", "roll_dice", {}),
        ],
    },
    "deepseek-json-reasoning-content": {"usage": (12, 789, 801, 0, 0, 415)},
    "deepseek-json-tool-call-reasoning-cached": {
        "usage": (563, 116, 679, 512, 0, 60),
        "calls": [("call_00_sXqYgMESDht75NCLLZtt9804", "load_capability", {"id": "DICE_ROLL"})],
    },
    "deepseek-stream-reasoning-content": {"usage": (6, 212, 218, 0, 0, 198)},
    "gemini-compat-json-tool-call-empty-id": {
        "usage": (35, 12, 109, 0, 0, 0),
        "calls": [(None, "get_current_time", {})],
    },
    "groq-stream-error-event": {"error": (400, "tool_use_failed", "Tool call validation failed")},
    "groq-stream-reasoning-tool-call": {
        "usage": (304, 49, 353, 0, 0, 23),
        "calls": [("fc_bfb39741-3748-4def-9886-a93fc9c64a90", "get_something_by_name", {"name": "example"})],
    },
    "mistral-magistral-stream-content-parts": {"usage": (10, 232, 242, 0, 0, 0)},
    "openai-json-cache-read": {"usage": (4020, 4, 4024, 4012, 0, 0)},
    "openai-json-cache-write": {"usage": (4020, 4, 4024, 0, 4012, 0)},
    "openai-json-tool-call-null-content": {
        "usage": (89, 36, 125, 0, 0, 0),
        "calls": [
            ("call_gmD2oUZUzSoCkmNmp3JPUF7R", "final_result", {"city": "Mexico City", "country": "Mexico"})
        ],
    },
    "openai-stream-auto-tool-call": {
        "usage": (53, 15, 68, 0, 0, 0),
        "calls": [("call_ZR5UUuTt3pf61kjwAJIYdVMj", "get_capital", {"country": "UK"})],
    },
    "openrouter-json-tool-call": {
        "usage": (134, 43, 177, 0, 0, 0),
        "calls": [("3sniiMddS", "divide", {"numerator": 123, "denominator": 456, "on_inf": "infinity"})],
    },
    "openrouter-stream-error-frame": {"error": (400, "400", "Token limit reached")},
    "openrouter-stream-reasoning": {"usage": (43, 36, 79, 0, 0, 13)},
    "together-r1-stream-think-in-content": {"usage": (10, 955, 965, 0, 0, 0)},
    "vllm-crusoe-stream": {"usage": (46, 14, 60, 0, 0, 0)},
}


class Exchange:
    """One recording: the response to serve, and what a plain reading of it says the user gets."""

    def __init__(self, path: Path) -> None:
        record = json.loads(path.read_text())
        self.name = path.stem
        response = record["response"]
        self.status: int = response["status"]
        self.content_type: str = response["headers"].get("content-type", "application/json")
        self.body: str = response["body"]
        self.streamed = "event-stream" in self.content_type
        self.expected = EXPECTED[self.name]
        self.content, self.reasoning, self.finish = self._read()

    def _read(self) -> tuple[str, str, str | None]:
        """Text, reasoning and finish reason, read straight from the recorded JSON."""
        if not self.streamed:
            choice = json.loads(self.body)["choices"][0]
            message = choice["message"]
            return (
                message.get("content") or "",
                message.get("reasoning") or message.get("reasoning_content") or "",
                choice["finish_reason"],
            )
        content, reasoning, finish = "", "", None
        for line in self.body.splitlines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            frame = json.loads(line[6:])
            if frame.get("error"):
                break  # nothing after an error frame reaches the user
            for choice in frame.get("choices", []):
                delta = choice.get("delta", {})
                parts = delta.get("content")
                if isinstance(parts, list):
                    for part in parts:
                        if part["type"] == "text":
                            content += part["text"]
                        elif part["type"] == "thinking":
                            reasoning += "".join(p["text"] for p in part["thinking"])
                elif parts:
                    content += parts
                reasoning += delta.get("reasoning") or delta.get("reasoning_content") or ""
                finish = choice.get("finish_reason") or finish
        return content, reasoning, finish

    def serve(self, conn: Conn) -> None:
        data = self.body.encode()
        if not self.streamed:
            conn.send(
                f"HTTP/1.1 {self.status} OK\r\nContent-Type: {self.content_type}\r\nX-Request-ID: req_replay\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )
            return
        conn.sse_head(self.status, self.content_type)
        for i in range(0, len(data), 1500):  # network-sized writes, frames split anywhere
            if not conn.send(data[i : i + 1500]):
                return


EXCHANGES = [pytest.param(path, id=path.stem) for path in FILES] or [
    pytest.param(None, id="no-real-traffic", marks=needs_traffic)
]


@pytest.fixture
def exchange(request: pytest.FixtureRequest, hostile: Any) -> tuple[Exchange, HostileServer]:
    path: Path | None = request.param
    if path is None:
        pytest.skip("shared/real-traffic is not available here")
    recorded = Exchange(path)
    return recorded, hostile(recorded.serve)


REPLAYS = pytest.mark.parametrize("exchange", EXCHANGES, indirect=True)
PAYLOAD = {"model": "replay/model", "messages": [{"role": "user", "content": "hi"}]}


def _check_calls(ex: Exchange, got: list[tuple[str | None, str, Any]]) -> None:
    want = ex.expected.get("calls", [])
    assert [(name, args) for _, name, args in got] == [(name, args) for _, name, args in want]
    for (got_id, _, _), (want_id, _, _) in zip(got, want, strict=True):
        assert got_id and (want_id is None or got_id == want_id)


def _check_error(ex: Exchange, error: BaseException | None) -> None:
    status, code, text = ex.expected["error"]
    assert isinstance(error, StreamError), error
    assert (error.status, error.code) == (status, code)
    assert text in error.message


# -- the core --------------------------------------------------------------------------------------


def core_turn(
    ex: Exchange, server: HostileServer, asynchronous: bool
) -> tuple[AssistantTurn, BaseException | None]:
    sync_client, async_client = clients(server)
    if not ex.streamed:
        if asynchronous:
            return turn_from_completion(asyncio.run(async_client.chat(PAYLOAD))), None
        return turn_from_completion(sync_client.chat(PAYLOAD)), None
    accumulator = StreamAccumulator()
    try:
        if asynchronous:

            async def go() -> None:
                async for item in await async_client.stream_chat(PAYLOAD):
                    accumulator.add(item)

            asyncio.run(go())
        else:
            for item in sync_client.stream_chat(PAYLOAD):
                accumulator.add(item)
    except StreamError as exc:
        return accumulator.result(), exc
    return accumulator.result(), None


@needs_traffic
@REPLAYS
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_core(exchange: tuple[Exchange, HostileServer], asynchronous: bool) -> None:
    ex, server = exchange
    turn, error = core_turn(ex, server, asynchronous)
    assert (turn.content, turn.reasoning) == (ex.content, ex.reasoning)
    if "error" in ex.expected:
        _check_error(ex, error)
        return
    assert error is None
    assert turn.finish_reason == ex.finish
    usage = turn.usage
    assert usage is not None and turn.usage_source is None
    assert (
        usage.input_tokens,
        usage.output_tokens,
        usage.total_tokens,
        usage.cache_read_tokens,
        usage.cache_creation_tokens,
        usage.reasoning_tokens,
    ) == ex.expected["usage"]
    _check_calls(ex, [(c.id, c.name, json.loads(c.arguments)) for c in turn.tool_calls])
    assert all(c.error is None for c in turn.tool_calls)


# -- LangChain -------------------------------------------------------------------------------------


@needs_traffic
@REPLAYS
def test_langchain(exchange: tuple[Exchange, HostileServer]) -> None:
    ex, server = exchange
    model = chat_model(server)
    error: BaseException | None = None
    if ex.streamed:
        message: Any = None
        try:
            for piece in model.stream("hi"):
                message = piece if message is None else message + piece
        except StreamError as exc:
            error = exc
    else:
        message = model.invoke("hi")
    assert (message.content, message.additional_kwargs.get("reasoning_content", "")) == (
        ex.content,
        ex.reasoning,
    )
    if "error" in ex.expected:
        _check_error(ex, error)
        return
    assert message.response_metadata["finish_reason"] == ex.finish
    usage = message.usage_metadata
    assert (
        usage["input_tokens"],
        usage["output_tokens"],
        usage["total_tokens"],
        usage["input_token_details"]["cache_read"],
        usage["input_token_details"]["cache_creation"],
        usage["output_token_details"]["reasoning"],
    ) == ex.expected["usage"]
    _check_calls(ex, [(c["id"], c["name"], c["args"]) for c in message.tool_calls])
    assert message.invalid_tool_calls == []


# -- LlamaIndex ------------------------------------------------------------------------------------


@needs_traffic
@REPLAYS
def test_llama_index(exchange: tuple[Exchange, HostileServer]) -> None:
    ex, server = exchange
    llm = llama_llm(server)
    user = [ChatMessage(role="user", content="hi")]
    error: BaseException | None = None
    response: Any = None
    if ex.streamed:
        try:
            for piece in llm.stream_chat(user):
                response = piece  # each response is cumulative: the last one is the whole reply
        except StreamError as exc:
            error = exc
    else:
        response = llm.chat(user)
    thinking = [b.content for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert (response.message.content or "", "".join(t or "" for t in thinking)) == (ex.content, ex.reasoning)
    if "error" in ex.expected:
        _check_error(ex, error)
        return
    kwargs = response.additional_kwargs
    assert kwargs["finish_reason"] == ex.finish
    assert (
        kwargs["prompt_tokens"],
        kwargs["completion_tokens"],
        kwargs["total_tokens"],
        kwargs["cached_tokens"],
        kwargs["cache_creation_tokens"],
        kwargs["reasoning_tokens"],
    ) == ex.expected["usage"]
    selections = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    _check_calls(ex, [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections])


def test_every_recording_has_an_expectation() -> None:
    if TRAFFIC is None:
        pytest.skip("shared/real-traffic is not available here")
    assert {path.stem for path in FILES} == set(EXPECTED)
