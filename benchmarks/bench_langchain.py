"""ChatNanoGPT against ChatOpenAI(base_url=emulator) and raw httpx, all talking to the emulator (issue 3).

Every contender sends the same one-message chat request to the same emulator process. Raw httpx is
the floor: a pooled client posting pre-encoded JSON and decoding the reply (``json()``), or, for
streams, ``iter_lines`` + ``json.loads`` per SSE line. ``ChatNanoGPT`` and ``ChatOpenAI`` run
through LangChain's full ``invoke`` / ``stream`` / ``ainvoke`` machinery (callbacks, run managers,
message conversion), which is what a user pays for.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ._harness import (
    FINE_REPEATS,
    EmulatorProcess,
    Result,
    Table,
    gather_times,
    import_times,
    interleaved,
    median_time,
)

KEY = "bench-key"
MODEL = "openai/gpt-4o-mini"
PROMPT = "Say hi"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "Accept": "application/json"}
BODY = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "include_usage": True}
STREAM_BODY = {"model": MODEL, "messages": BODY["messages"], "stream": True, "stream_options": {"include_usage": True}}
STREAM_CHUNKS = 1000
CONCURRENCY = 200
READY = (
    "from nanogpt_integrations.langchain import ChatNanoGPT; "
    "ChatNanoGPT(model='m', api_key='k')._sync_client()"
)


def models(base_url: str) -> tuple[Any, Any]:
    from langchain_openai import ChatOpenAI

    from nanogpt_integrations.langchain import ChatNanoGPT

    ours = ChatNanoGPT(model=MODEL, api_key=KEY, base_url=base_url)
    theirs = ChatOpenAI(model=MODEL, base_url=base_url, api_key=KEY)  # type: ignore[arg-type]
    return ours, theirs


def bench_invoke(base_url: str, table: Table, number: int = 50) -> None:
    ours, theirs = models(base_url)
    raw = httpx.Client()
    url = f"{base_url}/chat/completions"
    body = json.dumps(BODY).encode()

    def raw_call() -> object:
        return raw.post(url, content=body, headers=HEADERS).json()

    assert ours.invoke(PROMPT).content and theirs.invoke(PROMPT).content and raw_call()
    best = interleaved(
        {
            "raw": lambda: median_time(raw_call, number=number, rounds=1),
            "ours": lambda: median_time(lambda: ours.invoke(PROMPT), number=number, rounds=1),
            "openai": lambda: median_time(lambda: theirs.invoke(PROMPT), number=number, rounds=1),
        },
        repeats=FINE_REPEATS,
    )
    group = "LangChain invoke"
    table.add(Result(group, "raw httpx post + json()", best["raw"], "s", best["raw"]))
    table.add(Result(group, "ChatNanoGPT.invoke", best["ours"], "s", best["raw"], "≤ 1.4x"))
    table.add(Result(group, "ChatOpenAI(base_url).invoke", best["openai"], "s", best["raw"], "(~3.9x)"))
    raw.close()


def bench_stream(base_url: str, table: Table, number: int = 2) -> None:
    """Against an emulator scripted to stream 1000 content chunks per reply; time per content chunk."""
    ours, theirs = models(base_url)
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

    def lc_stream(llm: Any) -> int:
        return sum(1 for chunk in llm.stream(PROMPT) if chunk.content)

    chunks = lc_stream(ours)
    assert chunks == lc_stream(theirs) == STREAM_CHUNKS, (chunks, lc_stream(theirs))
    best = interleaved(
        {
            "raw": lambda: median_time(raw_stream, number=number, rounds=5) / chunks,
            "ours": lambda: median_time(lambda: lc_stream(ours), number=number, rounds=5) / chunks,
            "openai": lambda: median_time(lambda: lc_stream(theirs), number=number, rounds=3) / chunks,
        },
        repeats=3,
    )
    group = f"LangChain stream, per chunk ({chunks})"
    table.add(Result(group, "raw httpx iter_lines + json.loads", best["raw"], "s", best["raw"]))
    table.add(Result(group, "ChatNanoGPT.stream", best["ours"], "s", best["raw"], "≤ 2.0x"))
    table.add(Result(group, "ChatOpenAI(base_url).stream", best["openai"], "s", best["raw"], "(~9.3x)"))
    raw.close()


def bench_concurrent(base_url: str, table: Table, rounds: int = 9) -> None:
    ours, theirs = models(base_url)
    raw = httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=50))
    url = f"{base_url}/chat/completions"
    body = json.dumps(BODY).encode()

    async def raw_call() -> object:
        response = await raw.post(url, content=body, headers=HEADERS)
        return response.json()

    best = gather_times(
        {
            "raw": raw_call,
            "ours": lambda: ours.ainvoke(PROMPT),
            "openai": lambda: theirs.ainvoke(PROMPT),
        },
        concurrency=CONCURRENCY,
        rounds=rounds,
    )
    group = f"LangChain {CONCURRENCY} concurrent ainvoke"
    table.add(Result(group, "raw httpx.AsyncClient gather", best["raw"], "s", best["raw"]))
    table.add(Result(group, "ChatNanoGPT.ainvoke gather", best["ours"], "s", best["raw"], "≤ 1.3x"))
    table.add(Result(group, "ChatOpenAI(base_url).ainvoke gather", best["openai"], "s", best["raw"]))


def bench_import(table: Table) -> None:
    """Fresh interpreters, runs interleaved. ``langchain_core.language_models`` loads its classes
    lazily, so importing the package alone does not import ``BaseChatModel`` (and with it
    LangSmith's tracers, about 0.4 s), which any chat model class must subclass. The floor is a
    module importing ``BaseChatModel`` (``benchmarks/_import_floor.py``), imported the way ours is;
    the same statement run by ``python -c`` is shown too. The core client (and httpx) load on the
    first request, not on import; a row adds that cost, so nothing deferred goes unmeasured."""
    times = import_times(
        {
            "base": "import langchain_core.language_models",
            "direct": "from langchain_core.language_models import BaseChatModel",
            "floor": "import benchmarks._import_floor",
            "ours": "from nanogpt_integrations.langchain import ChatNanoGPT",
            "ready": READY,
            "added": (
                "import benchmarks._import_floor",
                "from nanogpt_integrations.langchain import ChatNanoGPT",
            ),
        },
        runs=11,
    )
    base, floor, ours = times["base"], times["floor"], times["ours"]
    group = "LangChain import (fresh interpreter)"
    table.add(Result(group, "import langchain_core.language_models", base, "s", base))
    table.add(Result(group, "python -c: from ... import BaseChatModel", times["direct"], "s", base))
    table.add(Result(group, "a module importing BaseChatModel (floor)", floor, "s", base))
    delta = f"{(ours - base) * 1e3:+.0f} ms; {(ours - floor) * 1e3:+.0f} ms over the floor"
    table.add(
        Result(
            group,
            "from nanogpt_integrations.langchain import ChatNanoGPT",
            ours,
            "s",
            base,
            f"≤ +50 ms ({delta})",
        )
    )
    table.add(Result(group, "… + client built (loads httpx; no request)", times["ready"], "s", base))
    table.add(Result(group, "ChatNanoGPT import once BaseChatModel is loaded", times["added"], "s"))


def run(table: Table) -> None:
    with EmulatorProcess() as emulator:
        bench_invoke(emulator.base_url, table)
        bench_concurrent(emulator.base_url, table)
    with EmulatorProcess(stream_chunks=STREAM_CHUNKS, replies=200) as emulator:
        bench_stream(emulator.base_url, table)
    bench_import(table)
