"""LangChain messages and content blocks → NanoGPT wire messages (pure, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from nanogpt_integrations.core.messages import wire_messages
from nanogpt_integrations.langchain._messages import convert_block, convert_message, convert_messages

CC = {"type": "ephemeral"}
CC_1H = {"type": "ephemeral", "ttl": "1h"}

BLOCKS: list[tuple[str, Any, Any]] = [
    ("plain string", "hi", {"type": "text", "text": "hi"}),
    ("text", {"type": "text", "text": "hi"}, {"type": "text", "text": "hi"}),
    (
        "text keeps cache_control",
        {"type": "text", "text": "hi", "cache_control": CC},
        {"type": "text", "text": "hi", "cache_control": CC},
    ),
    (
        "v1 text: extras.cache_control, id dropped",
        {"type": "text", "text": "hi", "id": "b1", "extras": {"cache_control": CC_1H}},
        {"type": "text", "text": "hi", "cache_control": CC_1H},
    ),
    (
        "v1 image url",
        {"type": "image", "url": "https://x/y.png"},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
    ),
    (
        "v1 image base64 with cache",
        {"type": "image", "base64": "AAA", "mime_type": "image/jpeg", "extras": {"cache_control": CC}},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAA"}, "cache_control": CC},
    ),
    (
        "v0 image base64",
        {"type": "image", "source_type": "base64", "data": "AAA", "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
    ),
    (
        "OpenAI image_url passes through with cache",
        {"type": "image_url", "image_url": {"url": "https://x", "detail": "low"}, "cache_control": CC},
        {"type": "image_url", "image_url": {"url": "https://x", "detail": "low"}, "cache_control": CC},
    ),
    (
        "Anthropic image source base64",
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "QQ"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,QQ"}},
    ),
    (
        "Anthropic image source url",
        {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}, "cache_control": CC},
        {"type": "image_url", "image_url": {"url": "https://x/a.png"}, "cache_control": CC},
    ),
    (
        "v1 pdf with filename and cache",
        {"type": "file", "base64": "JVB", "mime_type": "application/pdf", "filename": "a.pdf", "cache_control": CC},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVB", "filename": "a.pdf"}, "cache_control": CC},
    ),
    (
        "v1 pdf without filename gets one",
        {"type": "file", "base64": "JVB", "mime_type": "application/pdf"},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVB", "filename": "document.pdf"}},
    ),
    (
        "OpenAI file part passes through",
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVB", "filename": "x.pdf"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVB", "filename": "x.pdf"}},
    ),
    (
        "Anthropic document",
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVB"}, "title": "t.pdf"},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVB", "filename": "t.pdf"}},
    ),
    (
        "v1 audio",
        {"type": "audio", "base64": "UklG", "mime_type": "audio/wav"},
        {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
    ),
    (
        "v1 audio mpeg is mp3",
        {"type": "audio", "base64": "SUQz", "mime_type": "audio/mpeg"},
        {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}},
    ),
    (
        "OpenAI input_audio passes through",
        {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
    ),
    (
        "v1 video url",
        {"type": "video", "url": "https://x/v.mp4"},
        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
    ),
    ("v1 text-plain", {"type": "text-plain", "text": "notes", "mime_type": "text/plain"}, {"type": "text", "text": "notes"}),
    ("reasoning is not input content", {"type": "reasoning", "reasoning": "..."}, None),
    ("thinking is not input content", {"type": "thinking", "thinking": "...", "signature": "s"}, None),
]  # fmt: skip


@pytest.mark.parametrize(("block", "expected"), [pytest.param(b, e, id=i) for i, b, e in BLOCKS])
def test_convert_block(block: Any, expected: Any) -> None:
    assert convert_block(block) == expected


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "file_id": "file-1"},
        {"type": "file", "file_id": "file-1"},
        {"type": "audio", "url": "https://x/a.wav"},
    ],
)
def test_unsupported_sources_fail_clearly(block: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="NanoGPT"):
        convert_block(block)


CALL = {"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}
WIRE_CALL = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}

MESSAGES: list[tuple[str, BaseMessage, dict[str, Any]]] = [
    ("system", SystemMessage("be brief"), {"role": "system", "content": "be brief"}),
    ("human with name", HumanMessage("hi", name="ann"), {"role": "user", "content": "hi", "name": "ann"}),
    ("generic developer role", ChatMessage(role="developer", content="x"), {"role": "developer", "content": "x"}),
    ("ai text", AIMessage("hello"), {"role": "assistant", "content": "hello"}),
    ("ai tool call, no text", AIMessage("", tool_calls=[CALL]), {"role": "assistant", "content": None, "tool_calls": [WIRE_CALL]}),
    (
        "ai Anthropic content: text kept, tool_use folded into tool_calls",
        AIMessage(
            [{"type": "text", "text": "let me add"}, {"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1}}],
            tool_calls=[CALL],
        ),
        {"role": "assistant", "content": "let me add", "tool_calls": [WIRE_CALL]},
    ),
    (
        "ai orphan tool_use becomes a tool call",
        AIMessage([{"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1}}]),
        {"role": "assistant", "content": None, "tool_calls": [WIRE_CALL]},
    ),
    (
        "ai invalid tool call is sent back as written",
        AIMessage("", invalid_tool_calls=[{"type": "invalid_tool_call", "id": "c2", "name": "add", "args": "{bad", "error": "x"}]),
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c2", "type": "function", "function": {"name": "add", "arguments": "{bad"}}]},
    ),
    (
        "ai reasoning_details echoed",
        AIMessage("4", additional_kwargs={"reasoning_content": "2+2", "reasoning_details": [{"type": "reasoning.text", "text": "2+2"}]}),
        {"role": "assistant", "content": "4", "reasoning": "2+2", "reasoning_details": [{"type": "reasoning.text", "text": "2+2"}]},
    ),
    (
        "ai reasoning_content alone is sent back as reasoning text, no details invented",
        AIMessage("4", additional_kwargs={"reasoning_content": "2+2"}),
        {"role": "assistant", "content": "4", "reasoning": "2+2"},
    ),
    (
        "ai Anthropic thinking block → reasoning_details with signature",
        AIMessage([{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "hi"}]),
        {
            "role": "assistant",
            "content": "hi",
            "reasoning": "hmm",
            "reasoning_details": [{"type": "reasoning.text", "text": "hmm", "signature": "sig", "format": "anthropic-claude-v1"}],
        },
    ),
    (
        "ai v1 content: reasoning and tool_call blocks handled",
        AIMessage(
            [{"type": "reasoning", "reasoning": "think"}, {"type": "text", "text": "ok"}, {"type": "tool_call", **CALL}],
            tool_calls=[CALL],
        ),
        {"role": "assistant", "content": "ok", "tool_calls": [WIRE_CALL], "reasoning": "think"},
    ),
    (
        "ai text block with cache_control stays a block",
        AIMessage([{"type": "text", "text": "long", "cache_control": CC}]),
        {"role": "assistant", "content": [{"type": "text", "text": "long", "cache_control": CC}]},
    ),
    ("tool string", ToolMessage("3", tool_call_id="c1", name="add"), {"role": "tool", "tool_call_id": "c1", "content": "3"}),
    (
        "tool error status is stated in the text",
        ToolMessage("missing b", tool_call_id="c1", status="error"),
        {"role": "tool", "tool_call_id": "c1", "content": "Error: missing b"},
    ),
    (
        "tool cache_control hoisted from content to the tool message",
        ToolMessage([{"type": "text", "text": "big result", "cache_control": CC}], tool_call_id="c1"),
        {"role": "tool", "tool_call_id": "c1", "content": "big result", "cache_control": CC},
    ),
    (
        "tool image result keeps parts",
        ToolMessage([{"type": "image", "base64": "AAA", "mime_type": "image/png"}], tool_call_id="c1"),
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}}]},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("message", "expected"), [pytest.param(m, e, id=i) for i, m, e in MESSAGES])
def test_convert_message(message: BaseMessage, expected: dict[str, Any]) -> None:
    """What goes on the wire: the translation, then the core's message rules."""
    assert wire_messages([convert_message(message)])[0] == expected


def test_convert_messages_keeps_order_and_input_untouched() -> None:
    human = HumanMessage([{"type": "text", "text": "q", "cache_control": CC}])
    before = human.model_dump()
    wire = convert_messages([SystemMessage("s"), human, AIMessage("a")])
    assert [m["role"] for m in wire] == ["system", "user", "assistant"]
    assert human.model_dump() == before
