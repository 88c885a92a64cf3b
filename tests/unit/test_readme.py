"""README.md and docs/*.md say only what is true: their code runs, the tests they cite exist, their links
resolve, and they point to NanoGPT's public doc pages rather than to documents outside the repository.

The first-screen offline recipe runs as written in bash against a real emulator process; every ```python
block runs in a fresh namespace with ``NANOGPT_BASE_URL`` / ``NANOGPT_API_KEY`` pointing at the emulator,
exactly as a reader would run it with the variables set (``tests/readme_runner.py`` does both; ``make
release-check`` runs the same code against the built wheel).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator
from tests.readme_runner import (
    FENCE,
    RECIPE_HEADING,
    RECIPE_REPLY,
    code_blocks,
    run_offline_recipe,
    run_python_block,
    shell_recipe,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
#: Pages whose python blocks another test runs (with the setup they need).
RUN_ELSEWHERE = {
    "batch.md": "tests/integration/test_batch_docs.py",
    "emulator.md": "tests/unit/test_docs_pages.py",
    "providers.md": "tests/unit/test_docs_pages.py",
}
#: The first screen: what a reader sees before scrolling.
FIRST_SCREEN = 45


def text_of(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def name_of(page: Path) -> str:
    return str(page.relative_to(ROOT))


def runnable_blocks() -> list[tuple[str, str]]:
    """(``page:line``, code) of every python block that this module runs."""
    return [
        (f"{name_of(page)}:{line}", code)
        for page in PAGES
        if page.name not in RUN_ELSEWHERE
        for line, code in code_blocks(text_of(page), "python")
    ]


PYTHON = runnable_blocks()

# -- the first screen ------------------------------------------------------------------------------


def test_every_readme_block_is_tagged_python_bash_or_text() -> None:
    text = text_of(README)
    languages = [match.group(1) for match in FENCE.finditer(text)]
    assert set(languages) <= {"python", "bash", "text"}, languages
    assert len(code_blocks(text, "python")) >= 10


def test_the_two_commands_come_first() -> None:
    first_line, first = code_blocks(text_of(README), "bash")[0]
    assert first.splitlines()[:2] == [
        "make demo   # runs the demo; offline against the bundled emulator unless NANOGPT_API_KEY is set",
        "make test   # runs every test (unit, emulator behaviour, cassette replays, notebooks)",
    ]
    assert first_line < 15


def test_the_first_screen_has_install_and_the_offline_recipe() -> None:
    lines = text_of(README).splitlines()[:FIRST_SCREEN]
    assert "## Install" in lines
    assert RECIPE_HEADING in lines
    assert any("not on pypi yet" in line.lower() for line in lines)
    recipe_end = max(i for i, line in enumerate(lines) if line.startswith("python -c"))
    assert lines[recipe_end + 1] == "```", "the whole recipe is on the first screen"


def test_offline_recipe_runs_verbatim_against_a_real_emulator_process() -> None:
    lines = shell_recipe(text_of(README))
    assert [line.split("#")[0].strip() for line in lines[:2]] == [
        "nanogpt-emulator &",
        'eval "$(nanogpt-emulator --print-env)"',
    ]
    assert len(lines) == 3 and lines[2].startswith("python -c ")

    run = run_offline_recipe(lines, Path(sys.executable).parent)

    assert run.returncode == 0, (run.script, run.stderr)
    out = run.stdout.strip().splitlines()
    assert out[-1] == RECIPE_REPLY
    (port,) = set(re.findall(r"nanogpt-emulator --port (\d+)", run.script))
    assert out[0] == f"http://127.0.0.1:{port}/api/v1", "the emulator started by line 1 answered"
    assert port != "8765", "the test ran on a free port, not the default one"


# -- code in the README and the docs pages -----------------------------------------------------------


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


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[where for where, _ in PYTHON])
def test_python_block_runs(where: str, code: str, readme_env: NanoGPTEmulator) -> None:
    run_python_block(where, code, readme_env)


def test_every_docs_python_block_is_run_by_some_test() -> None:
    for page in DOCS:
        if page.name in RUN_ELSEWHERE:
            runner = text_of(ROOT / RUN_ELSEWHERE[page.name])
            assert f'"{page.name}"' in runner, f"{RUN_ELSEWHERE[page.name]} runs {page.name}"
    assert any(where.startswith("docs/") for where, _ in PYTHON)


# -- what the pages cite ----------------------------------------------------------------------------


def cited_tests(text: str) -> list[tuple[str, str | None]]:
    """(file, test name or None) for every ``tests/...py[::name]`` and following ``::name`` in ``text``."""
    cited: list[tuple[str, str | None]] = []
    current: str | None = None
    for match in re.finditer(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`", text):
        path, name = match.group(1), match.group(2)
        if path:
            current = path
        if current is not None and (path or name):
            cited.append((current, name))
    return cited


CITED = [(name_of(page), *cited) for page in PAGES for cited in cited_tests(text_of(page))]


def test_the_pages_cite_tests() -> None:
    assert len(CITED) >= 25
    assert {page for page, *_ in CITED} >= {"README.md", "docs/comparison.md", "docs/cassettes.md"}


@pytest.mark.parametrize(("page", "path", "name"), CITED)
def test_cited_test_exists(page: str, path: str, name: str | None) -> None:
    assert (ROOT / path).is_file(), f"{page} cites {path}"
    source = text_of(ROOT / path)
    if name is not None:
        assert re.search(rf"^(?:async )?def {name}\(", source, re.MULTILINE), f"{page} cites {path}::{name}"


@pytest.mark.parametrize("page", PAGES, ids=name_of)
def test_linked_files_exist(page: Path) -> None:
    links = re.findall(r"\]\(((?!https?://)[^)#]+)(?:#[^)]*)?\)", text_of(page))
    for link in links:
        target = (page.parent / link).resolve()
        assert target.exists(), f"{name_of(page)} links {link}"


def test_the_readme_links_every_docs_page() -> None:
    text = text_of(README)
    for page in DOCS:
        assert f"]({name_of(page)})" in text, name_of(page)


NOT_IN_THE_REPOSITORY = re.compile(r"§|\bissue notes?\b|\bAPI reference\b|\breference (?:§|section)", re.I)


@pytest.mark.parametrize("page", PAGES, ids=name_of)
def test_no_reference_to_documents_outside_the_repository(page: Path) -> None:
    """Point to NanoGPT's public doc pages (``api-reference/...mdx``), never to our digest's sections."""
    bad = [line for line in text_of(page).splitlines() if NOT_IN_THE_REPOSITORY.search(line)]
    assert not bad, bad


def _public_docs() -> Path | None:
    """NanoGPT's doc pages as shipped in ``shared/reference/nanogpt-docs`` next to the repository, if any."""
    for folder in (ROOT, *ROOT.parents):
        candidate = folder / "shared" / "reference" / "nanogpt-docs"
        if candidate.is_dir():
            return candidate
    return None


