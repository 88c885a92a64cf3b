"""The test run is quiet about other people's deprecations and loud about ours (pyproject's
``filterwarnings``), and pytest-benchmark times nothing (LangChain's standard tests still run its fixture)."""

from __future__ import annotations

import warnings

import pytest
from pydantic.warnings import PydanticDeprecatedSince20, PydanticDeprecatedSince211


def emitted(category: type[Warning], module: str) -> list[warnings.WarningMessage]:
    """Warn as if from ``module`` under the test run's filters; return what was recorded."""
    with warnings.catch_warnings(record=True) as log:
        warnings.warn_explicit(
            "probe", category, f"{module.replace('.', '/')}.py", 1, module=module, registry={}
        )
    return log


@pytest.mark.parametrize(
    "module", ["nanogpt_integrations.core.client", "nanogpt_integrations.langchain.chat_models"]
)
def test_a_deprecation_from_our_package_fails_the_test(module: str) -> None:
    with pytest.raises(DeprecationWarning, match="probe"):
        emitted(DeprecationWarning, module)


@pytest.mark.parametrize("category", [UserWarning, RuntimeWarning, PendingDeprecationWarning])
def test_our_other_warnings_stay_visible(category: type[Warning]) -> None:
    assert [w.category for w in emitted(category, "nanogpt_integrations.core.arguments")] == [category]


@pytest.mark.parametrize(
    ("category", "module"),
    [
        (DeprecationWarning, "llama_index.core.agent.workflow.react_agent"),
        (PydanticDeprecatedSince20, "inspect"),
        (PydanticDeprecatedSince211, "inspect"),
    ],
)
def test_known_third_party_deprecations_are_filtered(category: type[Warning], module: str) -> None:
    assert emitted(category, module) == []


@pytest.mark.parametrize(
    ("category", "module"),
    [(DeprecationWarning, "langchain_core.language_models"), (DeprecationWarning, "httpx._client")],
)
def test_other_third_party_deprecations_are_still_shown(category: type[Warning], module: str) -> None:
    assert [w.category for w in emitted(category, module)] == [category]


def test_benchmarks_are_disabled(request: pytest.FixtureRequest) -> None:
    assert request.config.getoption("benchmark_disable") is True
