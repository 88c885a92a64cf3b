"""Pytest fixtures: a session-wide emulator and a per-test `emulator` that starts clean.

Register with `pytest_plugins = ["nanogpt_integrations.testing.pytest_plugin"]` in a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulator import NanoGPTEmulator


@pytest.fixture(scope="session")
def nanogpt_emulator() -> Iterator[NanoGPTEmulator]:
    """One emulator for the whole session (any non-empty API key accepted)."""
    with NanoGPTEmulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(nanogpt_emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    """The session emulator, cleared (requests, script, faults, cache) before this test."""
    nanogpt_emulator.clear()
    return nanogpt_emulator
