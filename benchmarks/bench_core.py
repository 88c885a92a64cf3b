"""The core client against raw httpx, both talking to the emulator (issue 2's benchmark)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

from nanogpt_integrations.core import AsyncNanoGPTClient, NanoGPTClient, StreamAccumulator

from ._harness import (
    FINE_REPEATS,
    EmulatorProcess,
    Result,
    Table,
    gather_times,
    interleaved,
    median_time,
    python_in_subprocess,
)

KEY = "bench-key"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "Accept": "application/json"}
STREAM_CHUNKS = 1000
SMALL = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}], "include_usage": True}


def count_chunks(base_url: str, payload: dict[str, object]) -> int:
    with NanoGPTClient(api_key=KEY, base_url=base_url) as client:
        return sum(1 for _ in client.stream_chat(payload))


def bench_non_stream(base_url: str, table: Table, number: int = 300) -> None:
    raw = httpx.Client()
    ours = NanoGPTClient(api_key=KEY, base_url=base_url)
    url = f"{base_url}/chat/completions"
    body = json.dumps(SMALL).encode()

    def raw_call() -> object:
        return raw.post(url, content=body, headers=HEADERS).json()

    def our_call() -> object:
        return ours.chat(SMALL)

    best = interleaved(
        {
            "raw": lambda: median_time(raw_call, number=number, rounds=1),
            "core": lambda: median_time(our_call, number=number, rounds=1),
        },
        repeats=FINE_REPEATS,
    )
    table.add(Result("non-stream call", "raw httpx post + json()", best["raw"], "s", best["raw"]))
    table.add(Result("non-stream call", "NanoGPTClient.chat", best["core"], "s", best["raw"], "≤ 1.1x"))
    raw.close()
    ours.close()


def bench_stream(base_url: str, table: Table, number: int = 5) -> None:
    """Against an emulator scripted to stream 1000 content chunks per reply."""
    payload = SMALL
    actual = count_chunks(base_url, payload)
    raw = httpx.Client()
    ours = NanoGPTClient(api_key=KEY, base_url=base_url)
    url = f"{base_url}/chat/completions"
    stream_payload = {k: v for k, v in payload.items() if k != "include_usage"}
    body = json.dumps({**stream_payload, "stream": True, "stream_options": {"include_usage": True}}).encode()

    def raw_stream() -> object:
        last = None
        with raw.stream("POST", url, content=body, headers=HEADERS) as response:
            for line in response.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    last = json.loads(line[6:])
        return last

    def core_stream() -> object:
        last = None
        for chunk in ours.stream_chat(payload):
            last = chunk
        return last

    def core_stream_accumulated() -> object:
        acc = StreamAccumulator()
        for chunk in ours.stream_chat(payload):
            acc.add(chunk)
        return acc.result()

    best = interleaved(
        {
            "raw": lambda: median_time(raw_stream, number=number, rounds=5) / actual,
            "core": lambda: median_time(core_stream, number=number, rounds=5) / actual,
            "acc": lambda: median_time(core_stream_accumulated, number=number, rounds=5) / actual,
        }
    )
    group = f"stream, per chunk ({actual} chunks)"
    table.add(Result(group, "raw httpx iter_lines + json.loads", best["raw"], "s", best["raw"]))
    table.add(Result(group, "NanoGPTClient.stream_chat (typed)", best["core"], "s", best["raw"], "≤ 1.3x"))
    table.add(Result(group, "stream_chat + StreamAccumulator", best["acc"], "s", best["raw"]))
    raw.close()
    ours.close()


def bench_concurrent(base_url: str, table: Table, concurrency: int = 200, rounds: int = 9) -> None:
    """``concurrency`` calls under one gather, rounds alternating, fastest kept (see ``gather_times``)."""
    url = f"{base_url}/chat/completions"
    body = json.dumps(SMALL).encode()
    raw = httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=50))
    ours = AsyncNanoGPTClient(api_key=KEY, base_url=base_url)

    async def raw_call() -> object:
        response = await raw.post(url, content=body, headers=HEADERS)
        return response.json()

    result = gather_times(
        {"raw": raw_call, "core": lambda: ours.chat(SMALL)}, concurrency=concurrency, rounds=rounds
    )
    group = f"{concurrency} concurrent async calls"
    table.add(Result(group, "raw httpx.AsyncClient gather", result["raw"], "s", result["raw"]))
    table.add(Result(group, "AsyncNanoGPTClient.chat gather", result["core"], "s", result["raw"], "≤ 1.2x"))


_IMPORT = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
RUNTIME_VENV = Path(__file__).resolve().parent.parent / ".bench" / "runtime-venv"


def runtime_python() -> str:
    """A venv with only the runtime dependencies (httpx, pydantic): what a user of the core has.

    The dev venv also holds rich and click, which ``import httpx`` pulls in for its CLI when they
    are installed, adding ~30 ms to every contender; the runtime venv measures what users pay.
    """
    python = RUNTIME_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(RUNTIME_VENV)], check=True)
        root = Path(__file__).resolve().parent.parent
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(root)], check=True)
    return str(python)


def import_time(stmt: str, runs: int = 9, python: str | None = None) -> float:
    code = _IMPORT.format(stmt=stmt)
    return statistics.median(float(python_in_subprocess(code, python=python)) for _ in range(runs))


def bench_import(table: Table) -> None:
    python = runtime_python()
    raw = import_time("import httpx, pydantic", python=python)
    table.add(Result("import time (runtime venv)", "import httpx, pydantic", raw, "s", raw))
    core = import_time("import nanogpt_integrations.core", python=python)
    table.add(
        Result("import time (runtime venv)", "import nanogpt_integrations.core", core, "s", raw, "≤ 150 ms")
    )
    client = import_time("from nanogpt_integrations.core import NanoGPTClient", python=python)
    table.add(Result("import time (runtime venv)", "from ...core import NanoGPTClient", client, "s", raw))


_RSS = """
import resource, json, sys
{setup}
for _ in range(1000):
    {call}
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def bench_rss(base_url: str, table: Table) -> None:
    raw_setup = (
        "import httpx\n"
        f"c = httpx.Client(); url = {base_url + '/chat/completions'!r}\n"
        f"body = {json.dumps(SMALL)!r}.encode(); h = {HEADERS!r}"
    )
    raw = float(
        python_in_subprocess(_RSS.format(setup=raw_setup, call="c.post(url, content=body, headers=h).json()"))
    )
    core_setup = (
        "from nanogpt_integrations.core import NanoGPTClient\n"
        f"c = NanoGPTClient(api_key={KEY!r}, base_url={base_url!r}); p = {SMALL!r}"
    )
    core = float(python_in_subprocess(_RSS.format(setup=core_setup, call="c.chat(p)")))
    table.add(Result("peak RSS, 1000 calls", "raw httpx", raw, "MiB", raw))
    table.add(Result("peak RSS, 1000 calls", "NanoGPTClient", core, "MiB", raw))


def run(table: Table) -> None:
    with EmulatorProcess() as emulator:
        bench_non_stream(emulator.base_url, table)
        bench_concurrent(emulator.base_url, table)
        bench_rss(emulator.base_url, table)
    with EmulatorProcess(stream_chunks=STREAM_CHUNKS) as emulator:
        bench_stream(emulator.base_url, table)
    bench_import(table)
