"""End to end against the emulator: an LCEL chain, and ``get_nanogpt_callback`` totals."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough

from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPT, get_nanogpt_callback
from nanogpt_integrations.testing import NanoGPTEmulator


def chat(emulator: NanoGPTEmulator, **kwargs: Any) -> ChatNanoGPT:
    return ChatNanoGPT(
        **{
            "model": "anthropic/claude-sonnet-4.5",
            "api_key": "test-key",
            "base_url": emulator.base_url,
            **kwargs,
        }
    )


def test_lcel_chain(emulator: NanoGPTEmulator) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "You translate."), ("human", "Say {word}")])
    chain = prompt | chat(emulator) | StrOutputParser()
    assert chain.invoke({"word": "bonjour"}) == "Hello! You said: Say bonjour"
    assert "".join(chain.stream({"word": "hola"})) == "Hello! You said: Say hola"
    assert chain.batch([{"word": "a"}, {"word": "b"}]) == ["Hello! You said: Say a", "Hello! You said: Say b"]
    messages = emulator.last_request("/chat/completions").body["messages"]
    assert messages[0] == {"role": "system", "content": "You translate."}


def _sum_costs(results: list[Any]) -> float:
    return sum(r.response_metadata["cost"] for r in results)


def test_callback_totals_over_a_batch(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)
    with get_nanogpt_callback() as cb:
        results = model.batch(["one", "two", "three"])
        streamed = None
        for chunk in model.stream("four"):
            streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    everything = [*results, streamed]
    assert cb.successful_requests == 4
    assert cb.prompt_tokens == sum(r.usage_metadata["input_tokens"] for r in everything)
    assert cb.completion_tokens == sum(r.usage_metadata["output_tokens"] for r in everything)
    assert cb.total_tokens == cb.prompt_tokens + cb.completion_tokens
    assert cb.total_cost == pytest.approx(_sum_costs(everything))
    assert cb.total_cost > 0
    assert "Charged by NanoGPT" in repr(cb)


def test_callback_counts_cache_and_reasoning_tokens(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)
    system = [{"type": "text", "text": "manual " * 300, "cache_control": {"type": "ephemeral"}}]
    with get_nanogpt_callback() as cb:
        model.invoke([("system", system), ("human", "first")])  # type: ignore[list-item]
        model.invoke([("system", system), ("human", "second")])  # type: ignore[list-item]
        chat(emulator, model="deepseek/deepseek-r1").invoke("think")
    assert cb.cache_creation_tokens > 0
    assert cb.cache_read_tokens > 0
    assert cb.cached_tokens == cb.cache_read_tokens
    assert cb.reasoning_tokens > 0


async def test_callback_is_task_safe(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)

    async def run(n: int) -> tuple[int, float]:
        with get_nanogpt_callback() as cb:
            results = await asyncio.gather(*(model.ainvoke(f"task {n} call {i}") for i in range(n)))
            async for _ in model.astream(f"task {n} streamed"):
                pass
        assert cb.total_cost >= _sum_costs(list(results))
        return cb.successful_requests, cb.total_cost

    counts = await asyncio.gather(run(1), run(2), run(3))
    assert [c for c, _ in counts] == [2, 3, 4]


def test_callback_is_thread_safe(emulator: NanoGPTEmulator) -> None:
    model = chat(emulator)

    def run(n: int) -> int:
        with get_nanogpt_callback() as cb:
            for i in range(n):
                model.invoke(f"thread {n} call {i}")
        return cb.successful_requests

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, [1, 2, 3, 4])) == [1, 2, 3, 4]


def test_callback_includes_text_llm(emulator: NanoGPTEmulator) -> None:
    llm = NanoGPT(model="openai/gpt-3.5-turbo-instruct", api_key="test-key", base_url=emulator.base_url)
    with get_nanogpt_callback() as cb:
        llm.invoke("Once upon a time")
        assert "".join(llm.stream("Once upon a stream"))
    assert cb.successful_requests == 2
    assert cb.total_tokens > 0


class _PricedRetriever(BaseRetriever):
    """Stands in for NanoGPTWebSearchRetriever: cost and ``billed_by`` on the first document."""

    cost: float = 0.006
    billed_by: str = "nanogpt"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=f"about {query}", metadata={"cost": self.cost, "billed_by": self.billed_by}
            ),
            Document(page_content="more", metadata={"cost": self.cost, "billed_by": self.billed_by}),
        ]


def test_callback_totals_web_search_costs_in_a_rag_chain(emulator: NanoGPTEmulator) -> None:
    prompt = ChatPromptTemplate.from_template("Context: {context}\nQuestion: {question}")
    chain = (
        {
            "context": _PricedRetriever() | (lambda docs: " ".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | chat(emulator)
        | StrOutputParser()
    )
    with get_nanogpt_callback() as cb:
        chain.invoke("cats")
        _PricedRetriever(billed_by="someone-else").invoke("dogs")
    assert cb.web_searches == 1
    assert cb.web_search_cost == pytest.approx(0.006)
    assert cb.total_cost - cb.web_search_cost > 0
    assert cb.successful_requests == 1


def test_no_totals_outside_the_block(emulator: NanoGPTEmulator) -> None:
    with get_nanogpt_callback() as cb:
        pass
    chat(emulator).invoke("after")
    assert cb.successful_requests == 0


def test_callback_totals_the_real_web_search_retriever(emulator: NanoGPTEmulator) -> None:
    """RAG with NanoGPT's own search: the chat cost and the search cost land in one total."""
    from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever

    retriever = NanoGPTWebSearchRetriever(api_key="test-key", base_url=emulator.base_url, k=2)
    prompt = ChatPromptTemplate.from_template("Context: {context}\nQuestion: {question}")
    chain = (
        {
            "context": retriever | (lambda docs: " ".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | chat(emulator)
    )
    with get_nanogpt_callback() as cb:
        answer = chain.invoke("cats")
    assert cb.web_searches == 1
    assert cb.web_search_cost > 0
    assert cb.total_cost == pytest.approx(cb.web_search_cost + answer.response_metadata["cost"])
