"""The demo steps: each runs one feature through a framework and returns what it used.

Offline, each step first queues the emulator's answers (``ChatReply``) so the printed text reads
naturally; the requests, usage and pricing still go through the real HTTP path. Live, nothing is
scripted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ._progress import Spinner
from ._report import StepUsage

if TYPE_CHECKING:
    from ..langchain import ChatNanoGPT
    from ..testing import ChatReply, NanoGPTEmulator

__all__ = ["STEPS", "Context", "Step"]

INDENT = "    "


@dataclass
class Context:
    """Where and how the demo runs, plus the output helpers every step uses."""

    offline: bool
    api_key: str
    base_url: str | None
    model: str
    cache_model: str
    out: TextIO
    err: TextIO
    emulator: NanoGPTEmulator | None = None

    def script(self, *replies: ChatReply) -> None:
        """Queue the emulator's next chat answers (offline only; live this does nothing)."""
        if self.emulator is not None:
            self.emulator.script(*replies)

    def chat(self, model: str | None = None, **kwargs: Any) -> ChatNanoGPT:
        """A ``ChatNanoGPT`` pointed at this run's endpoint."""
        from ..langchain import ChatNanoGPT

        return ChatNanoGPT(model=model or self.model, api_key=self.api_key, base_url=self.base_url, **kwargs)

    def say(self, text: str = "") -> None:
        """Print an indented line (or lines)."""
        for line in text.splitlines() or [""]:
            self.out.write(f"{INDENT}{line}\n" if line else "\n")
        self.out.flush()

    @contextmanager
    def waiting(self, label: str) -> Iterator[Spinner]:
        """A spinner on stderr while waiting more than half a second."""
        with Spinner(label, stream=self.err) as spinner:
            yield spinner

    def stream(self, chunks: Iterable[str], label: str = "waiting for the first token") -> str:
        """Print streamed text as it arrives (indented, prefixed ``> ``); return the whole text."""
        pieces: list[str] = []
        with self.waiting(label) as spinner:
            self.out.flush()
            for chunk in chunks:
                if not chunk:
                    continue
                if not pieces:
                    spinner.stop()
                    self.out.write(f"{INDENT}> ")
                pieces.append(chunk)
                self.out.write(chunk.replace("\n", f"\n{INDENT}  "))
                self.out.flush()
        self.out.write("\n" if pieces else f"{INDENT}> (empty answer)\n")
        self.out.flush()
        return "".join(pieces)


@dataclass(frozen=True)
class Step:
    """One demo step: a short name for the summary table, a title for its header, and the code."""

    name: str
    title: str
    run: Callable[[Context], StepUsage]


def _one_line(text: str, limit: int = 100) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- LangChain ------------------------------------------------------------------------------------


