"""Framework batch jobs against a misbehaving Batch API written here (a real HTTP server on
127.0.0.1): a 503 on the first poll, results in another order, a row missing from the results, a
row whose reply cannot be read, a result for an id that was never sent. Every input still gets
exactly one output, in input order: a reply or that row's error."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole

from nanogpt_integrations.core import NanoGPTError
from nanogpt_integrations.core.batch import BatchRowError
from nanogpt_integrations.langchain import ChatNanoGPT, get_nanogpt_callback
from nanogpt_integrations.llama_index import NanoGPTLLM


def completion(text: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{text}",
        "object": "chat.completion",
        "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6},
        "x_nanogpt_pricing": {"cost": 0.5, "currency": "USD"},
    }


class Hostile(BaseHTTPRequestHandler):
    """Inline batches only: creation, then a 503, then a completed batch with odd results."""

    polls = 0
    sent: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).sent = body["requests"]
        self._json(202, {"id": "batch_x", "status": "validating"})

    def do_GET(self) -> None:
        type(self).polls += 1
        if type(self).polls == 1:
            self._json(503, {"error": {"message": "busy", "type": "server_error"}})
            return
        ids = [r["custom_id"] for r in type(self).sent]
        results = [
            {"custom_id": "stranger", "response": {"status_code": 200, "body": completion("?")}},
            {"custom_id": ids[2], "response": {"status_code": 200, "body": {"choices": "not a list"}}},
            *({"custom_id": i, "response": {"status_code": 200, "body": completion(f"reply {i}")}} for i in reversed(ids) if i not in ids[1:3]),
        ]  # ids[1] has no result at all
        self._json(200, {"id": "batch_x", "status": "completed", "results": results})


@pytest.fixture
def server() -> Iterator[str]:
    Hostile.polls = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1"
    httpd.shutdown()
    httpd.server_close()


def check(out: list[Any], kind: type) -> None:
    assert len(out) == 4
    assert isinstance(out[0], kind) and isinstance(out[3], kind)
    assert isinstance(out[1], BatchRowError) and out[1].code == "missing_result"
    assert isinstance(out[2], NanoGPTError) and "row-2" in str(out[2])


def test_langchain_gets_one_output_per_input(server: str) -> None:
    llm = ChatNanoGPT(model="gpt-4.1-mini", api_key="k", base_url=server, max_tokens=8)
    job = llm.batch_submit(["a", "b", "c", "d"])
    job.wait(poll_interval=0.01)
    with get_nanogpt_callback() as cb:
        out = job.results(return_exceptions=True)
    check(out, AIMessage)
    assert [out[0].content, out[3].content] == ["reply row-0", "reply row-3"]
    assert (cb.successful_requests, cb.total_cost) == (2, 1.0)
    assert job.totals is not None and (job.totals.succeeded, job.totals.failed, job.totals.cost) == (2, 2, 1.0)
    assert [r["body"]["messages"][0]["content"] for r in Hostile.sent] == ["a", "b", "c", "d"]


def test_llama_index_gets_one_output_per_input(server: str) -> None:
    llm = NanoGPTLLM("gpt-4.1-mini", api_key="k", api_base=server, max_tokens=8, context_window=1000, is_function_calling_model=True)
    job = llm.batch_submit_chat([[ChatMessage(role=MessageRole.USER, content=t)] for t in "abcd"])
    out = job.wait_results(poll_interval=0.01, return_exceptions=True)
    check(out, ChatResponse)
    assert out[3].message.content == "reply row-3" and out[3].additional_kwargs["cost"] == 0.5
