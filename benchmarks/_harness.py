"""Benchmark plumbing: an emulator in its own process, interleaved timing rounds, result tables.

The emulator runs in a separate process so that its CPU time does not compete for the GIL with the
client code being measured. Every comparison runs the contenders in the same process, interleaved
round by round, and reports the median per-operation time and the ratio to the raw-httpx baseline.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = [
    "FINE_REPEATS",
    "EmulatorProcess",
    "Result",
    "Table",
    "gather_times",
    "import_times",
    "interleaved",
    "median_time",
    "median_time_async",
    "python_in_subprocess",
]


_SCRIPTED = """
import threading
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator
emulator = NanoGPTEmulator().start()
emulator.script(*[ChatReply(content="abcdefgh" * {chunks}, chunk_size=8)] * {replies})
print(emulator.base_url, flush=True)
threading.Event().wait()
"""


class EmulatorProcess:
    """The emulator on an ephemeral port, in a child process.

    ``stream_chunks`` scripts every chat reply to stream that many 8-character content deltas
    (the default brain's answers are short).
    """

    def __init__(self, stream_chunks: int | None = None, replies: int = 2000) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        if stream_chunks is None:
            self.argv = [sys.executable, "-m", "nanogpt_integrations.testing", "--port", "0"]
        else:
            code = _SCRIPTED.format(chunks=stream_chunks, replies=replies)
            self.argv = [sys.executable, "-c", code]

    def __enter__(self) -> EmulatorProcess:
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            for word in line.split():
                if word.startswith("http://") and "/api/v1" in word:
                    self.base_url = word.rstrip("/.,")
                    return self
        self.__exit__()
        raise RuntimeError("the emulator did not print its base URL")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def median_time(fn: Callable[[], object], *, number: int, rounds: int) -> float:
    """Median seconds per call of ``fn`` over ``rounds`` rounds of ``number`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def median_time_async(fn: Callable[[], Awaitable[object]], *, number: int, rounds: int) -> float:
    """Like :func:`median_time` for a coroutine function, in one event loop."""

    async def run() -> float:
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(number):
                await fn()
            samples.append((time.perf_counter() - start) / number)
        return statistics.median(samples)

    return asyncio.run(run())


#: Per-call suites alternate contenders one round at a time, this many turns each, and keep each
#: contender's fastest round. This machine (2 cores shared with the emulator process) drifts between
#: a faster and a slower state; whole blocks of rounds per turn let one contender's best block come
#: from a fast stretch the others never saw (one build read 0.99x, 1.15x and 1.29x that way).
FINE_REPEATS = 40


def interleaved(contenders: dict[str, Callable[[], float]], repeats: int = 3) -> dict[str, float]:
    """Run each contender's measurement ``repeats`` times, interleaved; keep each one's best median.

    Interleaving cancels slow drifts of the machine (thermal, other processes) between contenders.
    """
    best: dict[str, float] = {}
    for _ in range(repeats):
        for name, measure in contenders.items():
            value = measure()
            best[name] = min(best.get(name, value), value)
    return best


def python_in_subprocess(code: str, *, env: dict[str, str] | None = None, python: str | None = None) -> str:
    """Run ``code`` in a fresh interpreter and return its stdout (for import time and peak RSS)."""
    out = subprocess.run(
        [python or sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return out.stdout.strip()


def gather_times(
    contenders: dict[str, Callable[[], Awaitable[object]]], *, concurrency: int, rounds: int
) -> dict[str, float]:
    """Best-round seconds for ``concurrency`` calls of each contender under one ``asyncio.gather``.

    One event loop; every contender runs one warm-up batch (connection pools), then the rounds
    alternate between contenders. The fastest round is kept (as ``timeit`` advises): bursts of new
    connections occasionally stall a round by a second or more, whichever contender it hits, and
    with few rounds such stalls move even the median.
    """

    async def run() -> dict[str, float]:
        for fn in contenders.values():
            await asyncio.gather(*(fn() for _ in range(concurrency)))
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, fn in contenders.items():
                start = time.perf_counter()
                await asyncio.gather(*(fn() for _ in range(concurrency)))
                samples[name].append(time.perf_counter() - start)
        return {name: min(values) for name, values in samples.items()}

    return asyncio.run(run())


_IMPORT = "{setup}\nimport time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def import_times(statements: dict[str, str | tuple[str, str]], runs: int = 9) -> dict[str, float]:
    """Median seconds to run each import statement in a fresh interpreter, runs interleaved.

    A statement may be a ``(setup, stmt)`` pair: ``setup`` runs first, untimed (e.g. to time what
    an import adds once its framework is loaded).
    """
    samples: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, spec in statements.items():
            setup, stmt = spec if isinstance(spec, tuple) else ("", spec)
            samples[name].append(float(python_in_subprocess(_IMPORT.format(setup=setup, stmt=stmt))))
    return {name: statistics.median(values) for name, values in samples.items()}


@dataclass
class Result:
    group: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


@dataclass
class Table:
    rows: list[Result] = field(default_factory=list)

    def add(self, row: Result) -> None:
        self.rows.append(row)
        print(f"  {row.group:<28} {row.name:<34} {_fmt(row.value, row.unit):>12}", flush=True)

    def render(self) -> str:
        lines = [
            "| benchmark | contender | per op | ratio to raw httpx | target |",
            "|---|---|---|---|---|",
        ]
        for row in self.rows:
            ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
            lines.append(
                f"| {row.group} | {row.name} | {_fmt(row.value, row.unit)} | {ratio} | {row.target} |"
            )
        return "\n".join(lines)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value >= 1e-3:
            return f"{value * 1e3:.2f} ms"
        return f"{value * 1e6:.1f} µs"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:.3g} {unit}"