def streaming_chain(ctx: Context) -> StepUsage:
    """``prompt | ChatNanoGPT | StrOutputParser()``, streamed token by token."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from ..langchain import get_nanogpt_callback
    from ..testing import ChatReply

    ctx.script(
        ChatReply(
            content="NanoGPT is one pay-as-you-go API in front of hundreds of language models. "
            "You send OpenAI-style requests and it routes them, reporting the exact cost of each call.",
            chunk_size=6,
        )
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a concise assistant."), ("human", "In two sentences: what is {thing}?")]
    )
    chain = prompt | ctx.chat() | StrOutputParser()
    with get_nanogpt_callback() as cb:
        ctx.stream(chain.stream({"thing": "NanoGPT"}))
    return StepUsage.from_callback(cb)


def tool_call(ctx: Context) -> StepUsage:
    """``bind_tools``: the model calls a Python tool, the tool runs, the model answers with its result."""
    from langchain_core.messages import BaseMessage, HumanMessage
    from langchain_core.tools import tool

    from ..langchain import get_nanogpt_callback
    from ..testing import ChatReply

    @tool
    def get_weather(city: str) -> str:
        """Current weather for a city (a stub: always mild)."""
        return f"sunny, 21 °C in {city}"

    llm = ctx.chat()
    messages: list[BaseMessage] = [HumanMessage("What is the weather in Paris right now?")]
    with get_nanogpt_callback() as cb:
        with ctx.waiting("asking the model"):
            ai = llm.bind_tools([get_weather], tool_choice="get_weather").invoke(messages)
        messages.append(ai)
        for call in ai.tool_calls:
            ctx.say(f"model called  {call['name']}({call['args']})")
            result = get_weather.invoke(call)
            ctx.say(f"tool returned {result.content!r}")
            messages.append(result)
        if not ai.tool_calls:
            ctx.say("(the model answered without calling the tool)")
        ctx.script(ChatReply(content="It is sunny and 21 °C in Paris right now.", chunk_size=6))
        ctx.stream(chunk.text for chunk in llm.bind_tools([get_weather]).stream(messages))
    return StepUsage.from_callback(cb)


def structured_output(ctx: Context) -> StepUsage:
    """``with_structured_output(PydanticModel)``: a typed object back, not text."""
    from pydantic import BaseModel, Field

    from ..langchain import get_nanogpt_callback
    from ..testing import ChatReply, ToolCallSpec

    class Movie(BaseModel):
        """A film recommendation."""

        title: str = Field(description="The film's title")
        year: int = Field(description="Release year")
        reason: str = Field(description="Why to watch it, in one sentence")

    ctx.script(
        ChatReply(
            tool_calls=[
                ToolCallSpec(
                    "Movie",
                    {
                        "title": "Arrival",
                        "year": 2016,
                        "reason": "A quiet, clever first-contact story about language and time.",
                    },
                )
            ]
        )
    )
    with get_nanogpt_callback() as cb, ctx.waiting("asking for structured output"):
        movie = ctx.chat().with_structured_output(Movie).invoke("Recommend one science-fiction film.")
    ctx.say(f"{type(movie).__name__}(")
    for name, value in (movie.model_dump() if isinstance(movie, BaseModel) else dict(movie)).items():
        ctx.say(f"    {name}={value!r},")
    ctx.say(")")
    return StepUsage.from_callback(cb)


def _house_rules() -> str:
    """A long, fixed system prompt (well over the 4,096-token minimum cacheable prefix)."""
    topics = ("billing", "refunds", "shipping", "accounts", "privacy", "outages", "upgrades", "security")
    rules = [
        f"Rule {n}: when a customer asks about {topics[n % len(topics)]}, answer in plain words, "
        f"quote section {n} of the handbook, and never promise dates you cannot keep."
        for n in range(1, 181)
    ]
    return "You are the support assistant of Example Corp. Follow these house rules.\n" + "\n".join(rules)


def prompt_caching(ctx: Context) -> StepUsage:
    """``cache_control`` on a long system block, sent twice: the second call reads the cache."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from ..langchain import get_nanogpt_callback
    from ..testing import ChatReply

    system = SystemMessage(
        content=[
            {"type": "text", "text": _house_rules(), "cache_control": {"type": "ephemeral", "ttl": "5m"}}
        ]
    )
    llm = ctx.chat(ctx.cache_model)
    ctx.say(
        f"model {ctx.cache_model}; system prompt of {len(_house_rules()):,} characters marked cache_control"
    )
    ctx.script(
        ChatReply(content="Refunds follow rule 2: plain words, section 2 of the handbook."),
        ChatReply(content="Outages follow rule 5: plain words, section 5 of the handbook."),
    )
    with get_nanogpt_callback() as cb:
        for number, question in enumerate(("How do refunds work?", "What about outages?"), start=1):
            with ctx.waiting(f"call {number}"):
                reply = llm.invoke([system, HumanMessage(question)])
            usage = reply.usage_metadata
            details: dict[str, Any] = dict(usage.get("input_token_details") or {}) if usage else {}
            cost = float(reply.response_metadata.get("cost") or 0.0)
            ctx.say(
                f"call {number}: {details.get('cache_creation', 0):,} tokens written to the cache, "
                f"{details.get('cache_read', 0):,} read from it, cost ${cost:.6f}"
            )
    if not cb.cache_read_tokens:
        ctx.say("(no cache read reported: the provider did not cache this prefix on this run)")
    return StepUsage.from_callback(cb)


