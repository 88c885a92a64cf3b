"""Run the README's code as a reader would: the first-screen offline recipe (shell lines, verbatim but for
the port) and every ```python block, against the bundled emulator.

Two users: the tests of README.md and docs/*.md (``tests/unit/test_readme.py``, ``test_docs_pages.py``)
import it, and ``make release-check``
runs it as a script with the Python of a fresh venv that holds only the built wheel and its runtime
dependencies::

    /tmp/venv/bin/python tests/readme_runner.py README.md

As a script it refuses to run against the package in the clone (the point is to test the wheel), and it
ends with the plain ``N passed, N failed`` line.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
#: The heading of the README's first-screen recipe.
RECIPE_HEADING = "## Offline in three lines"
EMULATOR_COMMAND = re.compile(r"\bnanogpt-emulator\b")
#: What the emulator answers to the recipe's ``invoke('Hi')``.
RECIPE_REPLY = "Hello! You said: Hi"


def code_blocks(text: str, language: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block in ``language``."""
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(2))
        for match in FENCE.finditer(text)
        if match.group(1) == language
    ]


def shell_recipe(text: str, heading: str = RECIPE_HEADING) -> list[str]:
    """The lines of the first ```bash block under ``heading``, as written."""
    section = text[text.index(f"{heading}\n") :]
    ((_, code), *_) = code_blocks(section, "bash")
    return code.strip().splitlines()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RecipeRun:
    script: str
    returncode: int
    stdout: str
    stderr: str


def run_offline_recipe(lines: list[str], bin_dir: Path, timeout: float = 90.0) -> RecipeRun:
    """Run the recipe's lines in bash, then the README's ``kill %1``.

    The lines run as written except that every ``nanogpt-emulator`` gets ``--port`` with a free port
    instead of the default 8765 (so parallel runs cannot collide);
    ``nanogpt-emulator`` and ``python`` come from ``bin_dir`` (a venv's ``bin``), no ``NANOGPT_*``
    variable is inherited, and the working directory is empty, so ``python -c`` imports the installed
    package. The whole process group is ended afterwards, whatever happened.
    """
    option = f"nanogpt-emulator --port {_free_port()}"
    script = "\n".join(["set -e", *(EMULATOR_COMMAND.sub(option, line) for line in lines), "kill %1"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("NANOGPT_") and k != "OPENAI_API_KEY"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as cwd:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            if process.returncode is None:
                process.wait(timeout=10)
    return RecipeRun(script, process.returncode, stdout, stderr)


def run_python_block(where: str, code: str, emulator: Any, *, must_talk: bool = True) -> str:
    """Execute one block in a fresh namespace; return what it printed.

    With ``must_talk``, fails unless the block talked to ``emulator`` (or runs its own, or shows a
    refusal made before sending): a block that silently does nothing is not a working example.
    """
    before = len(emulator.requests)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, where, "exec"), {"__name__": where.replace(".", "_").replace(":", "_line_")})
    out = printed.getvalue()
    if must_talk and "NanoGPTEmulator(" not in code:
        talked = len(emulator.requests) > before or "refused: True" in out
        assert talked, f"{where}: the block sent no request (and showed no refusal)"
    return out


def main(argv: list[str]) -> int:
    """Run README.md's recipe and python blocks against the installed package (not the clone's)."""
    readme = Path(argv[0]).resolve()
    import nanogpt_integrations
    from nanogpt_integrations.testing import NanoGPTEmulator

    installed = Path(nanogpt_integrations.__file__).resolve()
    if installed.parent == readme.parent / "nanogpt_integrations" or "site-packages" not in installed.parts:
        print(f"readme_runner: {installed} is the clone's package, not an installed wheel", file=sys.stderr)
        return 2
    print(f"readme_runner: nanogpt_integrations {nanogpt_integrations.__version__} from {installed.parent}")
    text = readme.read_text(encoding="utf-8")
    failures: list[str] = []
    run = run_offline_recipe(shell_recipe(text), Path(sys.executable).parent)
    last = run.stdout.strip().splitlines()[-1:] or [""]
    if run.returncode != 0 or last[0] != RECIPE_REPLY:
        failures.append(
            f"offline recipe: exit {run.returncode}, stdout {run.stdout!r}, stderr {run.stderr!r}"
        )
    blocks = code_blocks(text, "python")
    with NanoGPTEmulator() as emulator:
        os.environ.update(NANOGPT_API_KEY="readme-runner-key", NANOGPT_BASE_URL=emulator.base_url)
        os.environ.pop("OPENAI_API_KEY", None)
        for line, code in blocks:
            try:
                run_python_block(f"{readme.name}:{line}", code, emulator)
            except BaseException:
                failures.append(f"{readme.name}:{line}\n{traceback.format_exc()}")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    print(f"{len(blocks) + 1 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
