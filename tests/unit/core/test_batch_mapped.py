"""The core's part of framework batch jobs: rows from finished requests (errors naming the row, rows
refused and left out), totals, results read once and put back in input order, sync and async
clients on one job; batch rows that ask to stream; the chat content batch rows accept."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import AsyncNanoGPTClient, BadRequestError, NanoGPTClient
from nanogpt_integrations.core.batch import (
    BatchClient,
    BatchOutputLine,
    BatchRequest,
    BatchTotals,
    BatchValidationError,
    MappedBatchJob,
    RowOutcome,
    prepare_batch,
    wire_rows,
)
from nanogpt_integrations.core.batch.results import BatchResult, join_lines
from nanogpt_integrations.core.request import ChatRequest, WireRequest, build_request
from nanogpt_integrations.testing.batch_rows import row_problem

MODEL = "gpt-4.1-mini"


def wire(text: str, **extra: Any) -> WireRequest:
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": 8, **extra}
    return WireRequest("chat", body, {})


# -- wire_rows --------------------------------------------------------------------------------------


def test_rows_are_named_by_position_or_by_the_given_ids() -> None:
    rows = list(wire_rows(["a", "b"], wire))
    assert [(r.custom_id, r.endpoint, r.body["messages"][0]["content"]) for r in rows] == [
        ("row-0", "chat", "a"),
        ("row-1", "chat", "b"),
    ]
    assert [r.custom_id for r in wire_rows(["a"], wire, custom_ids=["ticket-9"])] == ["ticket-9"]


def test_a_build_error_names_the_row_and_count_mismatches_are_refused() -> None:
    def build(text: str) -> WireRequest:
        if text == "bad":
            raise ValueError("tool_choice given without tools")
        return wire(text)

    with pytest.raises(BatchValidationError, match=r"row 1 \('row-1'\): tool_choice given") as info:
        list(wire_rows(["ok", "bad"], build))
    assert info.value.rule == "invalid_request" and isinstance(info.value.__cause__, ValueError)
    with pytest.raises(BatchValidationError, match="more inputs than custom_ids"):
        list(wire_rows(["a", "b"], wire, custom_ids=["x"]))
    with pytest.raises(BatchValidationError, match="2 custom_ids for 1 inputs"):
        list(wire_rows(["a"], wire, custom_ids=["x", "y"]))


def test_refused_rows_are_recorded_and_left_out() -> None:
    refused: dict[int, BaseException] = {}

    def build(text: str) -> WireRequest:
        if text == "boom":
            raise TypeError("not a message")
        return wire(text, model="gpt-4o") if text == "other model" else wire(text)

    kept = list(wire_rows(["a", "boom", "other model", "d"], build, refused=refused))
    assert [r.custom_id for r in kept] == ["row-0", "row-3"]
    assert {i: e.rule for i, e in refused.items() if isinstance(e, BatchValidationError)} == {
        1: "invalid_request",
        2: "mixed_model",
    }


# -- totals and the job --------------------------------------------------------------------------------


def completion(text: str, cost: float) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{text}",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "prompt_tokens_details": {"cached_tokens": 1}},
        "x_nanogpt_pricing": {"cost": cost, "currency": "USD"},
    }


def result_line(custom_id: str, status: int, body: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "response": {"status_code": status, "request_id": f"req_{custom_id}", "body": body}}


def test_totals_count_tokens_and_cost_of_the_rows_that_succeeded() -> None:
    lines = [BatchOutputLine.model_validate(result_line("a", 200, completion("a", 0.25))),
             BatchOutputLine.model_validate(result_line("b", 400, {"error": {"message": "bad"}}))]  # fmt: skip
    outcomes = [RowOutcome.of(r) for r in join_lines(["a", "b"], lines, endpoint="/v1/chat/completions", status="completed")]
    assert outcomes[0].turn is not None and isinstance(outcomes[1].error, BadRequestError)
    totals = BatchTotals.of(outcomes, refused=1)
    assert (totals.rows, totals.succeeded, totals.failed) == (3, 1, 2)
    assert (totals.input_tokens, totals.output_tokens, totals.total_tokens, totals.cache_read_tokens) == (3, 2, 5, 1)
    assert totals.cost == 0.25


def test_an_inline_job_attached_by_id_alone_gets_default_ids_back_in_input_order() -> None:
    lines = [BatchOutputLine.model_validate(result_line(f"row-{i}", 200, completion(str(i), 0.1))) for i in (2, 0, 10, 1, *range(3, 10))]
    ordered = list(join_lines(None, lines, endpoint="/v1/chat/completions", status="completed"))
    assert [r.custom_id for r in ordered] == [f"row-{i}" for i in range(11)]
    custom = [BatchOutputLine.model_validate(result_line(name, 200, completion(name, 0.1))) for name in ("b", "a")]
    assert [r.custom_id for r in join_lines(None, custom, endpoint="/v1/chat/completions", status="completed")] == ["b", "a"]


class Texts(MappedBatchJob[str]):
    """A job whose rows come back as their reply text; counts conversions."""

    conversions = 0

    def _convert(self, outcomes: list[RowOutcome]) -> list[str | BaseException]:
        type(self).conversions += 1
        return [o.turn.content if o.turn is not None else o.error or RuntimeError() for o in outcomes]


class InlineServer:
    """An inline batch API: answers creation, then a completed batch with results (rows it was sent)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.rows: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if request.method == "POST" and request.url.path == "/api/beta/batches":
            self.rows = [r["custom_id"] for r in json.loads(request.content)["requests"]]
            return httpx.Response(202, json={"id": "batch_1", "status": "validating"})
        results = [
            result_line(cid, 400, {"error": {"message": "nope"}}) if cid == "row-2" else result_line(cid, 200, completion(cid, 0.5))
            for cid in reversed(self.rows)
        ]
        return httpx.Response(200, json={"id": "batch_1", "status": "completed", "results": results})


