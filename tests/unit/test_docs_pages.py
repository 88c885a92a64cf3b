"""The code in docs/emulator.md and docs/providers.md runs as written against the emulator, and the
three-line shell recipe works (on a free port instead of the default 8765, so parallel runs cannot
collide). The mechanics are the README's (``tests/readme_runner.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator
from tests.readme_runner import RECIPE_REPLY, code_blocks, run_offline_recipe, run_python_block, shell_recipe

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "emulator.md", ROOT / "docs" / "providers.md"]
PYTHON = [
    (f"{page.name}:{line}", code)
    for page in PAGES
    for line, code in code_blocks(page.read_text(encoding="utf-8"), "python")
]


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[where for where, _ in PYTHON])
def test_python_block_runs(
    where: str, code: str, emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "docs-test-key")
    monkeypatch.setenv("NANOGPT_BASE_URL", emulator.base_url)
    run_python_block(where, code, emulator, must_talk=False)  # some blocks are configuration


def test_the_shell_recipe_runs() -> None:
    lines = shell_recipe(PAGES[0].read_text(encoding="utf-8"), "### From a shell, in three lines")
    assert [line.split("  #")[0].strip() for line in lines[:2]] == [
        "nanogpt-emulator &",
        'eval "$(nanogpt-emulator --print-env)"',
    ]
    run = run_offline_recipe(lines, Path(sys.executable).parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == RECIPE_REPLY
