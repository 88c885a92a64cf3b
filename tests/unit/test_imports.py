"""``import nanogpt_integrations`` and ``nanogpt_integrations.core`` never import a framework (issue 2)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

FRAMEWORKS = ("langchain_core", "langchain", "llama_index")


def run_python(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["nanogpt_integrations", "nanogpt_integrations.core"])
def test_import_does_not_load_any_framework(module: str) -> None:
    out = run_python(
        f"""
        import json, sys, importlib
        importlib.import_module({module!r})
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {FRAMEWORKS!r})
        print(json.dumps({{"loaded": loaded}}))
        """
    )
    assert out["loaded"] == []


def test_client_is_reexported_lazily() -> None:
    out = run_python(
        """
        import json, sys
        import nanogpt_integrations
        before = "nanogpt_integrations.core.client" in sys.modules
        from nanogpt_integrations import AsyncNanoGPTClient, NanoGPTClient, NanoGPTError
        from nanogpt_integrations.core import NanoGPTClient as Direct
        after = "nanogpt_integrations.core.client" in sys.modules
        frameworks = sorted(m for m in sys.modules if m.split(".")[0] in ("langchain_core", "llama_index"))
        print(json.dumps({
            "before": before, "after": after, "same": NanoGPTClient is Direct,
            "error_root": issubclass(NanoGPTError, Exception),
            "async": AsyncNanoGPTClient.__name__, "frameworks": frameworks,
        }))
        """
    )
    assert out == {
        "before": False,
        "after": True,
        "same": True,
        "error_root": True,
        "async": "AsyncNanoGPTClient",
        "frameworks": [],
    }


def test_unknown_attribute_raises_attribute_error() -> None:
    import nanogpt_integrations

    with pytest.raises(AttributeError, match="NoSuchThing"):
        nanogpt_integrations.NoSuchThing  # noqa: B018


def test_version_is_exposed() -> None:
    import nanogpt_integrations

    assert isinstance(nanogpt_integrations.__version__, str) and nanogpt_integrations.__version__


@pytest.mark.parametrize(
    "statement",
    [
        "from nanogpt_integrations.langchain import ChatNanoGPT",
        "from nanogpt_integrations.llama_index import NanoGPTLLM",
    ],
)
def test_adapter_import_defers_httpx_until_the_first_client(statement: str) -> None:
    """Importing an adapter costs the framework plus our translation; httpx loads with the first client."""
    cls = statement.rsplit(" ", 1)[-1]
    # What the framework imports by itself is not ours to defer (older llama-index-core versions
    # import httpx on their own): the adapter must add nothing to it until the first client.
    framework = "langchain_core.language_models" if "langchain" in statement else "llama_index.core.llms"
    out = run_python(
        f"""
        import json, sys
        import {framework}
        framework = "httpx" in sys.modules
        {statement}
        before = "httpx" in sys.modules
        llm = {cls}(model="openai/gpt-4o-mini", api_key="k", **({{"base_url": "http://127.0.0.1:9/api/v1"}}))
        constructed = "httpx" in sys.modules
        client = llm._sync_client() if hasattr(llm, "_sync_client") else llm.client
        print(json.dumps({{"before": before, "constructed": constructed, "after": "httpx" in sys.modules,
                          "base": client.base_url, "framework": framework}}))
        """
    )
    framework_loads_httpx = out.pop("framework")
    assert out == {
        "before": framework_loads_httpx,
        "constructed": framework_loads_httpx,
        "after": True,
        "base": "http://127.0.0.1:9/api/v1",
    }


def test_langchain_adapter_import_is_built_and_leaves_wire_models_for_the_first_request() -> None:
    """The import time the benchmark reports is real: the adapter classes are fully built on import
    (no deferred pydantic schema), and only the chat wire models wait for the first request."""
    out = run_python(
        """
        import json, sys
        from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPT
        print(json.dumps({"built": [ChatNanoGPT.__pydantic_complete__, NanoGPT.__pydantic_complete__],
                          "types": "nanogpt_integrations.core.types" in sys.modules}))
        """
    )
    assert out == {"built": [True, True], "types": False}
