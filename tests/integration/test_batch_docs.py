"""Every ```python block of docs/batch.md (the core, LangChain and LlamaIndex examples) runs, in
order and in one working directory, against the emulator (``NANOGPT_BASE_URL`` / ``NANOGPT_API_KEY`` set, as a reader would)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

DOC = Path(__file__).resolve().parents[2] / "docs" / "batch.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def test_the_python_blocks_run(emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocks = [m.group(2) for m in FENCE.finditer(DOC.read_text(encoding="utf-8")) if m.group(1) == "python"]
    assert len(blocks) == 6
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NANOGPT_API_KEY", "docs-key")
    monkeypatch.setenv("NANOGPT_BASE_URL", emulator.base_url)
    emulator.batches.phase_seconds = 0  # each job is done at its first poll
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {"__name__": "__docs__"})
    assert (tmp_path / "job.json").is_file()
    # the quick start, two LangChain jobs, the use_batch_api drop-in, one LlamaIndex job
    assert [r.path for r in emulator.requests if r.method == "POST"] == ["/api/beta/batches"] * 5
