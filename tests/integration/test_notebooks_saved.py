"""The notebooks as committed: executed, offline-first, outputs saved and free of secrets and local paths.

CI also executes them (``pytest --nbmake notebooks``); this checks what a code host renders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ("batch_classify_reviews", "langchain_chat", "llamaindex_llm", "prompt_caching_and_routing", "web_search_rag")
LOCAL_PATH = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|private|var/folders)/")
SECRET = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|Bearer\s+\S+)")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return data


def code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def output_text(cell: dict[str, Any]) -> str:
    parts: list[str] = []
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        parts.append("".join(text) if isinstance(text, list) else text)
        for value in (output.get("data") or {}).values():
            parts.append("".join(value) if isinstance(value, list) else str(value))
    return "".join(parts)


def test_the_notebooks_exist() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_offline_first_setup_cell(name: str) -> None:
    first = code_cells(load(name))[0]
    source = "".join(first["source"])
    assert "NanoGPTEmulator().start()" in source
    assert 'os.environ["NANOGPT_BASE_URL"] = emulator.base_url' in source
    assert output_text(first).startswith("OFFLINE: no NANOGPT_API_KEY")


@pytest.mark.parametrize("name", EXPECTED)
def test_outputs_are_saved_in_order_without_errors(name: str) -> None:
    cells = code_cells(load(name))
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), "executed top to bottom in one run"
    for cell in cells:
        assert all(output["output_type"] != "error" for output in cell.get("outputs", []))
    with_output = [cell for cell in cells if output_text(cell).strip()]
    assert len(with_output) >= len(cells) - 3, "every example cell shows its result"


@pytest.mark.parametrize("name", EXPECTED)
def test_outputs_hold_no_secrets_or_local_paths(name: str) -> None:
    text = "\n".join(output_text(cell) for cell in code_cells(load(name)))
    assert not LOCAL_PATH.search(text), LOCAL_PATH.search(text)
    assert not SECRET.search(text), SECRET.search(text)
    assert "Traceback" not in text
