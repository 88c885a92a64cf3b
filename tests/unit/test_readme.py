"""Every ```python block of README.md runs against the emulator; every test the README cites exists.

The blocks run one by one, each in a fresh namespace, with ``NANOGPT_BASE_URL`` / ``NANOGPT_API_KEY``
pointing at the emulator, exactly as a reader would run them with the variables set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block in ``language``."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(2))
        for match in FENCE.finditer(text)
        if match.group(1) == language
    ]


PYTHON = blocks("python")


def test_every_block_is_tagged_python_bash_or_text() -> None:
    text = README.read_text(encoding="utf-8")
    languages = [match.group(1) for match in FENCE.finditer(text)]
    assert set(languages) <= {"python", "bash", "text"}, languages
    assert len(PYTHON) >= 15


def test_the_two_commands_come_first() -> None:
    first_line, first = blocks("bash")[0]
    assert first.splitlines()[:2] == [
        "make demo   # runs the demo; offline against the bundled emulator unless NANOGPT_API_KEY is set",
        "make test   # runs every test (unit, emulator behaviour, cassette replays, notebooks)",
    ]
    assert first_line < 15


@pytest.fixture
def readme_env(emulator: NanoGPTEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[NanoGPTEmulator]:
    """The emulator in the environment, and LlamaIndex's global Settings restored afterwards."""
    from llama_index.core import Settings

    monkeypatch.setenv("NANOGPT_API_KEY", "readme-test-key")
    monkeypatch.setenv("NANOGPT_BASE_URL", emulator.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    saved = (Settings._llm, Settings._embed_model)
    yield emulator
    Settings._llm, Settings._embed_model = saved


@pytest.mark.parametrize(("line", "code"), PYTHON, ids=[f"README.md:{line}" for line, _ in PYTHON])
def test_python_block_runs(
    line: int, code: str, readme_env: NanoGPTEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {"__name__": f"readme_line_{line}"}
    exec(compile(code, f"README.md:{line}", "exec"), namespace)
    if "NanoGPTEmulator()" in code:  # the block runs its own emulator
        return
    talked = bool(readme_env.requests) or "refused: True" in capsys.readouterr().out
    assert talked, "the block sent a request (or showed a refusal before sending)"


def cited_tests() -> list[tuple[str, str | None]]:
    """(file, test name or None) for every ``tests/...py[::name]`` and following ``::name`` in the README."""
    text = README.read_text(encoding="utf-8")
    cited: list[tuple[str, str | None]] = []
    current: str | None = None
    for match in re.finditer(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`", text):
        path, name = match.group(1), match.group(2)
        if path:
            current = path
        if current is not None and (path or name):
            cited.append((current, name))
    return cited


def test_the_readme_cites_tests() -> None:
    assert len(cited_tests()) >= 25


@pytest.mark.parametrize(("path", "name"), cited_tests())
def test_cited_test_exists(path: str, name: str | None) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    if name is not None:
        assert re.search(rf"^(?:async )?def {name}\(", source, re.MULTILINE), f"{path}::{name}"


def test_linked_files_exist() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?!https?://)[^)]+)\)", text)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link


def test_feature_table_names_every_option() -> None:
    """Every NanoGPT option and every web-search option appears in the README under its own name."""
    from nanogpt_integrations.core import NanoGPTOptions
    from nanogpt_integrations.langchain._search import NanoGPTSearchSettings

    text = README.read_text(encoding="utf-8")
    names = set(NanoGPTOptions.field_names()) | set(NanoGPTSearchSettings.model_fields)
    names -= {"api_key", "base_url", "timeout", "max_retries", "http_client", "http_async_client"}
    missing = sorted(name for name in names if f"`{name}" not in text and f" {name}=" not in text)
    assert not missing, missing
