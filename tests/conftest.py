"""Shared test configuration: the emulator fixtures and the VCR (pytest-recording) setup.

Cassettes live under ``cassettes/<test module>/`` and are matched on method, path, query and body
(not host or port), so a cassette recorded against the emulator's ephemeral port or the live API
replays anywhere. CI replays only (``--record-mode=none``, the default); ``make record`` rewrites
them against the live API when ``NANOGPT_API_KEY`` is set, else against the bundled emulator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["nanogpt_integrations.testing.pytest_plugin"]

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
LIVE_BASE_URL = "https://nano-gpt.com/api/v1"
#: The key used whenever no live key is involved. Not a secret; never a real key.
TEST_API_KEY = "test-key-for-the-emulator"

_SECRET_HEADERS = ("authorization", "x-api-key", "cookie", "set-cookie", "x-encryption-key", "x-encryption-passphrase")
_KEPT_RESPONSE_HEADERS = {"content-type", "x-request-id", "retry-after"}


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEPT_RESPONSE_HEADERS}
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [(name, "REDACTED") for name in _SECRET_HEADERS],
        "before_record_response": _scrub_response,
        "match_on": ["method", "path", "query", "body"],
        "decode_compressed_response": True,
        "allow_playback_repeats": True,
        "record_on_exception": False,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    # cassettes/<path of the test file under tests/, without .py>/<test name>.yaml
    relative = Path(str(request.node.path)).resolve().relative_to(ROOT / "tests").with_suffix("")
    return str(CASSETTES / relative)


def _recording(config: pytest.Config) -> bool:
    mode = config.getoption("--record-mode", default="none")
    return mode not in (None, "none")


@pytest.fixture
def recorded_endpoint(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """``(base_url, api_key)`` for cassette-backed tests.

    Replaying: a placeholder live URL (never contacted: VCR answers, and an unmatched request
    fails). Recording: the live API when ``NANOGPT_API_KEY`` is set, else the emulator.
    """
    if not _recording(request.config):
        yield LIVE_BASE_URL, TEST_API_KEY
        return
    live_key = os.environ.get("NANOGPT_API_KEY")
    if live_key:
        yield os.environ.get("NANOGPT_BASE_URL", LIVE_BASE_URL), live_key
        return
    emulator = request.getfixturevalue("nanogpt_emulator")
    emulator.clear()
    yield emulator.base_url, TEST_API_KEY
