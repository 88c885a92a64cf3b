"""``nanogpt-batch`` against the emulator: JSON lines when not on a terminal, a progress line on one."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from nanogpt_integrations.batch_cli import main
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

MODEL = "openai/gpt-4o-mini"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def env(emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch) -> NanoGPTEmulator:
    monkeypatch.setenv("NANOGPT_API_KEY", "cli-key")
    monkeypatch.setenv("NANOGPT_BASE_URL", emulator.base_url)
    emulator.batches.phase_seconds = 0.05
    return emulator


def write_rows(path: Path, count: int, **extra: Any) -> Path:
    with path.open("w") as handle:
        for i in range(count):
            body = {"model": MODEL, "messages": [{"role": "user", "content": f"q{i}"}], "max_tokens": 8, **extra}
            handle.write(json.dumps({"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
    return path


def run(*argv: str, terminal: bool = False) -> tuple[int, str, str]:
    out, err = (Terminal(), Terminal()) if terminal else (io.StringIO(), io.StringIO())
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_submit_wait_results_as_json_lines(env: NanoGPTEmulator, tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "rows.jsonl", 30)
    handle = tmp_path / "job.json"
    code, out, err = run("submit", str(rows), "--workflow", "file", "--save-handle", str(handle), "--wait", "--poll", "0.02")
    assert (code, err) == (0, "")
    assert "cli-key" not in out + handle.read_text()  # the key never reaches output or the handle
    seen = events(out)
    assert seen[0]["event"] == "submitted" and seen[0]["workflow"] == "file"
    assert json.loads(handle.read_text())["batch_id"] == seen[0]["id"]
    progress = [e for e in seen if e["event"] == "progress"]
    assert progress and all({"done", "total", "elapsed", "status"} <= set(e) for e in progress)
    assert seen[-1]["event"] == "done" and seen[-1]["batch"]["status"] == "completed"

    target = tmp_path / "out.jsonl"
    code, out, _ = run("results", str(handle), "-o", str(target))
    assert code == 0
    (summary,) = events(out)
    assert (summary["event"], summary["rows"], summary["ok"], summary["failed"]) == ("results", 30, 30, 0)
    assert summary["cost"] == pytest.approx(env.batches.batches[seen[0]["id"]].cost)
    lines = events(target.read_text())
    assert [line["custom_id"] for line in lines] == [f"q{i}" for i in range(30)]
    assert lines[5]["response"]["choices"][0]["message"]["content"] == "Hello! You said: q5"
    assert lines[5]["response"]["usage"]["total_tokens"] > 0


def test_status_cancel_wait_and_list_by_id(env: NanoGPTEmulator, tmp_path: Path) -> None:
    env.batches.auto = False
    code, out, _ = run("submit", str(write_rows(tmp_path / "r.jsonl", 3)), "--workflow", "file")
    batch_id = events(out)[0]["id"]
    assert events(run("status", batch_id)[1])[0]["batch"]["status"] == "validating"
    assert events(run("cancel", batch_id)[1])[0]["batch"]["status"] == "cancelling"
    env.batches.advance(batch_id)
    code, out, _ = run("wait", batch_id, "--poll", "0.01")
    assert code == 3 and events(out)[-1]["batch"]["status"] == "cancelled"  # finished, not completed
    listed = events(run("list", "--limit", "5")[1])
    assert [e["batch"]["id"] for e in listed] == [batch_id]
    code, out, _ = run("results", batch_id)
    rows = [e for e in events(out) if "custom_id" in e]
    assert [r["error"]["code"] for r in rows] == ["batch_cancelled"] * 3


def test_terminal_gets_a_progress_line_and_plain_text(env: NanoGPTEmulator, tmp_path: Path) -> None:
    env.batches.phase_seconds = 0.2
    code, out, err = run("submit", str(write_rows(tmp_path / "r.jsonl", 40)), "--wait", "--poll", "0.02", terminal=True)
    assert code == 0
    assert "\r[" in err and "/40 rows" in err and "00:0" in err and "in_progress" in err
    assert err.endswith("\r")  # the progress line is erased before the final text
    assert "(inline workflow)" in out and "completed  40/40 rows" in out
    assert not out.lstrip().startswith("{")


def test_bad_rows_fail_before_upload_with_the_row_named(env: NanoGPTEmulator, tmp_path: Path) -> None:
    rows = write_rows(tmp_path / "r.jsonl", 2, stream=True)
    code, out, err = run("submit", str(rows))
    assert code == 1
    (error,) = events(out)
    assert error["event"] == "error" and error["code"] == "stream_unsupported" and "'q0'" in error["message"]
    assert "BatchValidationError" in err
    assert env.requests == []


def test_unknown_batch_is_an_error_exit(env: NanoGPTEmulator) -> None:
    code, _, err = run("status", "batch_missing")
    assert code == 1 and "NotFoundError" in err
