"""The demo (``python -m nanogpt_integrations.demo``) end to end, in a subprocess like a user runs it."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nanogpt_integrations.demo._progress import Spinner
from nanogpt_integrations.demo._report import StepUsage, render_table
from nanogpt_integrations.testing import NanoGPTEmulator

ROOT = Path(__file__).resolve().parents[2]


def run_demo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the demo with a clean NanoGPT environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NANOGPT_")}
    return subprocess.run(
        [sys.executable, "-m", "nanogpt_integrations.demo", *args],
        env={**base, "PYTHONIOENCODING": "utf-8", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=100,
    )


def table_row(stdout: str, step: str) -> list[str]:
    """The cells of the summary-table row for ``step`` (split on runs of 2+ spaces)."""
    for line in stdout.splitlines():
        if line.startswith(step + "  "):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"no summary row for {step!r} in:\n{stdout}")


@pytest.fixture(scope="module")
def offline_run() -> subprocess.CompletedProcess[str]:
    return run_demo()


def test_offline_run_succeeds_and_says_so(offline_run: subprocess.CompletedProcess[str]) -> None:
    assert offline_run.returncode == 0, offline_run.stderr
    out = offline_run.stdout
    assert "OFFLINE" in out.splitlines()[1]
    assert "http://127.0.0.1:" in out
    assert "Traceback" not in offline_run.stderr
    for number in range(1, 7):
        assert f"[{number}/6]" in out


def test_offline_run_shows_each_feature(offline_run: subprocess.CompletedProcess[str]) -> None:
    out = offline_run.stdout
    assert "model called  get_weather({'city': 'Paris'})" in out
    assert "tool returned 'sunny, 21 °C in Paris'" in out
    assert "year=2016," in out
    assert "call 2: 0 tokens written to the cache" in out
    assert re.search(r"\[1\] .+ - https://\S+/1$", out, re.MULTILINE), "a cited web source"
    assert "[1]" in out.split("[6/6]")[1].split("sources:")[0], "the answer cites [1]"
    assert "retrieved:" in out


def test_offline_summary_table(offline_run: subprocess.CompletedProcess[str]) -> None:
    out = offline_run.stdout
    assert "Summary (simulated by the emulator)" in out
    assert re.search(
        r"^Step\s+Framework\s+Calls\s+Input tok\s+Cached\s+Output tok\s+Cost \(USD\)$", out, re.M
    )
    caching = table_row(out, "Prompt caching")
    assert caching[1] == "LangChain"
    assert int(caching[4].replace(",", "")) > 1000, "the second call read the cached prefix"
    assert table_row(out, "Query engine")[1] == "LlamaIndex"
    rag = table_row(out, "Web-search RAG")
    assert rag[2] == "1 +1 search"
    assert float(rag[-1]) > 0.006, "chat cost plus the $0.006 Linkup search"
    total = table_row(out, "Total")
    steps = ["Streaming chain", "Tool call", "Structured output", "Prompt caching", "Query engine", rag[0]]
    assert float(total[-1]) == pytest.approx(sum(float(table_row(out, s)[-1]) for s in steps), abs=1e-5)
    assert "nothing was spent" in out


def test_readme_shows_the_current_offline_table(offline_run: subprocess.CompletedProcess[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"```text\n(Step .*?)```", readme, re.DOTALL)
    assert table is not None
    assert table.group(1) in offline_run.stdout


def test_offline_flag_wins_over_a_key() -> None:
    secret = "sk-nano-this-must-never-be-printed"
    result = run_demo("--offline", NANOGPT_API_KEY=secret, NANOGPT_BASE_URL="http://127.0.0.1:9/api/v1")
    assert result.returncode == 0, result.stderr
    assert "OFFLINE" in result.stdout
    assert secret not in result.stdout + result.stderr


def test_rejected_key_is_one_readable_line() -> None:
    with NanoGPTEmulator(api_key="the-right-key") as emulator:
        result = run_demo(NANOGPT_API_KEY="a-wrong-key", NANOGPT_BASE_URL=emulator.base_url)
    assert result.returncode == 1
    assert "LIVE" in result.stdout
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nanogpt-demo: error: NanoGPT rejected the API key: check NANOGPT_API_KEY")
    assert "AuthenticationError" in lines[0]
    assert "a-wrong-key" not in result.stdout + result.stderr


def test_no_network_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_demo(NANOGPT_API_KEY="any-key", NANOGPT_BASE_URL=f"http://127.0.0.1:{port}/api/v1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "could not reach NanoGPT at http://127.0.0.1:" in result.stderr
    assert "APIConnectionError" in result.stderr


def test_debug_adds_the_traceback() -> None:
    with NanoGPTEmulator(api_key="the-right-key") as emulator:
        result = run_demo("--debug", NANOGPT_API_KEY="a-wrong-key", NANOGPT_BASE_URL=emulator.base_url)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "AuthenticationError" in result.stderr.splitlines()[-1]


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "nanogpt-demo"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--offline" in result.stdout
    assert "--model" in result.stdout


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_spinner_draws_on_a_slow_wait_then_erases_itself() -> None:
    stream = _Terminal()
    with Spinner("thinking", stream=stream, delay=0.05, interval=0.01) as spinner:
        time.sleep(0.3)
    text = stream.getvalue()
    assert spinner.drawn
    assert "thinking 0." in text
    assert text.endswith("\r")
    assert text.rstrip("\r").split("\r")[-1].strip() == "", "the last write blanks the line"


def test_spinner_stays_silent_on_a_fast_wait_or_without_a_terminal() -> None:
    fast = _Terminal()
    with Spinner("quick", stream=fast, delay=0.5):
        pass
    piped = io.StringIO()
    with Spinner("slow", stream=piped, delay=0.01, interval=0.01):
        time.sleep(0.1)
    assert fast.getvalue() == ""
    assert piped.getvalue() == ""


def test_summary_table_totals() -> None:
    rows = [
        StepUsage("A", "LangChain", requests=1, input_tokens=1000, output_tokens=20, cost=0.25),
        StepUsage("B", "LlamaIndex", requests=2, searches=1, cached_tokens=900, cost=0.5),
    ]
    lines = render_table(rows).splitlines()
    assert lines[2].split() == ["A", "LangChain", "1", "1,000", "0", "20", "0.250000"]
    assert lines[3].split() == ["B", "LlamaIndex", "2", "+1", "search", "0", "900", "0", "0.500000"]
    assert lines[-1].split() == ["Total", "3", "+1", "search", "1,000", "900", "20", "0.750000"]


def test_llama_index_usage_reads_additional_kwargs() -> None:
    usage = StepUsage("Q", "LlamaIndex")
    usage.add_llama_index({"prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 4, "cost": 0.1})
    usage.add_llama_index({"prompt_tokens": 1})
    assert (usage.requests, usage.input_tokens, usage.output_tokens, usage.cached_tokens) == (2, 11, 5, 4)
    assert usage.cost == pytest.approx(0.1)
