"""The emulator's Batch API and rate limits, exercised with ``http.client`` only (no package client):
documented validation errors, status progression, output and error files, cancel, expiry, half-price
rows, the switchable 25 req/s limit and the per-key daily caps."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator

pytest_plugins = ["nanogpt_integrations.testing.pytest_plugin"]

KEY = "sk-nano-test"
CHAT = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    emu: NanoGPTEmulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    key: str = KEY,
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Authorization": f"Bearer {key}", **({"Content-Type": "application/json"} if body is not None else {})}
        conn.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def upload(emu: NanoGPTEmulator, data: bytes, purpose: str = "batch") -> Reply:
    boundary = uuid.uuid4().hex
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n{purpose}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return call(emu, "POST", "/api/v1/files", raw=raw, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def jsonl(*rows: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def row(custom_id: str, body: dict[str, Any] | None = None, url: str = "/v1/chat/completions") -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body or CHAT}


@pytest.fixture
def manual(emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    emulator.batches.auto = False
    return emulator


def file_batch(emu: NanoGPTEmulator, data: bytes, endpoint: str = "/v1/chat/completions") -> dict[str, Any]:
    file_id = upload(emu, data).json()["id"]
    reply = call(emu, "POST", "/api/v1/batches", {"input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h"})
    assert reply.status == 200, reply.body
    return reply.json()  # type: ignore[no-any-return]


def test_file_workflow_progresses_and_writes_output_and_error_files(manual: NanoGPTEmulator) -> None:
    bad = {**CHAT, "tools": [{"type": "nope"}]}
    data = jsonl(*(row(f"r{i}") for i in range(6)), row("bad", bad))
    uploaded = upload(manual, data).json()
    assert (uploaded["object"], uploaded["purpose"], uploaded["bytes"]) == ("file", "batch", len(data))
    assert call(manual, "GET", f"/api/v1/files/{uploaded['id']}/content").body == data
    batch = file_batch(manual, data)
    assert (batch["status"], batch["request_counts"]["total"]) == ("validating", 7)
    seen = []
    for _ in range(3):
        manual.batches.advance(batch["id"])
        seen.append(call(manual, "GET", f"/api/v1/batches/{batch['id']}").json())
    assert [b["status"] for b in seen] == ["in_progress", "finalizing", "completed"]
    done = seen[-1]
    assert done["request_counts"] == {"total": 7, "completed": 6, "failed": 1}
    assert done["completed_at"] and done["in_progress_at"] and done["expires_at"] == done["created_at"] + 86400
    output = [json.loads(x) for x in call(manual, "GET", f"/api/v1/files/{done['output_file_id']}/content").body.splitlines()]
    errors = [json.loads(x) for x in call(manual, "GET", f"/api/v1/files/{done['error_file_id']}/content").body.splitlines()]
    assert sorted(x["custom_id"] for x in output) == [f"r{i}" for i in range(6)]
    assert [x["custom_id"] for x in output] != [f"r{i}" for i in range(6)]  # any order: join by custom_id
    assert output[0]["response"]["status_code"] == 200 and output[0]["response"]["body"]["usage"]["total_tokens"] > 0
    assert errors[0]["custom_id"] == "bad" and errors[0]["response"]["status_code"] == 400
    assert errors[0]["response"]["body"]["error"]["code"] == "invalid_tool_spec"
    stored = manual.batches.batches[batch["id"]]
    costs = [x["response"]["body"]["x_nanogpt_pricing"]["cost"] for x in output]
    assert sum(costs) == pytest.approx(stored.cost) == pytest.approx(stored.sync_cost / 2)


def test_same_request_costs_half_in_a_batch(manual: NanoGPTEmulator) -> None:
    synchronous = call(manual, "POST", "/api/v1/chat/completions", CHAT).json()["x_nanogpt_pricing"]["cost"]
    batch = call(manual, "POST", "/api/beta/batches", {"endpoint": "/v1/chat/completions", "model": CHAT["model"],
                                                         "requests": [{"custom_id": "a", "body": {k: v for k, v in CHAT.items() if k != "model"}}]})  # fmt: skip
    assert batch.status == 202 and batch.json()["results"] is None
    manual.batches.advance(batch.json()["id"], to_end=True)
    done = call(manual, "GET", f"/api/beta/batches/{batch.json()['id']}").json()
    assert done["status"] == "completed" and done["model"] == CHAT["model"]
    (result,) = done["results"]
    assert result["response"]["body"]["x_nanogpt_pricing"]["cost"] == pytest.approx(synchronous / 2)


@pytest.mark.parametrize(
    ("rows", "code", "line"),
    [
        ([row("a"), row("b", {**CHAT, "model": "other"})], "mixed_model", 2),
        ([row("a"), row("b", url="/v1/responses")], "mixed_endpoint", 2),
        ([row("a", {**CHAT, "stream": True})], "streaming_unsupported", 1),
        ([row("a", {k: v for k, v in CHAT.items() if k != "max_tokens"})], "missing_output_cap", 1),
        ([row("a"), row("a")], "duplicate_custom_id", 2),
        ([row("a", url="/v1/embeddings")], "unsupported_endpoint", 1),
    ],
)
def test_file_rows_breaking_a_rule_fail_the_batch_at_validation(
    manual: NanoGPTEmulator, rows: list[dict[str, Any]], code: str, line: int
) -> None:
    batch = file_batch(manual, jsonl(*rows))
    manual.batches.advance(batch["id"])
    failed = call(manual, "GET", f"/api/v1/batches/{batch['id']}").json()
    assert failed["status"] == "failed" and failed["failed_at"]
    assert (failed["errors"]["data"][0]["code"], failed["errors"]["data"][0]["line"]) == (code, line)


RESP = {"model": "gpt-4.1-mini", "input": "hi", "max_output_tokens": 32}


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"endpoint": "/v1/embeddings", "model": "m", "requests": [{"custom_id": "a", "body": {}}]}, "unsupported_endpoint", 400),
        ({"endpoint": "/v1/responses", "model": "anthropic/claude", "requests": [{"custom_id": "a", "body": {"input": "x"}}]}, "unsupported_model", 400),
        ({"endpoint": "/v1/responses", "model": "gpt-5.4-pro", "requests": [{"custom_id": "a", "body": {"input": "x"}}]}, "unsupported_model", 400),
        ({"endpoint": "/v1/responses", "model": "gpt-4.1-mini", "requests": [{"custom_id": "a", "body": {"input": "x", "previous_response_id": "r"}}]}, "unsupported_responses_field", 400),
        ({"endpoint": "/v1/responses", "model": "gpt-4.1-mini", "requests": [{"custom_id": "a", "body": {"input": "x", "tools": [{"type": "web_search"}]}}]}, "unsupported_responses_field", 400),
        ({"endpoint": "/v1/responses", "model": "gpt-4.1-mini", "requests": [{"custom_id": "a", "body": {"input": "x", "max_output_tokens": 8}}]}, "missing_output_cap", 400),
        ({"endpoint": "/v1/chat/completions", "model": "m", "requests": [{"custom_id": "a", "body": {"messages": [{"role": "user", "content": "x"}], "stream": True}}]}, "streaming_unsupported", 400),
        ({"endpoint": "/v1/chat/completions", "model": "m", "requests": [{"custom_id": f"r{i}", "body": {"messages": [{"role": "user", "content": "x"}], "max_tokens": 1}} for i in range(10_001)]}, "inline_limit_exceeded", 400),
        ({"endpoint": "/v1/chat/completions", "model": "m", "requests": [{"custom_id": f"r{i}", "body": {"messages": [{"role": "user", "content": "x"}]}} for i in range(62)]}, "inline_limit_exceeded", 400),
    ],
    ids=["endpoint", "claude", "pro", "stateful", "hosted-tool", "cap<16", "stream", "rows", "default-caps"],
)  # fmt: skip
def test_inline_creation_errors(emulator: NanoGPTEmulator, body: dict[str, Any], code: str, status: int) -> None:
    reply = call(emulator, "POST", "/api/beta/batches", body)
    assert (reply.status, reply.json()["error"]["code"]) == (status, code)


def test_cancel_expire_and_unknown_ids(manual: NanoGPTEmulator) -> None:
    batch = file_batch(manual, jsonl(row("a"), row("b")))
    manual.batches.advance(batch["id"])
    cancelling = call(manual, "POST", f"/api/v1/batches/{batch['id']}/cancel").json()
    assert cancelling["status"] == "cancelling" and cancelling["cancelling_at"]
    manual.batches.advance(batch["id"])
    cancelled = call(manual, "GET", f"/api/v1/batches/{batch['id']}").json()
    assert cancelled["status"] == "cancelled" and cancelled["output_file_id"] is None
    again = call(manual, "POST", f"/api/v1/batches/{batch['id']}/cancel")
    assert again.status == 400 and "cancelled" in again.json()["error"]["message"]
    other = file_batch(manual, jsonl(row("a")))
    manual.batches.expire(other["id"])
    assert call(manual, "GET", f"/api/v1/batches/{other['id']}").json()["status"] == "expired"
    assert call(manual, "GET", f"/api/beta/batches/{other['id']}").status == 404  # wrong workflow root
    assert call(manual, "GET", "/api/v1/files/file-nope/content").status == 404


def test_upload_and_create_errors(emulator: NanoGPTEmulator) -> None:
    assert upload(emulator, b"x", purpose="fine-tune").json()["error"]["param"] == "purpose"
    plain = call(emulator, "POST", "/api/v1/files", {"purpose": "batch"})
    assert plain.status == 400
    file_id = upload(emulator, jsonl(row("a"))).json()["id"]
    window = call(emulator, "POST", "/api/v1/batches", {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "1h"})
    assert (window.status, window.json()["error"]["param"]) == (400, "completion_window")
    missing = call(emulator, "POST", "/api/v1/batches", {"input_file_id": "file-x", "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    assert missing.status == 404
    assert call(emulator, "GET", "/api/v1/batches?limit=0").status == 400


def test_timed_progression_reports_growing_counts(emulator: NanoGPTEmulator) -> None:
    emulator.batches.phase_seconds = 0.3
    batch = file_batch(emulator, jsonl(*(row(f"r{i}") for i in range(100))))
    statuses, counts = [], []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(0.01)
        current = call(emulator, "GET", f"/api/v1/batches/{batch['id']}").json()
        statuses.append(current["status"])
        counts.append(current["request_counts"]["completed"])
        if current["status"] == "completed":
            break
    assert [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]] == [
        "validating", "in_progress", "finalizing", "completed",
    ]  # fmt: skip
    assert counts == sorted(counts) and len(set(counts)) > 3 and counts[-1] == 100


# -- rate limits (api-reference/miscellaneous/rate-limits.mdx) ---------------------------------------


def test_global_requests_per_second(emulator: NanoGPTEmulator) -> None:
    emulator.limits.configure(requests_per_second=5)
    replies = [call(emulator, "GET", "/api/v1/models") for _ in range(12)]
    limited = [r for r in replies if r.status == 429]
    assert 1 <= len(limited) <= 7 and replies[0].status == 200
    assert limited[0].json()["error"]["code"] == "rate_limit_exceeded" and limited[0].headers["retry-after"] == "1"
    assert emulator.limits.rejected["rate_limit_exceeded"] == len(limited)
    emulator.clear()
    assert all(call(emulator, "GET", "/api/v1/models").status == 200 for _ in range(12))


def test_daily_request_cap_answers_429_until_midnight_utc(emulator: NanoGPTEmulator) -> None:
    emulator.limits.clock = lambda: datetime(2026, 3, 1, 23, 59, 0, 500_000, tzinfo=timezone.utc)
    emulator.limits.configure(daily_requests=2)
    assert [call(emulator, "POST", "/api/v1/chat/completions", CHAT).status for _ in range(2)] == [200, 200]
    blocked = call(emulator, "POST", "/api/v1/chat/completions", CHAT)
    assert blocked.status == 429 and blocked.headers["retry-after"] == "60"
    assert blocked.json() == {
        "error": {
            "message": "Daily request limit exceeded (2/2). Resets at midnight UTC.",
            "type": "rate_limit_error",
            "code": "daily_rpd_limit_exceeded",
        }
    }
    assert call(emulator, "POST", "/api/v1/chat/completions", CHAT, key="another-key").status == 200  # per key
    emulator.limits.clock = lambda: datetime(2026, 3, 2, 0, 0, 1, tzinfo=timezone.utc)
    assert call(emulator, "POST", "/api/v1/chat/completions", CHAT).status == 200  # reset at 00:00 UTC


def test_daily_usd_cap(emulator: NanoGPTEmulator) -> None:
    emulator.limits.configure(daily_usd=0.01)
    assert call(emulator, "POST", "/api/v1/chat/completions", CHAT).status == 200
    emulator.limits.spend(KEY, 0.01)
    blocked = call(emulator, "POST", "/api/v1/chat/completions", CHAT)
    assert blocked.status == 429 and blocked.json()["error"]["code"] == "daily_usd_limit_exceeded"
    assert 0 < int(blocked.headers["retry-after"]) <= 86400
    assert emulator.limits.snapshot()["rejected"] == {"daily_usd_limit_exceeded": 1}


def test_phases_end_on_time_however_rarely_a_batch_is_polled(emulator: NanoGPTEmulator) -> None:
    emulator.batches.phase_seconds = 0.05
    batch = file_batch(emulator, jsonl(row("a"), row("b")))
    time.sleep(0.25)  # three phases have passed: one read shows the end state
    done = call(emulator, "GET", f"/api/v1/batches/{batch['id']}").json()
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 2
