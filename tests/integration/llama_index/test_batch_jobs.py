"""NanoGPTLLM batch jobs against the emulator: rows built by the ``chat`` path (tools and structured
output included), ``ChatResponse`` / ``CompletionResponse`` in input order with usage and cost, a
failed row, re-attaching from another process, cancel, validation before upload, the workflow by
size, callbacks and token counting."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse, MessageRole
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from nanogpt_integrations.core import BadRequestError
from nanogpt_integrations.core.batch import BatchRowError, BatchValidationError
from nanogpt_integrations.llama_index import NanoGPTBatchJob, NanoGPTLLM
from nanogpt_integrations.testing import NanoGPTEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

KEY = "test-key-for-the-emulator"
MODEL = "openai/gpt-4o-mini"
FAST = {"poll_interval": 0.02, "max_poll_interval": 0.1, "timeout": 60.0}


class Sentiment(BaseModel):
    """The sentiment of a review."""

    label: str
    score: float


def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


def llm_for(emulator: NanoGPTEmulator, **kwargs: Any) -> NanoGPTLLM:
    options = {"api_key": KEY, "api_base": emulator.base_url, "max_tokens": 16, "context_window": 128_000, **kwargs}
    return NanoGPTLLM(options.pop("model", MODEL), **options)


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


@pytest.fixture
def fast(emulator: NanoGPTEmulator) -> NanoGPTEmulator:
    emulator.batches.phase_seconds = 0.01
    return emulator


def rows_sent(emulator: NanoGPTEmulator, batch_id: str) -> list[dict[str, Any]]:
    return [row.body for row in emulator.batches.batches[batch_id].rows]


def posts(emulator: NanoGPTEmulator) -> list[str]:
    return [r.path for r in emulator.requests if r.method == "POST"]


def test_10000_chat_rows_in_input_order_with_usage_cost_and_one_failed_row(fast: NanoGPTEmulator) -> None:
    llm = llm_for(fast, temperature=0.1)
    row_kwargs: list[dict[str, Any]] = [{} for _ in range(10_000)]
    row_kwargs[17] = {"tools": [{"type": "web_search_preview"}]}  # the server rejects this row alone
    job = llm.batch_submit_chat([user(f"Classify ticket {i}") for i in range(10_000)], row_kwargs=row_kwargs)
    assert job.workflow == "inline"
    job.wait(**FAST)
    out = job.results(return_exceptions=True)
    assert [i for i, r in enumerate(out) if isinstance(r, Exception)] == [17]
    assert isinstance(out[17], BadRequestError)
    for i in (0, 16, 18, 9_999):
        response = out[i]
        assert isinstance(response, ChatResponse)
        assert response.message.content == f"Hello! You said: Classify ticket {i}"
        extra = response.additional_kwargs
        assert extra["total_tokens"] > 0 and extra["cost"] > 0 and extra["custom_id"] == f"row-{i}"
    stored = fast.batches.batches[job.id]
    assert job.totals is not None and job.totals.cost == pytest.approx(stored.cost) == pytest.approx(stored.sync_cost / 2)
    assert rows_sent(fast, job.id)[1] == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Classify ticket 1"}],
        "max_tokens": 16,
        "temperature": 0.1,
    }


def test_1000_responses_prompts_file_backed(fast: NanoGPTEmulator) -> None:
    llm = llm_for(fast, model="gpt-4.1-mini", max_tokens=32, use_responses_api=True)
    job = llm.batch_submit_complete([f"Summarise review {i}" for i in range(1_000)], workflow="file")
    assert posts(fast) == ["/api/v1/files", "/api/v1/batches"]
    out = job.wait_results(**FAST)
    assert all(isinstance(r, CompletionResponse) for r in out)
    assert [r.text for r in (out[0], out[999])] == ["Hello! You said: Summarise review 0", "Hello! You said: Summarise review 999"]
    assert all(r.additional_kwargs["cost"] > 0 and r.additional_kwargs["total_tokens"] > 0 for r in out)
    assert rows_sent(fast, job.id)[0]["max_output_tokens"] == 32 and fast.batches.batches[job.id].endpoint == "/v1/responses"


def test_a_row_is_the_body_chat_sends_minus_the_usage_request(fast: NanoGPTEmulator) -> None:
    llm = llm_for(fast, top_p=0.5, seed=3)
    tool = FunctionTool.from_defaults(fn=get_weather)
    messages = [ChatMessage(role=MessageRole.SYSTEM, content="Be brief."), *user("weather in Paris?")]
    llm.chat_with_tools([tool], chat_history=messages, tool_required=True, presence_penalty=0.2)
    synchronous = {k: v for k, v in fast.last_request("/chat/completions").body.items() if k != "include_usage"}
    job = llm.batch_submit_chat([messages], tools=[tool], tool_required=True, presence_penalty=0.2)
    (response,) = job.wait_results(**FAST)
    assert rows_sent(fast, job.id) == [synchronous]
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "get_weather"


@pytest.mark.parametrize("json_schema", [True, False])
def test_structured_output_rows_and_parsed_results(fast: NanoGPTEmulator, json_schema: bool) -> None:
    llm = llm_for(fast, supports_structured_output=json_schema)
    job = llm.batch_submit_complete(["I love it", "It broke"], output_cls=Sentiment)
    out = job.wait_results(**FAST)
    assert all(isinstance(r.raw, Sentiment) and json.loads(r.text) == r.raw.model_dump() for r in out)
    assert all(r.additional_kwargs["cost"] > 0 for r in out)
    sent = rows_sent(fast, job.id)[0]
    if json_schema:
        assert sent["response_format"]["json_schema"]["name"] == "Sentiment" and "tools" not in sent
    else:
        assert sent["tool_choice"] == {"type": "function", "function": {"name": "Sentiment"}}


def test_rules_are_raised_before_upload_naming_the_row(fast: NanoGPTEmulator) -> None:
    llm = llm_for(fast)
    responses = llm_for(fast, model="gpt-4.1-mini", use_responses_api=True, max_tokens=32)
    audio = ChatMessage(role=MessageRole.USER, blocks=[{"block_type": "audio", "audio": b"RIFF", "format": "wav"}])
    cases: list[tuple[Any, Any, dict[str, Any], str, int]] = [
        (llm.batch_submit_chat, [user("a"), user("b")], {"row_kwargs": [{}, {"stream": True}]}, "invalid_request", 1),
        (llm_for(fast, max_tokens=None).batch_submit_complete, ["a"], {}, "missing_output_cap", 0),
        (llm.batch_submit_chat, [user("a"), [audio]], {}, "unsupported_chat_content", 1),
        (llm.batch_submit_complete, ["a", "b"], {"row_kwargs": [{}, {"model": "openai/gpt-4o"}]}, "mixed_model", 1),
        (responses.batch_submit_complete, ["a"], {"tools": [{"type": "web_search"}]}, "unsupported_responses_tool", 0),
        (responses.batch_submit_complete, ["a"], {"previous_response_id": "resp_1"}, "unsupported_responses_field", 0),
        (llm.batch_submit_complete, ["a"], {"billing_mode": "paygo"}, "row_headers_unsupported", 0),
        (llm.batch_submit_chat, ["not a message list"], {}, "invalid_request", 0),
    ]
    for submit, inputs, options, rule, index in cases:
        with pytest.raises(BatchValidationError) as info:
            submit(inputs, **options)
        assert (info.value.rule, info.value.index) == (rule, index), (rule, str(info.value))
    with pytest.raises(ValueError, match="legacy /completions"):
        llm_for(fast, use_completions_endpoint=True).batch_submit_complete(["a"])
    assert fast.requests == []


def test_the_workflow_follows_size_or_the_caller(fast: NanoGPTEmulator) -> None:
    llm = llm_for(fast)
    assert llm.batch_submit_complete([f"q{i}" for i in range(10_001)]).workflow == "file"
    assert llm.batch_submit_complete(["a"], workflow="file").workflow == "file"
    assert llm.batch_submit_complete(["a"]).workflow == "inline"
    assert posts(fast)[-1] == "/api/beta/batches"


def test_a_job_is_reattached_by_id_in_another_process(fast: NanoGPTEmulator) -> None:
    fast.batches.auto = False
    llm = llm_for(fast)
    job = llm.batch_submit_complete([f"review {i}" for i in range(40)], workflow="file", output_cls=Sentiment)
    chat_job = llm.batch_submit_chat([user("one"), user("two")])
    fast.batches.advance(to_end=True)
    script = textwrap.dedent(
        """
        import json, sys
        from pydantic import BaseModel
        from nanogpt_integrations.llama_index import NanoGPTBatchJob, NanoGPTLLM

        class Sentiment(BaseModel):
            label: str
            score: float

        llm = NanoGPTLLM("openai/gpt-4o-mini", max_tokens=16, context_window=128000)  # key, URL: environment
        done = NanoGPTBatchJob.retrieve(sys.argv[1], llm, kind="complete", output_cls=Sentiment).results()
        chat = NanoGPTBatchJob.retrieve(sys.argv[2], llm).results()
        print(json.dumps({
            "parsed": [type(r.raw).__name__ for r in done],
            "chat": [r.message.content for r in chat],
            "cost": [r.additional_kwargs["cost"] > 0 for r in chat],
        }))
        """
    )
    env = {**os.environ, "NANOGPT_API_KEY": KEY, "NANOGPT_BASE_URL": fast.base_url}
    done = subprocess.run(
        [sys.executable, "-c", script, job.id, chat_job.id],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out == {"parsed": ["Sentiment"] * 40, "chat": ["Hello! You said: one", "Hello! You said: two"], "cost": [True, True]}


def test_cancel(fast: NanoGPTEmulator) -> None:
    fast.batches.auto = False
    job = llm_for(fast).batch_submit_chat([user("a"), user("b")])
    fast.batches.advance(job.id)
    assert job.cancel().status == "cancelling"
    fast.batches.advance(job.id)
    assert job.wait(**FAST).status == "cancelled"
    out = job.results(return_exceptions=True)
    assert all(isinstance(o, BatchRowError) and o.code == "batch_cancelled" for o in out)


def test_token_counting_sees_each_row_once_when_results_are_read(fast: NanoGPTEmulator) -> None:
    counter = TokenCountingHandler()
    llm = llm_for(fast, callback_manager=CallbackManager([counter]))
    job = llm.batch_submit_chat([user("a"), user("b c")])
    job.wait(**FAST)
    assert counter.llm_token_counts == []
    out = job.results()
    job.results()
    assert len(counter.llm_token_counts) == 2
    assert counter.total_llm_token_count == sum(r.additional_kwargs["total_tokens"] for r in out)


def test_async_submit_wait_and_reattach(fast: NanoGPTEmulator) -> None:
    llm = llm_for(fast)

    async def run() -> tuple[list[Any], list[Any]]:
        job = await llm.abatch_submit_chat([user("a"), user("b")], temperature=0.4)
        first = await job.await_results(**FAST)
        again = await (await NanoGPTBatchJob.aretrieve(job.handle, llm)).aresults()
        prompts = await (await llm.abatch_submit_complete(["p"], output_cls=Sentiment)).await_results(**FAST)
        return first + prompts, again

    first, again = asyncio.run(run())
    assert [r.message.content for r in first[:2]] == [r.message.content for r in again] == ["Hello! You said: a", "Hello! You said: b"]
    assert isinstance(first[2].raw, Sentiment)
    assert all(row["temperature"] == 0.4 for batch in list(fast.batches.batches.values())[:1] for row in [r.body for r in batch.rows])
