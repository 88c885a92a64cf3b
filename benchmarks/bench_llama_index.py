"""NanoGPTLLM against OpenAILike(api_base=emulator) and raw httpx, all talking to the emulator (issue 4).

Both LLMs are given ``context_window`` and ``is_function_calling_model`` explicitly, so that no
catalogue request (``GET /models``) is made and only the chat calls are timed. Both run through
LlamaIndex's ``llm_chat_callback`` machinery (instrumentation events, callback manager).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ._harness import FINE_REPEATS, EmulatorProcess, Result, Table, import_times, interleaved, median_time

KEY = "bench-key"
MODEL = "openai/gpt-4o-mini"
PROMPT = "Say hi"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "Accept": "application/json"}
BODY = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "include_usage": True}
STREAM_BODY = {"model": MODEL, "messages": BODY["messages"], "stream": True, "stream_options": {"include_usage": True}}
STREAM_CHUNKS = 1000


def llms(base_url: str) -> tuple[Any, Any, list[Any]]:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    from nanogpt_integrations.llama_index import NanoGPTLLM

    fixed = {"context_window": 128_000, "is_function_calling_model": True}
    ours = NanoGPTLLM(model=MODEL, api_key=KEY, api_base=base_url, **fixed)
    theirs = OpenAILike(model=MODEL, api_base=base_url, api_key=KEY, is_chat_model=True, **fixed)
    return ours, theirs, [ChatMessage(role="user", content=PROMPT)]


def bench_chat(base_url: str, table: Table, number: int = 50) -> None:
    ours, theirs, messages = llms(base_url)
    raw = httpx.Client()
    url = f"{base_url}/chat/completions"
    body = json.dumps(BODY).encode()

    def raw_call() -> object:
        return raw.post(url, content=body, headers=HEADERS).json()

    assert ours.chat(messages).message.content and theirs.chat(messages).message.content and raw_call()
    best = interleaved(
        {
            "raw": lambda: median_time(raw_call, number=number, rounds=1),
            "ours": lambda: median_time(lambda: ours.chat(messages), number=number, rounds=1),
            "openai": lambda: median_time(lambda: theirs.chat(messages), number=number, rounds=1),
        },
        repeats=FINE_REPEATS,
    )
    group = "LlamaIndex chat"
    table.add(Result(group, "raw httpx post + json()", best["raw"], "s", best["raw"]))
    table.add(Result(group, "NanoGPTLLM.chat", best["ours"], "s", best["raw"], "≤ 1.5x"))
    table.add(Result(group, "OpenAILike(api_base).chat", best["openai"], "s", best["raw"], "(~3.9x)"))
    raw.close()


def bench_stream(base_url: str, table: Table, number: int = 2) -> None:
    """Against an emulator scripted to stream 1000 content chunks per reply; time per content chunk."""
    ours, theirs, messages = llms(base_url)
    raw = httpx.Client()
    url = f"{base_url}/chat/completions"
    body = json.dumps(STREAM_BODY).encode()

    def raw_stream() -> int:
        count = 0
        with raw.stream("POST", url, content=body, headers=HEADERS) as response:
            for line in response.iter_lines():
                data = line.startswith("data: ") and line != "data: [DONE]"
                if data and json.loads(line[6:])["choices"]:
                    count += 1
        return count

    def li_stream(llm: Any) -> int:
        return sum(1 for response in llm.stream_chat(messages) if response.delta)

    chunks = li_stream(ours)
    assert chunks == li_stream(theirs) == STREAM_CHUNKS, (chunks, li_stream(theirs))
    best = interleaved(
        {
            "raw": lambda: median_time(raw_stream, number=number, rounds=5) / chunks,
            "ours": lambda: median_time(lambda: li_stream(ours), number=number, rounds=5) / chunks,
            "openai": lambda: median_time(lambda: li_stream(theirs), number=number, rounds=3) / chunks,
        },
        repeats=3,
    )
    group = f"LlamaIndex stream_chat, per chunk ({chunks})"
    table.add(Result(group, "raw httpx iter_lines + json.loads", best["raw"], "s", best["raw"]))
    table.add(Result(group, "NanoGPTLLM.stream_chat", best["ours"], "s", best["raw"], "≤ 2.2x"))
    table.add(Result(group, "OpenAILike(api_base).stream_chat", best["openai"], "s", best["raw"], "(~9.6x)"))
    raw.close()


def bench_import(table: Table) -> None:
    times = import_times(
        {
            "base": "import llama_index.core.llms",
            "ours": "from nanogpt_integrations.llama_index import NanoGPTLLM",
            "added": (
                "import llama_index.core.llms",
                "from nanogpt_integrations.llama_index import NanoGPTLLM",
            ),
        },
        runs=11,
    )
    base, ours = times["base"], times["ours"]
    group = "LlamaIndex import (fresh interpreter)"
    table.add(Result(group, "import llama_index.core.llms", base, "s", base))
    table.add(
        Result(
            group,
            "from nanogpt_integrations.llama_index import NanoGPTLLM",
            ours,
            "s",
            base,
            f"≤ +50 ms ({(ours - base) * 1e3:+.0f} ms)",
        )
    )
    table.add(Result(group, "NanoGPTLLM import once llama_index.core.llms is loaded", times["added"], "s"))


def run(table: Table) -> None:
    with EmulatorProcess() as emulator:
        bench_chat(emulator.base_url, table)
    with EmulatorProcess(stream_chunks=STREAM_CHUNKS, replies=200) as emulator:
        bench_stream(emulator.base_url, table)
    bench_import(table)
