"""An LCEL RAG chain end to end against the emulator: web search → numbered sources → ChatNanoGPT → cited answer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

from nanogpt_integrations.langchain import ChatNanoGPT, NanoGPTWebSearchRetriever, get_nanogpt_callback
from nanogpt_integrations.testing import ChatReply, NanoGPTEmulator

pytestmark = pytest.mark.emulator

KEY = "test-key-for-the-emulator"
QUESTION = "What is the capital of France?"

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer only from the numbered sources and cite them as [n]."),
        ("human", "Sources:\n{sources}\n\nQuestion: {question}"),
    ]
)


def _numbered(docs: list[Document]) -> str:
    return "\n\n".join(
        f"[{n}] {doc.metadata['title']} ({doc.metadata['url']})\n{doc.page_content}"
        for n, doc in enumerate(docs, start=1)
    )


def _prompt_inputs(x: dict[str, Any]) -> dict[str, str]:
    return {"sources": _numbered(x["docs"]), "question": x["question"]}


def _cite(result: dict[str, Any]) -> dict[str, Any]:
    numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])})
    return {**result, "cited": [result["docs"][n - 1].metadata["url"] for n in numbers]}


def _chain(emulator: NanoGPTEmulator) -> Runnable[str, dict[str, Any]]:
    retriever = NanoGPTWebSearchRetriever(api_key=KEY, base_url=emulator.base_url, k=3)
    model = ChatNanoGPT(model="openai/gpt-4o-mini", api_key=KEY, base_url=emulator.base_url, temperature=0)
    answer = RunnableLambda(_prompt_inputs) | PROMPT | model | StrOutputParser()
    return (
        RunnableParallel(docs=retriever, question=RunnablePassthrough())
        | RunnablePassthrough.assign(answer=answer)
        | RunnableLambda(_cite)
    )


def _check(emulator: NanoGPTEmulator, result: dict[str, Any]) -> None:
    assert result["answer"] == "Paris is the capital of France [1][3]."
    assert result["cited"] == [
        "https://what-is-the-capital-news.com/what-is-the-capital/1",
        "https://what-is-the-capital-daily.net/what-is-the-capital/3",
    ]
    assert emulator.last_request("/web").body == {
        "query": QUESTION,
        "provider": "linkup",
        "depth": "standard",
        "outputType": "searchResults",
    }
    messages = emulator.last_request("/chat/completions").body["messages"]
    assert messages[0] == {
        "role": "system",
        "content": "Answer only from the numbered sources and cite them as [n].",
    }
    user = messages[1]["content"]
    assert user.startswith(
        f"Sources:\n[1] {QUESTION} | News 1 (https://what-is-the-capital-news.com/what-is-the-capital/1)\n"
        f"Result 1 about {QUESTION}"
    )
    assert (
        f"\n\n[3] {QUESTION} | Daily 3 (https://what-is-the-capital-daily.net/what-is-the-capital/3)\n"
        in user
    )
    assert "[4]" not in user
    assert user.endswith(f"Question: {QUESTION}")


def test_rag_chain_cites_web_sources(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="Paris is the capital of France [1][3]."))
    with get_nanogpt_callback() as cb:
        result = _chain(emulator).invoke(QUESTION)
    _check(emulator, result)
    assert cb.web_searches == 1
    assert cb.web_search_cost == pytest.approx(0.006)
    assert cb.successful_requests == 1
    assert cb.total_cost > cb.web_search_cost  # the chat call's charge is added to the search's


async def test_rag_chain_async(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="Paris is the capital of France [1][3]."))
    result = await _chain(emulator).ainvoke(QUESTION)
    _check(emulator, result)
