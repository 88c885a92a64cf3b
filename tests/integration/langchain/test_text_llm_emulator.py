"""The ``NanoGPT`` text-completion LLM against the emulator (``/api/v1/completions``)."""

from __future__ import annotations

from typing import Any

import pytest

from nanogpt_integrations.core import BadRequestError
from nanogpt_integrations.langchain import NanoGPT
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

MODEL = "openai/gpt-3.5-turbo-instruct"


def llm(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPT:
    return NanoGPT(**{"model": MODEL, "api_key": "test-key", "base_url": emulator.base_url, **kwargs})


def sent(emulator: NanoGPTEmulator) -> dict[str, Any]:
    body = emulator.last_request("/completions").body
    assert isinstance(body, dict)
    return body


def test_invoke_and_wire(emulator: NanoGPTEmulator) -> None:
    kimi = "moonshotai/kimi-k2-instruct"  # routing suffixes need a model with provider selection
    text = llm(
        emulator, model=kimi, temperature=0.3, max_tokens=40, routing="price", billing_mode="paygo"
    ).invoke("Once upon a time", stop=["never"])
    assert text == "Hello! You said: Once upon a time"
    assert sent(emulator) == {
        "model": f"{kimi}:price",
        "prompt": "Once upon a time",
        "temperature": 0.3,
        "max_tokens": 40,
        "stop": ["never"],
    }
    assert emulator.last_request("/completions").headers["x-billing-mode"] == "paygo"


def test_generation_info_has_usage(emulator: NanoGPTEmulator) -> None:
    result = llm(emulator).generate(["Hello there", "Bye"])
    infos = [g[0].generation_info for g in result.generations]
    assert [g[0].text for g in result.generations] == ["Hello! You said: Hello there", "Hello! You said: Bye"]
    for info in infos:
        assert info is not None
        assert info["usage"]["input_tokens"] > 0 and info["usage"]["output_tokens"] > 0
        assert info["model_name"] == MODEL
        assert info["finish_reason"] == "stop"


def test_stream(emulator: NanoGPTEmulator) -> None:
    chunks = list(llm(emulator).stream("Hello there, streaming"))
    assert "".join(chunks) == "Hello! You said: Hello there, streaming"
    assert sent(emulator)["stream_options"] == {"include_usage": True}


def test_streaming_generate_keeps_usage(emulator: NanoGPTEmulator) -> None:
    result = llm(emulator, streaming=True).generate(["Hello there"])
    generation = result.generations[0][0]
    assert generation.text == "Hello! You said: Hello there"
    assert generation.generation_info is not None
    assert generation.generation_info["usage"]["output_tokens"] > 0


async def test_async(emulator: NanoGPTEmulator) -> None:
    model = llm(emulator)
    assert await model.ainvoke("async hi") == "Hello! You said: async hi"
    assert "".join([c async for c in model.astream("async stream")]) == "Hello! You said: async stream"
    result = await llm(emulator, streaming=True).agenerate(["x"])
    assert result.generations[0][0].text == "Hello! You said: x"


def test_errors_surface(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(400, message="no such model"), path="/completions")
    with pytest.raises(BadRequestError):
        llm(emulator).invoke("x")


async def test_abatch_keeps_order(emulator: NanoGPTEmulator) -> None:
    results = await llm(emulator).abatch(["one", "two", "three"])
    assert results == ["Hello! You said: one", "Hello! You said: two", "Hello! You said: three"]
    assert len([r for r in emulator.requests if r.path.endswith("/completions")]) == 3
