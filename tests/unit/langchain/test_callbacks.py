"""``NanoGPTCallbackHandler`` arithmetic on synthetic results (no server)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation, LLMResult

from nanogpt_integrations.core.calls import turn_from_text
from nanogpt_integrations.core.types import Completion
from nanogpt_integrations.langchain import NanoGPTCallbackHandler
from nanogpt_integrations.langchain._responses import text_result


def _chat_result(provider: str = "nanogpt", cost: float = 0.01) -> LLMResult:
    message = AIMessage(
        "hi",
        usage_metadata={
            "input_tokens": 10,
            "output_tokens": 5,
            "total_tokens": 15,
            "input_token_details": {"cache_read": 4, "cache_creation": 2},
            "output_token_details": {"reasoning": 1},
        },
        response_metadata={"model_provider": provider, "cost": cost},
    )
    return LLMResult(generations=[[ChatGeneration(message=message)]])


def test_chat_totals() -> None:
    handler = NanoGPTCallbackHandler()
    handler.on_llm_end(_chat_result())
    handler.on_llm_end(_chat_result(cost=0.02))
    handler.on_llm_end(_chat_result(provider="openai", cost=5.0))  # another provider: not NanoGPT's bill
    assert handler.successful_requests == 2
    assert (handler.prompt_tokens, handler.completion_tokens, handler.total_tokens) == (20, 10, 30)
    assert (handler.cache_read_tokens, handler.cache_creation_tokens, handler.reasoning_tokens) == (8, 4, 2)
    assert handler.total_cost == pytest.approx(0.03)


def test_text_llm_totals_use_generation_info() -> None:
    completion = Completion.model_validate(
        {
            "id": "cmpl-1",
            "model": "m",
            "choices": [{"text": "yo", "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            "x_nanogpt_pricing": {"amount": 0.004, "currency": "USD", "paymentSource": "USD"},
        }
    )
    text, info = text_result(turn_from_text(completion))
    assert text == "yo"
    assert info["cost"] == 0.004
    assert info["nanogpt_pricing"] == {"cost": 0.004, "currency": "USD", "payment_source": "USD"}
    handler = NanoGPTCallbackHandler()
    handler.on_llm_end(LLMResult(generations=[[Generation(text=text, generation_info=info)]]))
    assert (handler.successful_requests, handler.total_tokens, handler.total_cost) == (1, 5, 0.004)


@pytest.mark.parametrize(
    ("documents", "searches", "cost"),
    [
        (
            [
                Document("a", metadata={"cost": 0.006, "billed_by": "nanogpt"}),
                Document("b", metadata={"cost": 9}),
            ],
            1,
            0.006,
        ),
        ([Document("a", metadata={"cost": 0.006, "billed_by": "other"})], 0, 0.0),
        ([Document("a")], 0, 0.0),
        ([], 0, 0.0),
    ],
)
def test_retriever_costs(documents: list[Document], searches: int, cost: float) -> None:
    handler = NanoGPTCallbackHandler()
    handler.on_retriever_end(documents)
    assert handler.web_searches == searches
    assert handler.web_search_cost == pytest.approx(cost)
    assert handler.total_cost == pytest.approx(cost)