@pytest.mark.parametrize("page", PAGES, ids=name_of)
def test_cited_doc_pages_are_public_page_paths(page: Path) -> None:
    """Each ``api-reference/...mdx`` path is well formed, and names a real page where the copy is at hand."""
    public = _public_docs()
    for path in re.findall(r"`(api-reference/[^`]+)`", text_of(page)):
        assert re.fullmatch(
            r"api-reference/(?:(?:endpoint|miscellaneous)/)?[a-z0-9-]+\.(?:mdx|json)", path
        ), path
        if public is not None:
            assert (public / path.removeprefix("api-reference/")).is_file(), f"{name_of(page)}: {path}"


def test_feature_map_names_every_option() -> None:
    """Every NanoGPT option and every web-search option appears in docs/features.md under its own name."""
    from nanogpt_integrations.core import NanoGPTOptions
    from nanogpt_integrations.langchain._search import NanoGPTSearchSettings

    text = text_of(ROOT / "docs" / "features.md")
    names = set(NanoGPTOptions.field_names()) | set(NanoGPTSearchSettings.model_fields)
    names -= {"api_key", "base_url", "timeout", "max_retries", "http_client", "http_async_client"}
    missing = sorted(name for name in names if f"`{name}" not in text and f" {name}=" not in text)
    assert not missing, missing
