"""The Batch API clients against servers written here (``httpx.MockTransport``): the bytes sent
(multipart upload, create bodies), retried uploads, result files in any order, rows missing or failed,
whole-batch failures, ``wait()`` backoff and deadline, downloads cut short, re-attaching by id."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from nanogpt_integrations.core import (
    APIConnectionError,
    AsyncNanoGPTClient,
    BadRequestError,
    NanoGPTClient,
    RateLimitError,
)
from nanogpt_integrations.core.batch import (
    AsyncBatchClient,
    BatchClient,
    BatchFailedError,
    BatchJobHandle,
    BatchNotReadyError,
    BatchRequest,
    BatchRowError,
    BatchTimeoutError,
)
from nanogpt_integrations.core.batch import job as job_module

ROOT = "https://api.nano-gpt.com/api/v1"
BETA = "https://api.nano-gpt.com/api/beta"


def body(i: int) -> dict[str, Any]:
    return {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": f"q{i}"}], "max_tokens": 8}


def completion(text: str, cost: float = 0.001) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{text}",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        "x_nanogpt_pricing": {"cost": cost, "currency": "USD"},
    }


def line(custom_id: str, status: int, payload: Any, *, nested_first: bool = False) -> bytes:
    response = {"status_code": status, "request_id": f"req_{custom_id}", "body": payload}
    row = {"response": response, "custom_id": custom_id} if nested_first else {"custom_id": custom_id, "response": response}
    return json.dumps({"id": f"batch_req_{custom_id}", **row, "error": None}).encode() + b"\n"


class FakeBatchServer:
    """A scripted Batch API: records requests; statuses advance one per GET."""

    def __init__(self, statuses: list[str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self.statuses = list(statuses or ["completed"])
        self.files: dict[str, bytes] = {}
        self.batch: dict[str, Any] = {"id": "batch_1", "endpoint": "/v1/chat/completions", "input_file_id": "file_in"}
        self.fail_uploads = 0
        self.cut_download: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        path, method = request.url.path, request.method
        if method == "POST" and path == "/api/v1/files":
            if self.fail_uploads:
                self.fail_uploads -= 1
                return httpx.Response(503, json={"error": {"message": "busy"}})
            return httpx.Response(200, json={"id": "file_in", "object": "file", "purpose": "batch"})
        if method == "GET" and path.startswith("/api/v1/files/") and path.endswith("/content"):
            file_id = path.split("/")[-2]
            data = self.files[file_id]
            if file_id == self.cut_download:
                return httpx.Response(200, stream=_Cut(data))
            return httpx.Response(200, content=data)
        if method == "POST" and path in ("/api/v1/batches", "/api/beta/batches"):
            return httpx.Response(202 if "beta" in path else 200, json={**self.batch, "status": "validating"})
        if method == "GET" and path.startswith(("/api/v1/batches/", "/api/beta/batches/")):
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            return httpx.Response(200, json={**self.batch, "status": status})
        if method == "POST" and path.endswith("/cancel"):
            return httpx.Response(200, json={**self.batch, "status": "cancelling"})
        return httpx.Response(404, json={"error": {"message": "no route"}})


class _Cut(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[: len(self.data) // 2]
        raise httpx.ReadError("connection reset mid-download")


def client_for(server: Callable[[httpx.Request], httpx.Response]) -> BatchClient:
    return BatchClient(NanoGPTClient(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(server))))


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    sleeps: list[float] = []
    monkeypatch.setattr("nanogpt_integrations.core.client.time.sleep", sleeps.append)
    monkeypatch.setattr(job_module.time, "sleep", sleeps.append)
    return sleeps


def multipart_fields(request: httpx.Request, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    out = {}
    for part in raw.split(b"--" + boundary)[1:-1]:
        head, _, data = part.strip(b"\r\n").partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        filename = head.split(b'filename="')[1].split(b'"')[0].decode() if b"filename=" in head else None
        out[name] = (filename, data)
    return out


def test_file_workflow_sends_multipart_jsonl_then_the_create_body() -> None:
    server = FakeBatchServer()
    job = client_for(server).submit(
        [BatchRequest(body(i), custom_id=f"c{i}") for i in range(3)], workflow="file", metadata={"run": "7"}
    )
    upload, create = server.requests
    assert (upload.method, str(upload.url)) == ("POST", f"{ROOT}/files")
    assert upload.headers["authorization"] == "Bearer k"
    fields = multipart_fields(upload, server.bodies[0])
    assert fields["purpose"] == (None, b"batch")
    filename, data = fields["file"]
    assert filename == "batch.jsonl"
    rows = [json.loads(x) for x in data.splitlines()]
    assert rows == [{"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions", "body": body(i)} for i in range(3)]
    assert (create.method, str(create.url)) == ("POST", f"{ROOT}/batches")
    assert json.loads(server.bodies[1]) == {
        "input_file_id": "file_in",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {"run": "7"},
    }
    assert job.handle == BatchJobHandle("batch_1", "file", "/v1/chat/completions", input_file_id="file_in")


def test_a_retried_upload_sends_the_whole_file_again() -> None:
    server = FakeBatchServer()
    server.fail_uploads = 1
    client_for(server).submit([BatchRequest(body(i), custom_id=f"c{i}") for i in range(50)], workflow="file")
    first, second = server.bodies[0], server.bodies[1]
    assert [r.url.path for r in server.requests] == ["/api/v1/files", "/api/v1/files", "/api/v1/batches"]
    boundary_free = [multipart_fields(server.requests[i], server.bodies[i])["file"][1] for i in (0, 1)]
    assert boundary_free[0] == boundary_free[1] and len(boundary_free[0]) > 1000
    assert len(first) == len(second)


def test_inline_workflow_posts_the_requests_to_the_beta_root() -> None:
    server = FakeBatchServer()
    job = client_for(server).submit([BatchRequest(body(0), custom_id="a")])
    (create,) = server.requests
    assert str(create.url) == f"{BETA}/batches"
    assert json.loads(server.bodies[0]) == {
        "endpoint": "/v1/chat/completions",
        "model": "gpt-4.1-mini",
        "requests": [{"custom_id": "a", "body": {"messages": body(0)["messages"], "max_tokens": 8}}],
    }
    assert job.workflow == "inline" and job.handle.custom_ids == ("a",)


def test_results_in_input_order_from_files_in_any_order(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeBatchServer()
    server.batch.update(output_file_id="file_out", error_file_id="file_err")
    nested = {**completion("c2"), "metadata": {"custom_id": "c0"}}  # a body with a nested "custom_id" key
    server.files["file_out"] = b"".join(
        [line("c2", 200, nested, nested_first=True), line("c0", 200, completion("c0")), line("zz", 200, completion("zz"))]
    )
    server.files["file_err"] = b"".join(
        [
            line("c1", 429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}}),
            line("c3", 400, {"error": {"message": "bad tools", "code": "invalid_tool_spec"}}),
        ]
    )
    batches = client_for(server)
    job = batches.attach(BatchJobHandle("batch_1", "file", "/v1/chat/completions"))
    job._custom_ids = ["c0", "c1", "c2", "c3", "c4"]
    with caplog.at_level(logging.WARNING, logger="nanogpt_integrations"):
        rows = list(job.results())
    assert [(r.index, r.custom_id, r.ok) for r in rows] == [
        (0, "c0", True), (1, "c1", False), (2, "c2", True), (3, "c3", False), (4, "c4", False),
    ]  # fmt: skip
    assert rows[0].turn().content == "c0" and rows[2].turn().content == "c2"
    assert rows[0].usage is not None and rows[0].usage.total_tokens == 5 and rows[0].cost == 0.001
    assert rows[0].reply is not None and rows[0].reply.request_id == "req_c0"
    assert isinstance(rows[1].error, RateLimitError) and rows[1].error.code == "rate_limit_exceeded"
    assert isinstance(rows[3].error, BadRequestError) and "'c3'" in str(rows[3].error)
    assert rows[1].status_code == 429 and rows[1].error.request_id == "req_c1"
    assert isinstance(rows[4].error, BatchRowError) and rows[4].error.code == "missing_result"
    with pytest.raises(BatchRowError):
        rows[4].turn()
    assert "1 custom_id(s) not among the job's inputs" in caplog.text


def test_a_reattached_file_job_reads_its_order_from_the_input_file() -> None:
    server = FakeBatchServer()
    server.batch.update(output_file_id="file_out")
    server.files["file_in"] = b"".join(
        json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body(0)}).encode() + b"\n"
        for cid in ("b", "a", "c")
    )
    server.files["file_out"] = line("a", 200, completion("A")) + line("c", 200, completion("C")) + line("b", 200, completion("B"))
    job = client_for(server).attach("batch_1")
    assert [r.turn().content for r in job.results()] == ["B", "A", "C"]
    assert [r.url.path for r in server.requests] == [
        "/api/v1/batches/batch_1",  # attach; results() reuses it: a terminal batch no longer changes
        "/api/v1/files/file_out/content",
        "/api/v1/files/file_in/content",
    ]


def test_attach_by_id_falls_back_to_the_inline_root() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/"):
            return httpx.Response(404, json={"error": {"message": "no such batch"}})
        return httpx.Response(200, json={"id": "b", "status": "completed", "endpoint": "/v1/responses", "results": []})

    job = client_for(server).attach("b")
    assert job.workflow == "inline" and job.endpoint == "/v1/responses"


def test_unfinished_and_failed_batches_raise_typed_errors() -> None:
    running = client_for(FakeBatchServer(["in_progress"])).attach(BatchJobHandle("batch_1", "file"))
    with pytest.raises(BatchNotReadyError) as info:
        running.results()
    assert info.value.batch.status == "in_progress"
    server = FakeBatchServer(["failed"])
    server.batch["errors"] = {"object": "list", "data": [{"code": "mixed_model", "message": "one model", "line": 7}]}
    failed = client_for(server).attach(BatchJobHandle("batch_1", "file"))
    with pytest.raises(BatchFailedError, match=r"mixed_model: one model \(line 7\)") as error:
        failed.results()
    assert error.value.code == "mixed_model" and error.value.errors[0].line == 7


def test_wait_backs_off_reports_each_poll_and_returns_the_terminal_batch(no_sleep: list[float]) -> None:
    server = FakeBatchServer(["validating", "in_progress", "in_progress", "finalizing", "completed"])
    seen: list[str | None] = []
    job = client_for(server).attach(BatchJobHandle("batch_1", "file"))
    batch = job.wait(poll_interval=1.0, max_poll_interval=2.0, on_poll=lambda b: seen.append(b.status))
    assert batch.status == "completed" and job.last is batch
    assert seen == ["validating", "in_progress", "in_progress", "finalizing", "completed"]
    assert no_sleep == [1.0, 1.5, 2.0, 2.0]


def test_wait_past_its_deadline_raises_with_the_last_status(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(job_module.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(job_module.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    server = FakeBatchServer(["in_progress"])
    server.batch["request_counts"] = {"total": 10, "completed": 4, "failed": 1}
    job = client_for(server).attach(BatchJobHandle("batch_1", "file"))
    with pytest.raises(BatchTimeoutError, match=r"still 'in_progress' after 5.0s \(5/10 rows done\)") as info:
        job.wait(timeout=5.0, poll_interval=1.0)
    assert info.value.last.status == "in_progress"
    with pytest.raises(ValueError, match="poll_interval"):
        job.wait(timeout=5.0, poll_interval=0)


def test_a_download_cut_short_is_a_connection_error() -> None:
    server = FakeBatchServer()
    server.batch.update(output_file_id="file_out")
    server.files["file_out"] = line("a", 200, completion("A")) * 50
    server.cut_download = "file_out"
    job = client_for(server).attach(BatchJobHandle("batch_1", "file", custom_ids=("a",)))
    with pytest.raises(APIConnectionError, match="could not reach NanoGPT"):
        job.results()


def test_cancel_uses_the_workflow_root() -> None:
    server = FakeBatchServer()
    job = client_for(server).attach(BatchJobHandle("batch_1", "inline", custom_ids=("a",)))
    assert job.cancel().status == "cancelling"
    assert str(server.requests[-1].url) == f"{BETA}/batches/batch_1/cancel"


def test_handle_round_trips_through_json() -> None:
    handle = BatchJobHandle.inline("batch_9", "/v1/responses", ["x", "y"])
    assert BatchJobHandle.from_json(handle.to_json()) == handle
    assert json.loads(handle.to_json()) == {
        "batch_id": "batch_9", "workflow": "inline", "endpoint": "/v1/responses", "custom_ids": ["x", "y"],
    }  # fmt: skip
    with pytest.raises(ValueError, match="workflow"):
        BatchJobHandle.from_dict({"batch_id": "b", "workflow": "stream"})


def test_async_client_submits_and_joins_like_the_sync_one(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(job_module.asyncio, "sleep", no_sleep)
    server = FakeBatchServer(["in_progress", "completed"])
    server.batch.update(output_file_id="file_out")
    server.files["file_out"] = line("c1", 200, completion("one")) + line("c0", 200, completion("zero"))
    core = AsyncNanoGPTClient(api_key="k", http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)))

    async def run() -> list[str]:
        batches = AsyncBatchClient(core)
        job = await batches.submit([BatchRequest(body(i), custom_id=f"c{i}") for i in range(2)], workflow="file")
        await job.wait(poll_interval=0.01)
        return [row.turn().content for row in await job.results()]

    assert asyncio.run(run()) == ["zero", "one"]
    assert [r.url.path for r in server.requests][:2] == ["/api/v1/files", "/api/v1/batches"]