def web_search_rag(ctx: Context) -> StepUsage:
    """``NanoGPTWebSearchRetriever`` (``/api/web``) feeding a chain that cites its sources."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from ..langchain import NanoGPTWebSearchRetriever, get_nanogpt_callback
    from ..testing import ChatReply

    question = "What is NanoGPT and what does its web search API return?"
    retriever = NanoGPTWebSearchRetriever(api_key=ctx.api_key, base_url=ctx.base_url, k=3)
    prompt = ChatPromptTemplate.from_messages(
        [
            (
                "system",
                "Answer in at most three sentences, only from the numbered sources; cite them as [n].",
            ),
            ("human", "Sources:\n{context}\n\nQuestion: {question}"),
        ]
    )
    ctx.script(
        ChatReply(
            content="NanoGPT is a pay-as-you-go gateway to many AI models behind one OpenAI-compatible "
            "API [1]. Its web search returns ranked results with titles, URLs and snippets [2], "
            "or a sourced answer [3].",
            chunk_size=6,
        )
    )
    with get_nanogpt_callback() as cb:
        with ctx.waiting("searching the web"):
            docs = retriever.invoke(question)
        context = "\n\n".join(
            f"[{n}] {doc.metadata.get('title', '')} ({doc.metadata.get('url', '')})\n{doc.page_content}"
            for n, doc in enumerate(docs, start=1)
        )
        ctx.say(f"question: {question}")
        ctx.stream(
            (prompt | ctx.chat() | StrOutputParser()).stream({"context": context, "question": question})
        )
    ctx.say("sources:")
    for n, doc in enumerate(docs, start=1):
        ctx.say(
            f"  [{n}] {_one_line(str(doc.metadata.get('title', '')), 70)} - {doc.metadata.get('url', '')}"
        )
    return StepUsage.from_callback(cb)


# -- LlamaIndex -----------------------------------------------------------------------------------

_DOCS = (
    "Every NanoGPT chat completion reports what it cost in x_nanogpt_pricing; NanoGPTLLM puts that "
    "cost in the response's additional_kwargs['cost'] next to the token counts.",
    "Prompt caching: mark a long prefix with cache_control (or a CachePoint block in LlamaIndex) and "
    "later calls read it at a tenth of the input price.",
    "Web search: add web_search=True to NanoGPTLLM, or use NanoGPTWebSearchRetriever for RAG.",
    "Provider selection: provider='novita' sends the X-Provider header; a ProviderRouting object "
    "goes in the request body.",
)


@contextmanager
def _llama_index_usage(usage: StepUsage) -> Iterator[None]:
    """Add the usage of every LlamaIndex LLM call made inside the block (instrumentation events)."""
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events import BaseEvent
    from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMCompletionEndEvent
    from llama_index_instrumentation import get_dispatcher

    class _UsageHandler(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "NanoGPTDemoUsage"

        def handle(self, event: BaseEvent, **kwargs: Any) -> None:
            if isinstance(event, (LLMChatEndEvent, LLMCompletionEndEvent)) and event.response is not None:
                usage.add_llama_index(event.response.additional_kwargs)

    dispatcher = get_dispatcher()
    handler = _UsageHandler()
    dispatcher.add_event_handler(handler)
    try:
        yield
    finally:
        dispatcher.event_handlers.remove(handler)


def llama_index_query_engine(ctx: Context) -> StepUsage:
    """A ``VectorStoreIndex`` (``NanoGPTEmbedding``) queried by a streaming engine on ``NanoGPTLLM``."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.base.response.schema import StreamingResponse

    from ..llama_index import NanoGPTEmbedding, NanoGPTLLM
    from ..testing import ChatReply

    llm = NanoGPTLLM(model=ctx.model, api_key=ctx.api_key, api_base=ctx.base_url)
    embed_model = NanoGPTEmbedding(api_key=ctx.api_key, api_base=ctx.base_url)
    with ctx.waiting(f"embedding {len(_DOCS)} documents"):
        index = VectorStoreIndex.from_documents([Document(text=t) for t in _DOCS], embed_model=embed_model)
    engine = index.as_query_engine(llm=llm, streaming=True, similarity_top_k=2)
    question = "How do I see what a call cost?"
    ctx.script(
        ChatReply(
            content="Read it from the response: NanoGPTLLM puts the cost NanoGPT reported in "
            "additional_kwargs['cost'], next to the token counts.",
            chunk_size=6,
        )
    )
    usage = StepUsage(framework="LlamaIndex")
    ctx.say(f"question: {question}")
    with _llama_index_usage(usage):
        with ctx.waiting("retrieving"):
            response = engine.query(question)
        if isinstance(response, StreamingResponse) and response.response_gen is not None:
            ctx.stream(response.response_gen)
        else:
            ctx.say(f"> {response}")
    ctx.say("retrieved:")
    for node in response.source_nodes:
        ctx.say(f"  ({node.score or 0:.2f}) {_one_line(node.node.get_content(), 80)}")
    return usage


STEPS: tuple[Step, ...] = (
    Step(
        "Streaming chain",
        "LangChain - ChatNanoGPT streaming through prompt | model | parser",
        streaming_chain,
    ),
    Step("Tool call", "LangChain - a tool call (bind_tools), then the answer that uses it", tool_call),
    Step("Structured output", "LangChain - with_structured_output(pydantic model)", structured_output),
    Step("Prompt caching", "LangChain - cache_control on a long system prompt, sent twice", prompt_caching),
    Step(
        "Query engine",
        "LlamaIndex - a query engine on NanoGPTLLM and NanoGPTEmbedding",
        llama_index_query_engine,
    ),
    Step("Web-search RAG", "LangChain - web-search RAG with NanoGPTWebSearchRetriever", web_search_rag),
)
