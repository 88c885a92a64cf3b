"""LlamaIndex messages and content blocks → what goes on the wire: the translation, then the core's
message rules (no server)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from nanogpt_integrations.core.messages import wire_messages
from nanogpt_integrations.llama_index._messages import message_to_wire, messages_to_wire


def sent(message: ChatMessage, *, replay_reasoning: bool = True) -> dict[str, Any]:
    """The wire form of one message."""
    return wire_messages([message_to_wire(message)], replay_reasoning=replay_reasoning)[0]


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


def cache(ttl: str = "5m") -> CachePoint:
    return CachePoint(cache_control=CacheControl(type="ephemeral", ttl=ttl))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (ChatMessage(role="user", content="hi"), {"role": "user", "content": "hi"}),
        (ChatMessage(role="system", content="be brief"), {"role": "system", "content": "be brief"}),
        (ChatMessage(role="developer", content="d"), {"role": "developer", "content": "d"}),
        (ChatMessage(role="chatbot", content="a"), {"role": "assistant", "content": "a"}),
        (
            ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")]),
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        ),
        (
            ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "call_1"}),
            {"role": "tool", "content": "42", "tool_call_id": "call_1"},
        ),
        (ChatMessage(role="user", content=""), {"role": "user", "content": ""}),
    ],
)
def test_plain_messages(message: ChatMessage, expected: dict[str, Any]) -> None:
    assert sent(message) == expected


def test_cache_point_marks_previous_block_with_ttl() -> None:
    msg = ChatMessage(role="user", blocks=[TextBlock(text="LONG"), cache("1h"), TextBlock(text="q")])
    assert sent(msg) == {
        "role": "user",
        "content": [
            {"type": "text", "text": "LONG", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
            {"type": "text", "text": "q"},
        ],
    }


def test_cache_point_in_system_message_is_kept() -> None:
    msg = ChatMessage(role="system", blocks=[TextBlock(text="big instructions"), cache()])
    assert sent(msg) == {
        "role": "system",
        "content": [
            {"type": "text", "text": "big instructions", "cache_control": {"type": "ephemeral", "ttl": "5m"}}
        ],
    }


def test_cache_point_first_is_an_error() -> None:
    with pytest.raises(ValueError, match="CachePoint must come after"):
        sent(ChatMessage(role="system", blocks=[cache(), TextBlock(text="x")]))


def test_cache_control_in_additional_kwargs_marks_last_block() -> None:
    msg = ChatMessage(
        role="user",
        blocks=[TextBlock(text="a"), TextBlock(text="b")],
        additional_kwargs={"cache_control": {"type": "ephemeral"}},
    )
    assert sent(msg)["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}},
    ]


def test_cache_point_in_tool_message() -> None:
    msg = ChatMessage(
        role="tool", blocks=[TextBlock(text="result"), cache()], additional_kwargs={"tool_call_id": "c1"}
    )
    wire = sent(msg)
    assert wire["tool_call_id"] == "c1"
    assert wire["content"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}


def test_image_url_is_passed_through_with_detail() -> None:
    msg = ChatMessage(
        role="user", blocks=[ImageBlock(url="https://example.com/cat.png", detail="low"), TextBlock(text="?")]
    )
    assert sent(msg)["content"] == [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        {"type": "text", "text": "?"},
    ]


def test_image_bytes_become_a_data_uri() -> None:
    part = sent(ChatMessage(role="user", blocks=[ImageBlock(image=PNG)]))["content"][0]
    assert part["type"] == "image_url"
    assert part["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_image_path_is_read_into_a_data_uri(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    part = sent(ChatMessage(role="user", blocks=[ImageBlock(path=path)]))["content"][0]
    assert part["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_document_bytes_become_a_file_part(tmp_path: Path) -> None:
    pdf = b"%PDF-1.4 minimal"
    msg = ChatMessage(
        role="user", blocks=[DocumentBlock(data=pdf, title="report.pdf", document_mimetype="application/pdf")]
    )
    part = sent(msg)["content"][0]
    assert part == {
        "type": "file",
        "file": {
            "filename": "report.pdf",
            "file_data": "data:application/pdf;base64," + base64.b64encode(pdf).decode(),
        },
    }


def test_audio_becomes_input_audio() -> None:
    wav = b"RIFF\x00\x00\x00\x00WAVEfmt "
    msg = ChatMessage(role="user", blocks=[AudioBlock(audio=wav, format="wav")])
    assert sent(msg)["content"] == [
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(wav).decode(), "format": "wav"}}
    ]


def test_video_url_becomes_video_url_part() -> None:
    msg = ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/clip.mp4")])
    assert sent(msg)["content"] == [
        {"type": "video_url", "video_url": {"url": "https://example.com/clip.mp4"}}
    ]


def test_citable_block_is_rendered_as_text_with_source() -> None:
    msg = ChatMessage(
        role="user", blocks=[CitableBlock(title="Doc", source="https://d.example", content="fact")]
    )
    assert sent(msg)["content"] == [
        {"type": "text", "text": "Source: Doc (https://d.example)"},
        {"type": "text", "text": "fact"},
    ]


def test_assistant_tool_calls_and_reasoning_are_sent_back() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="need a tool", additional_information={"reasoning_details": [{"x": 1}]}),
            ToolCallBlock(tool_call_id="call_a", tool_name="add", tool_kwargs={"a": 1}),
            ToolCallBlock(tool_call_id="call_b", tool_name="mul", tool_kwargs='{"b": 2}'),
        ],
    )
    assert sent(msg) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
            {"id": "call_b", "type": "function", "function": {"name": "mul", "arguments": '{"b": 2}'}},
        ],
        "reasoning": "need a tool",
        "reasoning_details": [{"x": 1}],
    }


def test_reasoning_replay_can_be_turned_off() -> None:
    msg = ChatMessage(role="assistant", blocks=[ThinkingBlock(content="t"), TextBlock(text="answer")])
    assert sent(msg, replay_reasoning=False) == {"role": "assistant", "content": "answer"}


def test_thinking_blocks_in_user_messages_are_not_sent() -> None:
    msg = ChatMessage(role="user", blocks=[ThinkingBlock(content="t"), TextBlock(text="q")])
    assert sent(msg) == {"role": "user", "content": "q"}


def test_legacy_additional_kwargs_tool_calls_are_used_without_blocks() -> None:
    call = {"id": "c9", "type": "function", "function": {"name": "f", "arguments": {"k": "v"}}}
    msg = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [call]})
    wire = sent(msg)
    assert wire["tool_calls"] == [
        {"id": "c9", "type": "function", "function": {"name": "f", "arguments": '{"k": "v"}'}}
    ]


def test_conversation_keeps_order_and_roles() -> None:
    wire = wire_messages(
        messages_to_wire(
            [
                ChatMessage(role=MessageRole.SYSTEM, content="s"),
                ChatMessage(role=MessageRole.USER, content="u"),
                ChatMessage(role=MessageRole.ASSISTANT, content="a"),
            ]
        )
    )
    assert [m["role"] for m in wire] == ["system", "user", "assistant"]
