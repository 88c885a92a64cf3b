"""ChatNanoGPT batch jobs against the emulator: the rows that went over the wire (built by the same
path as ``invoke``) and what the user gets back (``AIMessage`` s or parsed outputs, in input order,
with usage and cost), failures per row, re-attaching from another process, cancel, validation before
upload, the workflow chosen by size, ``use_batch_api=True`` with ``batch()``, and callbacks."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import LLMResult
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from nanogpt_integrations.core import BadRequestError
from nanogpt_integrations.core.batch import BatchNotReadyError, BatchRowError, BatchValidationError
from nanogpt_integrations.langchain import (
    ChatNanoGPT,
    NanoGPTBatchJob,
    abatch_submit,
    batch_submit,
    get_nanogpt_callback,
)
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

KEY = "test-key-for-the-emulator"
MODEL = "openai/gpt-4o-mini"
FAST = {"poll_interval": 0.02, "max_poll_interval": 0.1, "timeout": 60.0}
HOSTED = {"type": "web_search_preview"}  # a provider-hosted tool: chat rows with it fail on the server


class Sentiment(BaseModel):
    """The sentiment of a review."""

    label: str
    score: float


def chat(emulator: NanoGPTEmulator, **kwargs: Any) -> ChatNanoGPT:
    return ChatNanoGPT(**{"model": MODEL, "api_key": KEY, "base_url": emulator.base_url, "max_tokens": 16, **kwargs})


@pytest.fixture
def fast(emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    emulator.batches.phase_seconds = 0.01
    return emulator


def rows_sent(emulator: NanoGPTEmulator, batch_id: str) -> list[dict[str, Any]]:
    """The row bodies the emulator received for a batch (the batch's model filled in, as it runs them)."""
    return [row.body for row in emulator.batches.batches[batch_id].rows]


def posts(emulator: NanoGPTEmulator) -> list[str]:
    return [r.path for r in emulator.requests if r.method == "POST"]


def without_usage_request(body: dict[str, Any]) -> dict[str, Any]:
    """A synchronous chat body minus ``include_usage`` (batch rows carry no usage request)."""
    return {k: v for k, v in body.items() if k != "include_usage"}


# -- large jobs -----------------------------------------------------------------------------------------


def test_10000_row_chat_batch_in_input_order_with_usage_cost_and_one_failed_row(fast: NanoGPTEmulator) -> None:
    llm = chat(fast, temperature=0.2)
    inputs = [f"Classify ticket {i}" for i in range(10_000)]
    row_kwargs: list[dict[str, Any]] = [{} for _ in inputs]
    row_kwargs[4321] = {"tools": [HOSTED]}  # passes the batch rules; the server rejects this row alone
    job = llm.batch_submit(inputs, row_kwargs=row_kwargs)
    assert job.workflow == "inline" and posts(fast) == ["/api/beta/batches"]
    assert job.wait(**FAST).status == "completed"
    out = job.results(return_exceptions=True)

    assert len(out) == 10_000
    failed = [i for i, o in enumerate(out) if isinstance(o, Exception)]
    assert failed == [4321]
    assert isinstance(out[4321], BadRequestError) and "row-4321" in str(out[4321])
    for i in (0, 4320, 4322, 9_999):
        message = out[i]
        assert isinstance(message, AIMessage) and message.content == f"Hello! You said: Classify ticket {i}"
        assert message.usage_metadata is not None and message.usage_metadata["output_tokens"] > 0
        assert message.response_metadata["cost"] > 0
        assert message.response_metadata["custom_id"] == f"row-{i}"
        assert message.response_metadata["batch_id"] == job.id
    stored = fast.batches.batches[job.id]
    assert job.totals is not None and (job.totals.rows, job.totals.failed) == (10_000, 1)
    assert job.totals.cost == pytest.approx(stored.cost) == pytest.approx(stored.sync_cost / 2)
    sent = rows_sent(fast, job.id)
    assert sent[0] == {"model": MODEL, "messages": [{"role": "user", "content": "Classify ticket 0"}], "max_tokens": 16, "temperature": 0.2}
    assert sent[4321]["tools"] == [HOSTED]
    with pytest.raises(BadRequestError):
        job.results()  # without return_exceptions the failed row raises, as batch() does


def test_1000_row_responses_batch_file_backed(fast: NanoGPTEmulator) -> None:
    llm = chat(fast, model="gpt-4.1-mini", use_responses_api=True, max_tokens=32)
    job = llm.batch_submit([f"Summarise review {i}" for i in range(1_000)], workflow="file")
    assert job.workflow == "file" and posts(fast) == ["/api/v1/files", "/api/v1/batches"]
    out = job.wait_results(**FAST)
    assert [m.content for m in out[:2]] == ["Hello! You said: Summarise review 0", "Hello! You said: Summarise review 1"]
    assert out[999].content == "Hello! You said: Summarise review 999"
    assert all(m.usage_metadata and m.usage_metadata["total_tokens"] > 0 and m.response_metadata["cost"] > 0 for m in out)
    assert fast.batches.batches[job.id].endpoint == "/v1/responses"
    llm.invoke("Summarise review 0")
    assert rows_sent(fast, job.id)[0] == fast.last_request("/responses").body == {
        "model": "gpt-4.1-mini",
        "input": [{"type": "message", "role": "user", "content": "Summarise review 0"}],
        "max_output_tokens": 32,
    }  # a Responses row is exactly the synchronous body


# -- the same request path as invoke ---------------------------------------------------------------------


def test_a_row_is_the_body_invoke_sends_minus_the_usage_request(fast: NanoGPTEmulator) -> None:
    llm = chat(fast, temperature=0.3, top_p=0.9, seed=7)
    bound = llm.bind_tools([Sentiment], tool_choice="Sentiment").bind(presence_penalty=0.5, stop=["END"])
    messages = [SystemMessage("Be brief."), HumanMessage("I loved it")]
    bound.invoke(messages)
    synchronous = fast.last_request("/chat/completions").body
    job = bound.batch_submit([messages])
    job.wait(**FAST)
    assert rows_sent(fast, job.id) == [without_usage_request(synchronous)]
    (reply,) = job.results()
    assert reply.tool_calls[0]["name"] == "Sentiment"


def test_structured_output_through_the_module_function(fast: NanoGPTEmulator) -> None:
    llm = chat(fast)
    job = batch_submit(llm.with_structured_output(Sentiment), ["I love it", "It broke"])
    parsed = job.wait_results(**FAST)
    assert all(isinstance(p, Sentiment) for p in parsed)
    sent = rows_sent(fast, job.id)
    assert sent[0]["tool_choice"] == {"type": "function", "function": {"name": "Sentiment"}}
    assert sent[0]["tools"][0]["function"]["name"] == "Sentiment"
    assert "ls_structured_output_format" not in sent[0]

    raw_job = batch_submit(llm.with_structured_output(Sentiment, method="json_schema", include_raw=True), ["x"])
    (out,) = raw_job.wait_results(**FAST)
    assert isinstance(out["parsed"], Sentiment) and out["parsing_error"] is None
    assert out["raw"].usage_metadata["total_tokens"] > 0 and out["raw"].response_metadata["cost"] > 0
    assert rows_sent(fast, raw_job.id)[0]["response_format"]["type"] == "json_schema"


def test_a_prompt_runs_before_and_a_parser_after_the_model(fast: NanoGPTEmulator) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Classify."), ("user", "Review: {review}")])
    chain = prompt | chat(fast) | StrOutputParser()
    job = batch_submit(chain, [{"review": "great"}, {"review": "awful"}])
    assert job.wait_results(**FAST) == ["Hello! You said: Review: great", "Hello! You said: Review: awful"]
    assert rows_sent(fast, job.id)[1]["messages"] == [
        {"role": "system", "content": "Classify."},
        {"role": "user", "content": "Review: awful"},
    ]
    with pytest.raises(BatchValidationError, match=r"row 1\b.*review") as info:
        batch_submit(chain, [{"review": "ok"}, {"text": "no review key"}])
    assert info.value.rule == "invalid_input"


def test_unsupported_runnables_are_refused() -> None:
    llm = ChatNanoGPT(model=MODEL, api_key=KEY, max_tokens=8)
    with pytest.raises(TypeError, match="cannot submit RunnableWithFallbacks"):
        batch_submit(llm.with_fallbacks([llm]), ["x"])
    with pytest.raises(TypeError, match="more than one ChatNanoGPT"):
        batch_submit(llm | llm, ["x"])


# -- validation before upload, through the framework API ---------------------------------------------------


def test_every_row_rule_is_raised_before_upload_naming_the_row(fast: NanoGPTEmulator) -> None:
    llm = chat(fast)
    audio = HumanMessage([{"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}])
    cases: list[tuple[Any, list[Any], dict[str, Any], str, int]] = [
        (llm, ["a", "b"], {"row_kwargs": [{}, {"stream": True}]}, "invalid_request", 1),
        (llm, ["a", "b"], {"row_kwargs": [{}, {"extra_body": {"stream": True}}]}, "invalid_request", 1),
        (llm, ["a", "b", "c"], {"row_kwargs": [{}, {}, {"model": "openai/gpt-4o"}]}, "mixed_model", 2),
        (llm, ["a", "b"], {"row_kwargs": [{}, {"use_responses_api": True}]}, "mixed_endpoint", 1),
        (chat(fast, max_tokens=None), ["a"], {}, "missing_output_cap", 0),
        (llm, ["a", [audio]], {}, "unsupported_chat_content", 1),
        (llm, ["a"], {"provider": "openai"}, "row_headers_unsupported", 0),
        (llm, ["a"], {"verify_tee": True, "model": "TEE/gpt-oss-120b"}, "invalid_request", 0),
        (chat(fast, model="gpt-4.1-mini", use_responses_api=True).bind_tools([{"type": "web_search"}]), ["a"], {}, "unsupported_responses_tool", 0),
        (chat(fast, model="gpt-4.1-mini", use_responses_api=True), ["a"], {"max_tokens": 8}, "invalid_request", 0),
        (chat(fast, model="gpt-4.1-mini", use_responses_api=True), ["a"], {"caching": True}, "nanogpt_extension_unsupported", 0),
        (chat(fast, model="anthropic/claude-sonnet-4.5", use_responses_api=True), ["a"], {}, "unsupported_responses_model", 0),
        (llm, ["a", "b"], {"custom_ids": ["x", "x"]}, "duplicate_custom_id", 1),
        (llm, ["a", "b"], {"custom_ids": ["x"]}, "invalid_custom_id", 1),
    ]
    for runnable, inputs, options, rule, index in cases:
        with pytest.raises(BatchValidationError) as info:
            batch_submit(runnable, inputs, **options)
        assert (info.value.rule, info.value.index) == (rule, index), (rule, str(info.value))
        assert f"row {index}" in str(info.value)
    assert fast.requests == []


def test_the_workflow_follows_size_or_the_caller(fast: NanoGPTEmulator) -> None:
    llm = chat(fast)
    big = llm.batch_submit([f"q{i}" for i in range(10_001)])
    assert big.workflow == "file"
    small = llm.batch_submit(["a"], workflow="file", metadata={"team": "support"})
    assert small.workflow == "file" and fast.batches.batches[small.id].metadata == {"team": "support"}
    inline = llm.batch_submit(["a"])
    assert inline.workflow == "inline"
    assert posts(fast) == ["/api/v1/files", "/api/v1/batches", "/api/v1/files", "/api/v1/batches", "/api/beta/batches"]
    with pytest.raises(BatchValidationError) as info:
        llm.batch_submit(["a"] * 10_001, workflow="inline")
    assert info.value.rule == "inline_limit_exceeded"
    assert fast.batches.batches[big.id].lines == 10_001


# -- re-attach, cancel, not ready ------------------------------------------------------------------------


def test_a_job_is_reattached_by_id_in_another_process(fast: NanoGPTEmulator) -> None:
    fast.batches.auto = False
    llm = chat(fast)
    file_job = batch_submit(llm.with_structured_output(Sentiment), [f"review {i}" for i in range(50)], workflow="file")
    inline_job = llm.batch_submit(["first", "second", "third"])
    fast.batches.advance(to_end=True)
    script = textwrap.dedent(
        """
        import json, sys
        from pydantic import BaseModel
        from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPTBatchJob

        class Sentiment(BaseModel):
            label: str
            score: float

        llm = ChatNanoGPT(model="openai/gpt-4o-mini", max_tokens=16)  # key and URL from the environment
        parsed = NanoGPTBatchJob.retrieve(sys.argv[1], llm.with_structured_output(Sentiment)).results()
        messages = NanoGPTBatchJob.retrieve(sys.argv[2], llm).results()
        print(json.dumps({
            "parsed": [type(p).__name__ for p in parsed],
            "messages": [m.content for m in messages],
            "cost": [m.response_metadata["cost"] > 0 for m in messages],
        }))
        """
    )
    env = {**os.environ, "NANOGPT_API_KEY": KEY, "NANOGPT_BASE_URL": fast.base_url}
    done = subprocess.run(
        [sys.executable, "-c", script, file_job.id, inline_job.id],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["parsed"] == ["Sentiment"] * 50
    assert out["messages"] == ["Hello! You said: first", "Hello! You said: second", "Hello! You said: third"]
    assert out["cost"] == [True, True, True]


def test_cancel_and_results_before_the_end(fast: NanoGPTEmulator) -> None:
    fast.batches.auto = False
    job = chat(fast).batch_submit(["a", "b", "c"], workflow="file")
    with pytest.raises(BatchNotReadyError):
        job.results()
    fast.batches.advance(job.id)
    assert job.cancel().status == "cancelling"
    fast.batches.advance(job.id)
    assert job.wait(**FAST).status == "cancelled"
    out = job.results(return_exceptions=True)
    assert [type(o) for o in out] == [BatchRowError] * 3
    assert {o.code for o in out if isinstance(o, BatchRowError)} == {"batch_cancelled"}


# -- the drop-in: use_batch_api=True ------------------------------------------------------------------------


def test_batch_goes_through_the_batch_api_with_return_exceptions_per_row(fast: NanoGPTEmulator) -> None:
    fast.batches.phase_seconds = 0  # done at the first poll
    llm = chat(fast, use_batch_api=True)
    bad_content = [HumanMessage([{"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}])]
    inputs: list[Any] = ["one", bad_content, "three"]
    out = llm.batch(inputs, return_exceptions=True)
    assert out[0].content == "Hello! You said: one" and out[2].content == "Hello! You said: three"
    assert isinstance(out[1], BatchValidationError) and out[1].rule == "unsupported_chat_content"
    assert "/chat/completions" not in " ".join(posts(fast))
    (batch,) = fast.batches.batches.values()
    assert [row.custom_id for row in batch.rows] == ["row-0", "row-2"]  # the refused row was never sent
    with pytest.raises(BatchValidationError, match=r"row 1"):
        llm.batch(inputs)  # without return_exceptions nothing is sent
    assert len(fast.batches.batches) == 1
    everything_refused = llm.batch([bad_content, bad_content], return_exceptions=True)
    assert all(isinstance(o, BatchValidationError) for o in everything_refused) and len(fast.batches.batches) == 1


def test_batch_of_chains_and_bindings_uses_the_batch_api_when_asked(fast: NanoGPTEmulator) -> None:
    fast.batches.phase_seconds = 0
    llm = chat(fast)
    assert [m.content for m in llm.batch(["sync"])] == ["Hello! You said: sync"]
    assert posts(fast) == ["/api/v1/chat/completions"]  # off by default
    structured = llm.with_structured_output(Sentiment)  # batch kwargs reach the model step
    assert all(isinstance(p, Sentiment) for p in structured.batch(["good", "bad"], use_batch_api=True))
    chain = ChatPromptTemplate.from_messages([("user", "Say {word}")]) | llm.bind(use_batch_api=True) | StrOutputParser()
    assert chain.batch([{"word": "hi"}]) == ["Hello! You said: Say hi"]
    assert posts(fast)[1:] == ["/api/beta/batches", "/api/beta/batches"]
    assert asyncio.run(chat(fast, use_batch_api=True).abatch(["async"]))[0].content == "Hello! You said: async"
    assert posts(fast)[-1] == "/api/beta/batches"


# -- callbacks and cost totals ----------------------------------------------------------------------------


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(f"start:{messages[0][-1].content if messages[0] else ''}")
        self.metadata.append(kwargs.get("metadata") or {})

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append("end")

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append(f"error:{type(error).__name__}")


def test_get_nanogpt_callback_totals_the_batch_when_results_are_read(fast: NanoGPTEmulator) -> None:
    llm = chat(fast)
    recorder = Recorder()
    job = llm.batch_submit(["a", "b", "c"], {"callbacks": [recorder], "tags": ["nightly"]}, row_kwargs=[{}, {"tools": [HOSTED]}, {}])
    job.wait(**FAST)
    assert recorder.events == []  # nothing is reported before the results are read
    with get_nanogpt_callback() as cb:
        out = job.results(return_exceptions=True)
        job.results(return_exceptions=True)  # read again: the same objects, not counted twice
    assert cb.successful_requests == 2
    assert cb.total_tokens == sum(m.usage_metadata["total_tokens"] for m in out if isinstance(m, AIMessage))
    assert cb.total_cost == pytest.approx(fast.batches.batches[job.id].cost)
    assert recorder.events == ["start:a", "end", "start:b", "error:BadRequestError", "start:c", "end"]
    assert recorder.metadata[0]["nanogpt_batch_id"] == job.id and recorder.metadata[0]["ls_provider"] == "nanogpt"

    with get_nanogpt_callback() as drop_in:
        fast.batches.phase_seconds = 0
        chat(fast, use_batch_api=True).batch(["x", "y"])
    assert drop_in.successful_requests == 2 and drop_in.total_cost > 0


def test_async_submit_wait_and_reattach(fast: NanoGPTEmulator) -> None:
    llm = chat(fast)

    async def run() -> tuple[list[Any], list[Any], float]:
        job = await abatch_submit(llm.bind(temperature=0.5), ["a", "b"])
        first = await job.await_results(**FAST)
        with get_nanogpt_callback() as cb:
            again = await (await NanoGPTBatchJob.aretrieve(job.handle, llm)).aresults()
        return first, again, cb.total_cost

    first, again, cost = asyncio.run(run())
    assert [m.content for m in first] == [m.content for m in again] == ["Hello! You said: a", "Hello! You said: b"]
    assert cost == pytest.approx(sum(m.response_metadata["cost"] for m in first))
    (batch,) = fast.batches.batches.values()
    assert all(row.body["temperature"] == 0.5 for row in batch.rows)