def test_results_are_read_once_with_refused_rows_back_in_place_from_either_client() -> None:
    server = InlineServer()
    transport = httpx.MockTransport(server)
    sync = NanoGPTClient(api_key="k", base_url="https://x.test/api/v1", http_client=httpx.Client(transport=transport))
    refused: dict[int, BaseException] = {}
    rows = wire_rows(["a", "b", "c", "d"], lambda t: wire(t, stream=True) if t == "b" else wire(t), refused=refused)
    core = BatchClient(sync).submit(rows)
    assert server.rows == ["row-0", "row-2", "row-3"] and list(refused) == [1]

    def async_client() -> AsyncNanoGPTClient:
        return AsyncNanoGPTClient(api_key="k", base_url="https://x.test/api/v1", http_client=httpx.AsyncClient(transport=transport))

    job = Texts(core, sync_client=lambda: sync, async_client=async_client, refused=refused)
    assert asyncio.run(job.astatus()).status == "completed"  # a sync-submitted job, polled from async code
    Texts.conversions = 0
    out = job.results(return_exceptions=True)
    assert out[0] == "row-0" and out[3] == "row-3"
    assert isinstance(out[1], BatchValidationError) and out[1].rule == "stream_unsupported"
    assert isinstance(out[2], BadRequestError)
    with pytest.raises(BatchValidationError):
        job.results()  # the first failed row raises without return_exceptions
    assert asyncio.run(job.aresults(return_exceptions=True)) == out and Texts.conversions == 1
    assert job.totals == BatchTotals(4, 2, 2, 6, 4, 10, 2, 0, 0, 1.0)
    assert sum(1 for method, _ in server.requests if method == "POST") == 1


# -- rows that ask to stream; content of chat rows ----------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        {"call": {"stream": True}},
        {"call": {"model_kwargs": {"stream": True}}},
        {"extra": {"stream": True}},
        {"extra_body": {"stream": True}},
        {"call": {"extra_body": {"stream": True}}},
        {"stream": True},
    ],
)
def test_a_batch_row_refuses_any_request_to_stream(where: dict[str, Any]) -> None:
    request = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "x"}], batch_row=True, **where)
    with pytest.raises(ValueError, match="non-streaming"):
        build_request(request)
    plain = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "x"}], batch_row=True, call={"use_batch_api": True})
    assert build_request(plain).body == {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}


def content(*parts: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": list(parts)}], "max_tokens": 8}


TEXT = {"type": "text", "text": "look"}


@pytest.mark.parametrize(
    "part",
    [
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}},
        {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
        {"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2Zz4="}},
        {"type": "image_url", "image_url": {"url": "ftp://example.com/a.png"}},
    ],
)
def test_chat_rows_refuse_content_batches_do_not_take(part: dict[str, Any]) -> None:
    with pytest.raises(BatchValidationError) as info:
        prepare_batch([BatchRequest(content(TEXT, part), custom_id="c")])
    assert (info.value.rule, info.value.index, info.value.custom_id) == ("unsupported_chat_content", 0, "c")
    assert row_problem(content(TEXT, part), "/v1/chat/completions", MODEL, cap_required=True) is not None


@pytest.mark.parametrize(
    "url", ["https://example.com/a.png", "http://x.test/b", "data:image/png;base64,iVBO", "data:image/jpeg;base64,/9j/", "DATA:IMAGE/WEBP;base64,UklG", "data:image/gif;base64,R0lG"]
)
def test_chat_rows_take_text_and_supported_images(url: str) -> None:
    body = content(TEXT, {"type": "image_url", "image_url": {"url": url, "detail": "low"}})
    with prepare_batch([BatchRequest(body)]) as prepared:
        assert prepared.rows == 1
    assert row_problem(body, "/v1/chat/completions", MODEL, cap_required=True) is None


def test_results_of_a_result_object_are_typed() -> None:
    line = BatchOutputLine.model_validate(result_line("a", 200, completion("hi", 0.1)))
    (result,) = join_lines(["a"], [line], endpoint="/v1/chat/completions", status="completed")
    assert isinstance(result, BatchResult) and RowOutcome.of(result).turn is not None
