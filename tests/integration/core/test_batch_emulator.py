"""Batch jobs through the core against the emulator: 10,000 chat rows and 1,000 Responses rows
(sync and async), per-row failures, re-attaching from another process, cancel, expiry, the workflow
chosen by size, and failures the server finds at validation."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nanogpt_integrations.core import AsyncNanoGPTClient, BadRequestError, NanoGPTClient
from nanogpt_integrations.core.batch import (
    AsyncBatchClient,
    BatchClient,
    BatchFailedError,
    BatchJobHandle,
    BatchRequest,
    BatchRowError,
    BatchValidationError,
)
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

KEY = "test-key-for-the-emulator"
CHAT_MODEL = "openai/gpt-4o-mini"
FAST = {"poll_interval": 0.02, "max_poll_interval": 0.1, "timeout": 60.0}


def chat_rows(count: int, *, bad: int | None = None) -> Iterator[BatchRequest]:
    for i in range(count):
        body: dict[str, Any] = {
            "model": CHAT_MODEL,
            "messages": [{"role": "user", "content": f"Classify ticket {i}"}],
            "max_tokens": 16,
        }
        if i == bad:
            body["tools"] = "not-a-list"  # passes the batch rules; the row itself is rejected (400)
        yield BatchRequest(body, custom_id=f"ticket-{i}")


def responses_rows(count: int) -> Iterator[BatchRequest]:
    for i in range(count):
        body = {"model": "gpt-4.1-mini", "input": f"Summarise review {i}", "max_output_tokens": 32}
        yield BatchRequest(body, custom_id=f"review-{i}")


@pytest.fixture
def fast(emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    emulator.batches.phase_seconds = 0.01
    return emulator


@pytest.fixture
def batches(fast: NanoGPTEmulator) -> Iterator[BatchClient]:
    with BatchClient(NanoGPTClient(api_key=KEY, base_url=fast.base_url)) as client:
        yield client


def paths(emulator: NanoGPTEmulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests]


def check_chat_results(rows: list[Any], count: int, bad: int, emulator: NanoGPTEmulator, batch_id: str) -> None:
    assert [r.custom_id for r in rows] == [f"ticket-{i}" for i in range(count)]
    assert [r.index for r in rows] == list(range(count))
    failed = [r for r in rows if not r.ok]
    assert [r.custom_id for r in failed] == [f"ticket-{bad}"]
    assert isinstance(failed[0].error, BadRequestError) and failed[0].error.code == "invalid_tool_spec"
    for i in (0, bad - 1, bad + 1, count - 1):
        turn = rows[i].turn()
        assert turn.content == f"Hello! You said: Classify ticket {i}"
        assert turn.usage is not None and turn.usage.output_tokens > 0 and turn.cost == rows[i].cost
    stored = emulator.batches.batches[batch_id]
    total = sum(r.cost or 0.0 for r in rows)
    assert total == pytest.approx(stored.cost) and stored.cost == pytest.approx(stored.sync_cost / 2)
    assert sum(r.usage.total_tokens for r in rows if r.usage) > 10 * count


def test_10000_row_chat_batch_sync(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    job = batches.submit(chat_rows(10_000, bad=4321))
    assert job.workflow == "inline"  # 10,000 rows x 16 tokens fits the inline limits
    batch = job.wait(**FAST)
    assert (batch.status, batch.counts.completed, batch.counts.failed) == ("completed", 9_999, 1)
    check_chat_results(list(job.results()), 10_000, 4321, fast, job.id)
    assert "POST /api/beta/batches" in paths(fast) and "POST /api/v1/files" not in paths(fast)


def test_10000_row_chat_batch_async_file_backed(fast: NanoGPTEmulator) -> None:
    async def run() -> tuple[str, list[Any]]:
        async with AsyncBatchClient(AsyncNanoGPTClient(api_key=KEY, base_url=fast.base_url)) as batches:
            job = await batches.submit(chat_rows(10_000, bad=17), workflow="file")
            await job.wait(**FAST)
            return job.id, list(await job.results())

    batch_id, rows = asyncio.run(run())
    check_chat_results(rows, 10_000, 17, fast, batch_id)
    assert "POST /api/v1/files" in paths(fast)


def test_1000_row_responses_batch_sync_and_async(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    job = batches.submit(responses_rows(1_000), workflow="file")
    job.wait(**FAST)
    rows = list(job.results())

    async def run() -> list[Any]:
        async with AsyncBatchClient(api_key=KEY, base_url=fast.base_url) as client:
            ajob = await client.submit(responses_rows(1_000))
            assert ajob.workflow == "inline"
            await ajob.wait(**FAST)
            return list(await ajob.results())

    for result in (rows, asyncio.run(run())):
        assert [r.custom_id for r in result] == [f"review-{i}" for i in range(1_000)]
        assert all(r.ok for r in result)
        turn = result[999].turn()
        assert turn.content == "Hello! You said: Summarise review 999"
        assert turn.usage is not None and turn.usage.total_tokens > 0 and result[999].cost
    sent = [r.body for r in fast.requests if r.path == "/api/beta/batches"]
    assert sent[0]["endpoint"] == "/v1/responses" and sent[0]["model"] == "gpt-4.1-mini"


def test_auto_workflow_switches_to_a_file_past_the_inline_row_limit(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    job = batches.submit(chat_rows(10_001))
    assert job.workflow == "file"
    assert paths(fast)[:2] == ["POST /api/v1/files", "POST /api/v1/batches"]
    job.wait(**FAST)
    assert sum(1 for _ in job.results()) == 10_001


def test_a_bad_row_is_refused_before_anything_reaches_the_server(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    rows = [*chat_rows(3), BatchRequest({"model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}]}, custom_id="no-cap")]
    with pytest.raises(BatchValidationError, match=r"row 3 \('no-cap'\)"):
        batches.submit(rows, workflow="file")
    assert fast.requests == []


def test_a_job_is_reattached_by_id_from_another_process(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    fast.batches.auto = False
    file_job = batches.submit(chat_rows(300, bad=7), workflow="file")
    inline_job = batches.submit(responses_rows(20))
    fast.batches.advance(to_end=True)
    script = textwrap.dedent(
        """
        import json, sys
        from nanogpt_integrations.core.batch import BatchClient, BatchJobHandle
        batch_id, handle = sys.argv[1], sys.argv[2]
        with BatchClient() as client:  # key and URL from the environment
            by_id = client.attach(batch_id)
            by_handle = client.attach(BatchJobHandle.from_json(handle))
            out = {
                "file": [[r.custom_id, r.ok, r.ok and r.turn().content] for r in by_id.results()],
                "inline": [[r.custom_id, r.ok] for r in by_handle.results()],
                "workflows": [by_id.workflow, by_handle.workflow],
            }
        print(json.dumps(out))
        """
    )
    env = {**os.environ, "NANOGPT_API_KEY": KEY, "NANOGPT_BASE_URL": fast.base_url}
    done = subprocess.run(
        [sys.executable, "-c", script, file_job.id, inline_job.handle.to_json()],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["workflows"] == ["file", "inline"]
    assert [row[0] for row in out["file"]] == [f"ticket-{i}" for i in range(300)]
    assert out["file"][7][1] is False and out["file"][8] == ["ticket-8", True, "Hello! You said: Classify ticket 8"]
    assert out["inline"] == [[f"review-{i}", True] for i in range(20)]


def test_cancel_and_expiry_leave_no_row_silently_missing(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    fast.batches.auto = False
    job = batches.submit(chat_rows(5), workflow="file")
    fast.batches.advance(job.id)  # validating -> in_progress
    assert job.status().status == "in_progress"
    assert job.cancel().status == "cancelling"
    fast.batches.advance(job.id)
    assert job.wait(**FAST).status == "cancelled"
    rows = list(job.results())
    assert [r.custom_id for r in rows] == [f"ticket-{i}" for i in range(5)]
    assert all(isinstance(r.error, BatchRowError) and r.error.code == "batch_cancelled" for r in rows)

    expiring = batches.submit(responses_rows(3))
    fast.batches.expire(expiring.id)
    assert expiring.wait(**FAST).status == "expired"
    assert {r.error.code for r in expiring.results() if r.error} == {"batch_expired"}


def test_cancelling_mid_run_keeps_the_rows_already_done(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    fast.batches.phase_seconds = 0.5
    job = batches.submit(chat_rows(400), workflow="file")
    while True:  # the emulator's counts grow with time while in_progress
        batch = job.status()
        if batch.status == "in_progress" and batch.counts.completed >= 40:
            break
        assert batch.status in ("validating", "in_progress")
        time.sleep(0.005)
    job.cancel()
    job.wait(**FAST)
    rows = list(job.results())
    done = [r for r in rows if r.ok]
    assert 40 <= len(done) < 400
    assert [r.custom_id for r in done] == [f"ticket-{i}" for i in range(len(done))]
    assert all(r.error is not None and r.error.code == "batch_cancelled" for r in rows[len(done) :])


def test_rows_the_server_rejects_at_validation_fail_the_batch(batches: BatchClient, fast: NanoGPTEmulator, tmp_path: Any) -> None:
    path = tmp_path / "rows.jsonl"
    good = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": 5}
    lines = [
        {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": good},
        {"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {**good, "model": "other"}},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    uploaded = batches.upload_file(path)  # bypasses the client-side rules on purpose
    assert batches.retrieve_file(uploaded.id).bytes == path.stat().st_size
    created = batches.create_batch(input_file_id=uploaded.id, endpoint="/v1/chat/completions")
    job = batches.attach(BatchJobHandle(created.id, "file"))
    assert job.wait(**FAST).status == "failed"
    with pytest.raises(BatchFailedError, match=r"mixed_model: .* \(line 2\)"):
        job.results()


def test_listing_pages_newest_first(batches: BatchClient, fast: NanoGPTEmulator) -> None:
    ids = [batches.submit(chat_rows(1), workflow="file").id for _ in range(3)]
    first = batches.list_batches(limit=2)
    assert [b.id for b in first.data] == ids[::-1][:2] and first.has_more
    second = batches.list_batches(limit=2, after=first.last_id)
    assert [b.id for b in second.data] == [ids[0]] and not second.has_more
