"""Every documented batch rule fails before any request, naming the row and the rule
(``api-reference/endpoint/batches.mdx``: JSONL rules, Responses restrictions, Common errors, inline
limits), and the workflow is chosen by size (or by the caller)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import NanoGPTClient
from nanogpt_integrations.core.batch import (
    CHAT_ENDPOINT,
    INLINE_MAX_ROWS,
    RESPONSES_ENDPOINT,
    BatchClient,
    BatchRequest,
    BatchValidationError,
    prepare_batch,
)

MODEL = "gpt-4.1-mini"


def chat(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": 16, **extra}


def resp(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "input": text, "max_output_tokens": 32, **extra}


def rows_of(*bodies: dict[str, Any]) -> list[BatchRequest]:
    return [BatchRequest(body, custom_id=f"id-{i}") for i, body in enumerate(bodies)]


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
def batches(sent: list[httpx.Request]) -> BatchClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    return BatchClient(NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler))))


CASES: list[tuple[str, list[Any], str, int, str | None]] = [
    ("mixed model", rows_of(chat(), {**chat(), "model": "gpt-4o"}), "mixed_model", 1, "id-1"),
    ("mixed endpoint", rows_of(chat(), resp()), "mixed_endpoint", 1, "id-1"),
    ("stream", rows_of(chat(), chat(stream=True)), "stream_unsupported", 1, "id-1"),
    ("chat without cap", rows_of({"model": MODEL, "messages": [{"role": "user", "content": "x"}]}), "missing_output_cap", 0, "id-0"),
    ("chat with zero cap", rows_of(chat(max_tokens=0)), "missing_output_cap", 0, "id-0"),
    ("chat without messages", rows_of({"model": MODEL, "messages": [], "max_tokens": 5}), "missing_messages", 0, "id-0"),
    ("responses without cap", rows_of({"model": MODEL, "input": "x"}), "missing_output_cap", 0, "id-0"),
    ("responses cap under 16", rows_of(resp(max_output_tokens=15)), "output_cap_too_small", 0, "id-0"),
    ("responses without input", rows_of(resp(input="")), "missing_input", 0, "id-0"),
    ("previous_response_id", rows_of(resp(), resp(previous_response_id="resp_1")), "unsupported_responses_field", 1, "id-1"),
    ("conversation", rows_of(resp(conversation="conv_1")), "unsupported_responses_field", 0, "id-0"),
    ("background", rows_of(resp(background=True)), "unsupported_responses_field", 0, "id-0"),
    ("prompt reference", rows_of(resp(prompt={"id": "pmpt_1"})), "unsupported_responses_field", 0, "id-0"),
    ("hosted tool", rows_of(resp(tools=[{"type": "web_search"}])), "unsupported_responses_tool", 0, "id-0"),
    ("tool search", rows_of(resp(tools=[{"type": "nanogpt:tool_search"}])), "unsupported_responses_tool", 0, "id-0"),
    ("caching controls", rows_of(resp(prompt_caching={"enabled": True})), "nanogpt_extension_unsupported", 0, "id-0"),
    ("provider pin", rows_of(resp(provider={"order": ["openai"]})), "nanogpt_extension_unsupported", 0, "id-0"),
    ("billing override", rows_of(resp(billing_mode="paygo")), "nanogpt_extension_unsupported", 0, "id-0"),
    ("retention override", rows_of(resp(retention_days=3)), "nanogpt_extension_unsupported", 0, "id-0"),
    ("advisor", rows_of(resp(advisor={"model": "x"})), "nanogpt_extension_unsupported", 0, "id-0"),
    ("web search suffix", rows_of(resp(model=f"{MODEL}:online")), "nanogpt_extension_unsupported", 0, "id-0"),
    (
        "cache marker in input",
        rows_of(resp(input=[{"role": "user", "content": [{"type": "input_text", "text": "x", "cache_control": {"type": "ephemeral"}}]}])),
        "nanogpt_extension_unsupported",
        0,
        "id-0",
    ),
    (
        "input file",
        rows_of(resp(input=[{"role": "user", "content": [{"type": "input_file", "file_id": "file_1"}]}])),
        "unsupported_responses_input",
        0,
        "id-0",
    ),
    (
        "image by file id",
        rows_of(resp(input=[{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}])),
        "unsupported_responses_input",
        0,
        "id-0",
    ),
    ("item reference", rows_of(resp(input=[{"type": "item_reference", "id": "msg_1"}])), "unsupported_responses_input", 0, "id-0"),
    ("non-OpenAI Responses model", rows_of(resp(model="anthropic/claude-sonnet-4.5")), "unsupported_responses_model", 0, "id-0"),
    ("gpt-5.2-pro", rows_of(resp(model="openai/gpt-5.2-pro-2025-12-11")), "unsupported_responses_model", 0, "id-0"),
    ("duplicate custom_id", [BatchRequest(chat(), custom_id="a"), BatchRequest(chat(), custom_id="a")], "duplicate_custom_id", 1, "a"),
    ("empty custom_id", [BatchRequest(chat(), custom_id="")], "invalid_custom_id", 0, ""),
    ("unsupported url", [{"custom_id": "e", "method": "POST", "url": "/v1/embeddings", "body": chat()}], "unsupported_endpoint", 0, "e"),
    ("GET row", [{"custom_id": "g", "method": "GET", "url": CHAT_ENDPOINT, "body": chat()}], "invalid_method", 0, "g"),
    ("missing model", rows_of({"messages": [{"role": "user", "content": "x"}], "max_tokens": 5}), "missing_model", 0, "id-0"),
    ("row headers", [BatchRequest(chat(), custom_id="h", headers={"X-Provider": "openai"})], "row_headers_unsupported", 0, "h"),
    ("not a row", [chat()], "invalid_row", 0, None),
    ("unserialisable body", rows_of(chat(user=object())), "invalid_row", 0, "id-0"),
]


@pytest.mark.parametrize(("name", "rows", "rule", "index", "custom_id"), CASES, ids=[c[0] for c in CASES])
def test_rule_is_raised_before_any_request(
    batches: BatchClient,
    sent: list[httpx.Request],
    name: str,
    rows: list[Any],
    rule: str,
    index: int,
    custom_id: str | None,
) -> None:
    with pytest.raises(BatchValidationError) as info:
        batches.submit(rows)
    error = info.value
    assert (error.rule, error.code, error.index, error.custom_id) == (rule, rule, index, custom_id)
    assert f"row {index}" in str(error)
    if custom_id:
        assert repr(custom_id) in str(error)
    assert sent == []


def test_unknown_job_endpoint_and_empty_batch(batches: BatchClient, sent: list[httpx.Request]) -> None:
    with pytest.raises(BatchValidationError, match="cannot be batched") as info:
        batches.submit(rows_of(chat()), endpoint="/v1/embeddings")
    assert info.value.rule == "unsupported_endpoint"
    with pytest.raises(BatchValidationError) as empty:
        batches.submit([])
    assert empty.value.rule == "empty_batch"
    assert sent == []


@pytest.mark.parametrize(
    ("rows", "what"),
    [
        (lambda: (BatchRequest(chat(), custom_id=f"r{i}") for i in range(INLINE_MAX_ROWS + 1)), "10,000 rows"),
        (lambda: rows_of(*[chat(max_tokens=100_000)] * 3), "250,000 requested output tokens"),
        (lambda: rows_of(*[chat("x" * 1_000_000)] * 21), "20 MiB"),
    ],
    ids=["rows", "output tokens", "bytes"],
)
def test_forced_inline_over_a_limit_suggests_the_file_workflow(
    batches: BatchClient, sent: list[httpx.Request], rows: Any, what: str
) -> None:
    with pytest.raises(BatchValidationError, match="file-backed workflow") as info:
        batches.submit(rows(), workflow="inline")
    assert info.value.rule == "inline_limit_exceeded"
    assert what in str(info.value)
    assert info.value.custom_id is not None
    assert sent == []


def test_auto_picks_inline_while_it_fits_and_the_file_workflow_past_any_limit() -> None:
    small = prepare_batch(rows_of(chat(), chat()))
    assert (small.workflow, small.endpoint, small.model, small.custom_ids) == ("inline", CHAT_ENDPOINT, MODEL, ["id-0", "id-1"])
    assert not small.spool.spilled
    many = prepare_batch(BatchRequest(chat(), custom_id=f"r{i}") for i in range(INLINE_MAX_ROWS + 1))
    assert many.workflow == "file" and many.spool.spilled and many.rows == INLINE_MAX_ROWS + 1
    tokens = prepare_batch(rows_of(*[resp(max_output_tokens=200_000)] * 2))
    assert (tokens.workflow, tokens.endpoint, tokens.output_tokens) == ("file", RESPONSES_ENDPOINT, 400_000)
    forced = prepare_batch(rows_of(chat()), workflow="file")
    assert forced.workflow == "file" and forced.spool.spilled
    for prepared in (small, many, tokens, forced):
        prepared.close()


def test_inline_body_moves_the_model_to_the_batch_and_keeps_the_rest() -> None:
    prepared = prepare_batch([BatchRequest(chat("a", temperature=0), custom_id="x")])
    assert prepared.inline_body() == {
        "endpoint": CHAT_ENDPOINT,
        "model": MODEL,
        "requests": [
            {"custom_id": "x", "body": {"messages": [{"role": "user", "content": "a"}], "max_tokens": 16, "temperature": 0}}
        ],
    }


def test_file_rows_are_openai_style_jsonl_and_the_input_is_untouched() -> None:
    body = chat("é")
    prepared = prepare_batch([BatchRequest(body, custom_id="x")], workflow="file")
    assert prepared.jsonl_file().read() == (
        '{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":'
        '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"é"}],"max_tokens":16}}\n'
    ).encode()
    assert body == chat("é")


def test_a_route_name_is_accepted_as_the_row_endpoint_and_other_routes_are_not() -> None:
    prepared = prepare_batch([BatchRequest(resp(), custom_id="a", endpoint="responses")])
    assert prepared.endpoint == RESPONSES_ENDPOINT
    with pytest.raises(BatchValidationError, match="cannot be batched") as info:
        prepare_batch([BatchRequest(chat(), custom_id="t", endpoint="tee")])
    assert (info.value.rule, info.value.custom_id) == ("unsupported_endpoint", "t")


def test_rows_without_ids_get_positional_ids_and_endpoint_is_inferred() -> None:
    prepared = prepare_batch([BatchRequest(resp()), {"custom_id": "named", "body": resp()}])
    assert prepared.custom_ids == ["row-0", "named"]
    assert prepared.endpoint == RESPONSES_ENDPOINT


def test_metadata_forces_the_file_workflow_and_inline_metadata_is_refused(batches: BatchClient) -> None:
    with pytest.raises(ValueError, match="metadata"):
        batches.submit(rows_of(chat()), workflow="inline", metadata={"a": "b"})
