"""LangChain's standard integration suite for ChatNanoGPT, replayed from cassettes.

Recorded against the bundled emulator (or the live API when ``NANOGPT_API_KEY`` is set) with
``pytest tests/integration/langchain --record-mode=rewrite``; CI replays them without a server.
The suite downloads a picture, a PDF and a WAV file from the web: ``_local_media`` serves small
local stand-ins instead so recording needs no internet and request bodies stay deterministic.
"""

from __future__ import annotations

import itertools
import struct
import uuid
import zlib
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from nanogpt_integrations.langchain import ChatNanoGPT

pytestmark = pytest.mark.vcr

MODEL = "anthropic/claude-sonnet-4.5"
REASONING_MODEL = "deepseek/deepseek-r1"


def _png(size: int = 16) -> bytes:
    """A small valid RGB PNG (a gradient), built without image libraries."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 16 % 256, y * 16 % 256, 128)) for x in range(size)) for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _wav() -> bytes:
    samples = b"\x00\x00" * 800
    return (
        b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(samples)) + samples
    )  # fmt: skip


_MEDIA = {".png": _png(), ".pdf": _PDF, ".wav": _wav()}
_real_get = httpx.get


def _fake_get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    for suffix, content in _MEDIA.items():
        if str(url).endswith(suffix):
            return httpx.Response(200, content=content, request=httpx.Request("GET", str(url)))
    return _real_get(url, *args, **kwargs)


@pytest.fixture(autouse=True)
def _local_media(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpx, "get", _fake_get)
    monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "nanogpt-integrations-tests (local media stand-ins)")


@pytest.fixture(autouse=True)
def _endpoint(recorded_endpoint: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, api_key = recorded_endpoint
    monkeypatch.setenv("NANOGPT_BASE_URL", base_url)
    monkeypatch.setenv("NANOGPT_API_KEY", api_key)


@pytest.fixture(autouse=True)
def _deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tool_example_to_messages`` invents random tool-call ids; fix them so bodies replay."""
    counter = itertools.count()

    class _Ids:
        @staticmethod
        def uuid4() -> uuid.UUID:
            return uuid.UUID(int=next(counter))

    monkeypatch.setattr("langchain_core.utils.function_calling.uuid", _Ids)


class TestChatNanoGPTIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatNanoGPT]:
        return ChatNanoGPT

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "temperature": 0}

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "openai/gpt-4o-mini"

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[Any, list[Any]]:
        details = ["reasoning_output", "cache_read_input", "cache_creation_input"]
        return {"invoke": details, "stream": details}

    # -- helpers the usage tests call ----------------------------------------------------------

    @staticmethod
    def _run(model: ChatNanoGPT, messages: list[Any], *, stream: bool) -> AIMessage:
        if not stream:
            return model.invoke(messages)
        full: AIMessageChunk | None = None
        for chunk in model.stream(messages):
            full = chunk if full is None else full + chunk
        assert full is not None
        return full

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        model = ChatNanoGPT(model=REASONING_MODEL, reasoning_effort="low")
        message = self._run(model, [HumanMessage("Is 17 prime? Think it through.")], stream=stream)
        assert message.usage_metadata and message.usage_metadata["output_token_details"]["reasoning"] > 0
        return message

    @staticmethod
    def _cached_prompt(product: str, question: str) -> list[Any]:
        """A long system prompt with a cache breakpoint (a fresh prefix per ``product``)."""
        manual = f"You are the support assistant for the {product} toaster. " * 120
        system = SystemMessage([{"type": "text", "text": manual, "cache_control": {"type": "ephemeral"}}])
        return [system, HumanMessage(question)]

    def invoke_with_cache_creation_input(self, *, stream: bool = False) -> AIMessage:
        model = ChatNanoGPT(model=MODEL)
        product = f"Acme {'stream' if stream else 'invoke'} creation"
        message = self._run(model, self._cached_prompt(product, "How do I descale it?"), stream=stream)
        assert message.usage_metadata and message.usage_metadata["input_token_details"]["cache_creation"] > 0
        return message

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        model = ChatNanoGPT(model=MODEL)
        product = f"Acme {'stream' if stream else 'invoke'} read"
        self._run(model, self._cached_prompt(product, "First question"), stream=stream)
        message = self._run(model, self._cached_prompt(product, "Second question"), stream=stream)
        assert message.usage_metadata and message.usage_metadata["input_token_details"]["cache_read"] > 0
        return message
