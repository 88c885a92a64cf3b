"""The API key never leaks: not in repr/str, exceptions, logs, pickles, or recorded cassettes (issue 2)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import pickle
import re
from pathlib import Path

import httpx
import pytest

from nanogpt_integrations.core import (
    APIConnectionError,
    AsyncNanoGPTClient,
    AuthenticationError,
    ClientConfig,
    MissingAPIKeyError,
    NanoGPTClient,
    NanoGPTError,
    NanoGPTOptions,
    RateLimitError,
    StreamError,
)
from nanogpt_integrations.testing import Fault, NanoGPTEmulator

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"
SECRET = "sk-nano-" + "0d5c1f7e-secret-value-never-to-be-seen"  # split: not a real key, keeps leak scanners quiet
PAYLOAD = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def _conftest_test_key() -> str:
    text = (ROOT / "tests" / "conftest.py").read_text()
    match = re.search(r'^TEST_API_KEY\s*=\s*"([^"]+)"', text, re.M)
    assert match, "tests/conftest.py defines TEST_API_KEY"
    return match.group(1)


def assert_clean(text: str) -> None:
    assert SECRET not in text
    assert SECRET[8:] not in text  # not even without the prefix


# -- repr / str ---------------------------------------------------------------------------------


def test_clients_and_config_hide_the_key() -> None:
    sync = NanoGPTClient(api_key=SECRET)
    async_ = AsyncNanoGPTClient(api_key=SECRET)
    config = ClientConfig.create(api_key=SECRET)
    for obj in (sync, async_, config, sync.config, async_.config):
        assert_clean(repr(obj))
        assert_clean(str(obj))
        assert_clean(f"{obj!r} {obj}")
    assert "**********" in repr(config)
    assert_clean(str(dataclasses.asdict(config)))
    assert_clean(repr(config.api_key))
    sync.close()


def test_key_from_environment_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", SECRET)
    client = NanoGPTClient()
    assert_clean(repr(client))
    assert_clean(repr(vars(client)))
    client.close()


def test_options_never_hold_the_key() -> None:
    parts = NanoGPTOptions(provider="novita").apply("m", {}, {})
    assert_clean(repr(parts))


# -- exceptions and pickles ---------------------------------------------------------------------


def test_missing_key_message_has_no_secret_but_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError) as info:
        ClientConfig.create().require_key()
    assert "NANOGPT_API_KEY" in str(info.value)


def test_401_from_the_emulator_does_not_echo_the_key() -> None:
    with NanoGPTEmulator(api_key="the-right-key") as emu:
        with NanoGPTClient(api_key=SECRET, base_url=emu.base_url, max_retries=0) as client:
            with pytest.raises(AuthenticationError) as info:
                client.chat(PAYLOAD)
        assert emu.last_request("/chat/completions").headers["authorization"] == f"Bearer {SECRET}"
    err = info.value
    assert err.status == 401 and err.code == "invalid_api_key"
    for text in (str(err), repr(err), err.message, repr(err.body), repr(vars(err)), repr(err.args)):
        assert_clean(text)
    blob = pickle.dumps(err)
    assert SECRET.encode() not in blob
    back = pickle.loads(blob)
    assert type(back) is AuthenticationError and back.code == "invalid_api_key"


def test_stream_and_connection_errors_do_not_carry_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = NanoGPTClient(
        api_key=SECRET, max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    with pytest.raises(APIConnectionError) as info:
        client.chat(PAYLOAD)
    assert_clean(str(info.value))
    assert SECRET.encode() not in pickle.dumps(info.value)

    def stream_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b'data: {"choices": []}\n\n', headers={"content-type": "text/event-stream"}
        )

    client = NanoGPTClient(
        api_key=SECRET, http_client=httpx.Client(transport=httpx.MockTransport(stream_handler))
    )
    with pytest.raises(StreamError) as stream_info:
        list(client.stream_chat(PAYLOAD))
    assert_clean(str(stream_info.value))
    assert SECRET.encode() not in pickle.dumps(stream_info.value)


# -- logs ---------------------------------------------------------------------------------------


def test_debug_logs_during_retries_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    with NanoGPTEmulator() as emu:
        emu.inject(Fault.http_status(429, retry_after="0.01"), times=2)
        emu.inject(Fault.http_status(503, retry_after="0.01"), path="/embeddings")
        with caplog.at_level(logging.DEBUG):
            with NanoGPTClient(api_key=SECRET, base_url=emu.base_url, max_retries=1) as client:
                with pytest.raises(RateLimitError) as info:
                    client.chat(PAYLOAD)
                client.embeddings({"model": "text-embedding-3-small", "input": ["a"]})

            async def run() -> None:
                async with AsyncNanoGPTClient(
                    api_key=SECRET, base_url=emu.base_url, max_retries=1
                ) as aclient:
                    emu.inject(Fault.http_status(500, retry_after="0.01"))
                    await aclient.chat(PAYLOAD)

            asyncio.run(asyncio.wait_for(run(), 20))
        assert len(emu.requests) == 2 + 2 + 2
    assert caplog.records, "logging captured nothing: the test would not see a leak"
    assert any("retry" in r.getMessage() for r in caplog.records)
    assert_clean(caplog.text)
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(repr(record.args))
    assert_clean(str(info.value))


# -- cassettes ----------------------------------------------------------------------------------

_BEARER = re.compile(rb"Bearer\s+(?!REDACTED\b)[A-Za-z0-9._~+/=-]{6,}")


def secrets_in(path: Path, literals: tuple[str, ...]) -> list[str]:
    """What in ``path`` looks like a credential: a bearer token, an ``sk-nano-`` key, a test key."""
    data = path.read_bytes()
    found = [m.group(0).decode(errors="replace") for m in _BEARER.finditer(data)]
    if b"sk-nano-" in data:
        found.append("sk-nano-")
    found.extend(literal for literal in literals if literal.encode() in data)
    return found


def test_no_cassette_holds_a_key() -> None:
    literals = (_conftest_test_key(), SECRET)
    assert CASSETTES.is_dir(), "cassettes/ exists (it is where VCR writes)"
    leaks = {
        str(path.relative_to(ROOT)): hits
        for path in sorted(CASSETTES.rglob("*"))
        if path.is_file() and (hits := secrets_in(path, literals))
    }
    assert leaks == {}


def test_the_cassette_scan_catches_leaks(tmp_path: Path) -> None:
    literal = _conftest_test_key()
    cases = {
        "bearer.yaml": "headers:\n  Authorization:\n  - Bearer abcdef123456\n",
        "nano.yaml": 'body: \'{"key": "sk-nano-1234"}\'\n',
        "literal.yaml": f"headers:\n  x-api-key:\n  - {literal}\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert secrets_in(tmp_path / name, (literal,)), name
    clean = tmp_path / "clean.yaml"
    clean.write_text("headers:\n  Authorization:\n  - REDACTED\n  note: Bearer REDACTED\n")
    assert secrets_in(clean, (literal,)) == []


def test_root_error_is_the_catch_all() -> None:
    assert issubclass(AuthenticationError, NanoGPTError)


def test_validation_errors_of_adapter_classes_never_echo_the_key() -> None:
    """Pydantic shows the raw input in validation errors unless told not to; the key is in that input."""
    from nanogpt_integrations.langchain import (
        ChatNanoGPT,
        NanoGPT,
        NanoGPTEmbeddings,
        NanoGPTWebSearchRetriever,
    )
    from nanogpt_integrations.llama_index import NanoGPTLLM

    secret = "sk-unit-test-key-must-not-leak"
    cases: list[tuple[type, dict[str, object]]] = [
        (ChatNanoGPT, {"model": "m", "routing": "speed", "provider": "novita"}),
        (NanoGPT, {"model": "m", "routing": "speed", "provider": "novita"}),
        (NanoGPTWebSearchRetriever, {"k": 0}),
        (NanoGPTEmbeddings, {"batch_size": 0}),
        (NanoGPTLLM, {"model": "m", "temperature": "hot"}),
    ]
    for cls, kwargs in cases:
        with pytest.raises(ValueError) as info:
            cls(api_key=secret, **kwargs)
        assert secret[:8] not in str(info.value), cls.__name__
