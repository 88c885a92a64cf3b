"""The code in docs/emulator.md and docs/providers.md runs as written against the emulator, and the
three-line shell recipe works (on a free port instead of the default 8765, so parallel runs cannot
collide)."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "emulator.md", ROOT / "docs" / "providers.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(page: Path, language: str) -> list[tuple[str, str]]:
    text = page.read_text(encoding="utf-8")
    return [
        (f"{page.name}:{text.count(chr(10), 0, m.start()) + 1}", m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == language
    ]


PYTHON = [block for page in PAGES for block in blocks(page, "python")]


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[where for where, _ in PYTHON])
def test_python_block_runs(
    where: str, code: str, emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "docs-test-key")
    monkeypatch.setenv("NANOGPT_BASE_URL", emulator.base_url)
    namespace: dict[str, Any] = {"__name__": where}
    exec(compile(code, where, "exec"), namespace)


def test_the_shell_recipe_runs() -> None:
    ((_, recipe),) = blocks(PAGES[0], "bash")
    lines = [line.split("  #")[0].strip() for line in recipe.strip().splitlines()]
    assert lines[:2] == ["nanogpt-emulator &", 'eval "$(nanogpt-emulator --print-env)"']
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli = f"{shlex.quote(sys.executable)} -m nanogpt_integrations.testing"
    script = "\n".join(
        [
            "set -e",
            lines[0].replace("nanogpt-emulator", f"{cli} --port {port}").replace("&", "> /dev/null 2>&1 &"),
            "trap 'kill $!' EXIT",
            lines[1].replace("nanogpt-emulator --print-env", f"{cli} --print-env --port {port}"),
            lines[2].replace("python ", f"{shlex.quote(sys.executable)} "),
        ]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NANOGPT_")}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Hello! You said: Hi"
