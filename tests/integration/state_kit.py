"""Every adapter class as the state tests drive it: build one, call it (sync and async), what the
correct reply to a prompt is, and where its clients are.

Importable by name (the tests put this folder on ``sys.path``), so spawned worker processes can
unpickle the worker functions at the bottom.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from nanogpt_integrations.core.lazy import LazyClients
from nanogpt_integrations.testing.embeddings import embed

MODEL = "openai/gpt-4o-mini"


@dataclass(frozen=True)
class Kind:
    """One adapter class: how to build, call and inspect it, and the route it hits."""

    name: str
    path: str
    build: Callable[..., Any]
    call: Callable[[Any, str], str]
    acall: Callable[[Any, str], Awaitable[str]]
    expected: Callable[[str], str]
    holder: Callable[[Any], LazyClients]
    #: A copy with another key (and base URL): what a per-tenant copy looks like for this class.
    copy_for: Callable[[Any, str, str], Any] | None = None


def _said(text: str) -> str:
    return f"Hello! You said: {text}"


def _vector(text: str) -> str:
    return f"{embed(text)[0]:.6f}"


def _web(text: str) -> str:
    return f"Web results for {text!r}:"


# -- LangChain ------------------------------------------------------------------------------------


def _lc_chat(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.langchain import ChatNanoGPT

    return ChatNanoGPT(model=MODEL, api_key=key, base_url=base_url, **kw)


def _lc_text(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.langchain import NanoGPT

    return NanoGPT(model=MODEL, api_key=key, base_url=base_url, **kw)


def _lc_embeddings(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.langchain import NanoGPTEmbeddings

    return NanoGPTEmbeddings(api_key=key, base_url=base_url, **kw)


def _lc_retriever(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever

    return NanoGPTWebSearchRetriever(api_key=key, base_url=base_url, k=1, **kw)


def _lc_tool(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.langchain import NanoGPTWebSearchTool

    return NanoGPTWebSearchTool(api_key=key, base_url=base_url, k=1, **kw)


def _pydantic_copy(model: Any, key: str, base_url: str) -> Any:
    return model.model_copy(update={"api_key": SecretStr(key), "base_url": base_url})


async def _lc_ainvoke_text(model: Any, text: str) -> str:
    return str((await model.ainvoke(text)).content)


async def _lc_ainvoke_str(model: Any, text: str) -> str:
    return str(await model.ainvoke(text))


async def _lc_aembed(model: Any, text: str) -> str:
    return f"{(await model.aembed_query(text))[0]:.6f}"


async def _lc_aretrieve(model: Any, text: str) -> str:
    return str((await model.ainvoke(text))[0].metadata["query"])


async def _lc_atool(model: Any, text: str) -> str:
    return str(await model.ainvoke({"query": text})).splitlines()[0]


# -- LlamaIndex -----------------------------------------------------------------------------------


def _li_llm(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.llama_index import NanoGPTLLM

    return NanoGPTLLM(
        model=MODEL, api_key=key, api_base=base_url, context_window=8192, is_function_calling_model=True, **kw
    )


def _li_embedding(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.llama_index import NanoGPTEmbedding

    return NanoGPTEmbedding(api_key=key, api_base=base_url, **kw)


def _li_retriever(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.llama_index import NanoGPTWebSearchRetriever

    return NanoGPTWebSearchRetriever(api_key=key, api_base=base_url, k=1, **kw)


def _li_tools(base_url: str, key: str, **kw: Any) -> Any:
    from nanogpt_integrations.llama_index import NanoGPTWebSearchToolSpec

    return NanoGPTWebSearchToolSpec(api_key=key, api_base=base_url, k=1, **kw)


def _li_llm_copy(llm: Any, key: str, base_url: str) -> Any:
    other = llm.model_copy(update={"api_base": base_url})
    other._api_key = SecretStr(key)  # NanoGPTLLM keeps its key private (never in to_dict)
    return other


def _li_embedding_copy(model: Any, key: str, base_url: str) -> Any:
    return model.model_copy(update={"api_key": SecretStr(key), "api_base": base_url})


def _li_chat(llm: Any, text: str) -> str:
    from llama_index.core.base.llms.types import ChatMessage

    return str(llm.chat([ChatMessage(role="user", content=text)]).message.content)


async def _li_achat(llm: Any, text: str) -> str:
    from llama_index.core.base.llms.types import ChatMessage

    return str((await llm.achat([ChatMessage(role="user", content=text)])).message.content)


async def _li_aembed(model: Any, text: str) -> str:
    return f"{(await model.aget_query_embedding(text))[0]:.6f}"


async def _li_aretrieve(model: Any, text: str) -> str:
    return str((await model.aretrieve(text))[0].node.metadata["query"])


async def _li_atool(spec: Any, text: str) -> str:
    return str(await spec.aweb_search(text)).splitlines()[0]


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "lc_chat",
            "/chat/completions",
            _lc_chat,
            lambda m, t: str(m.invoke(t).content),
            _lc_ainvoke_text,
            _said,
            lambda m: m._lazy_clients(),
            _pydantic_copy,
        ),
        Kind(
            "lc_text",
            "/completions",
            _lc_text,
            lambda m, t: str(m.invoke(t)),
            _lc_ainvoke_str,
            _said,
            lambda m: m._lazy_clients(),
            _pydantic_copy,
        ),
        Kind(
            "lc_embeddings",
            "/embeddings",
            _lc_embeddings,
            lambda m, t: f"{m.embed_query(t)[0]:.6f}",
            _lc_aembed,
            _vector,
            lambda m: m.clients,
            _pydantic_copy,
        ),
        Kind(
            "lc_retriever",
            "/web",
            _lc_retriever,
            lambda m, t: str(m.invoke(t)[0].metadata["query"]),
            _lc_aretrieve,
            str,
            lambda m: m.clients,
            _pydantic_copy,
        ),
        Kind(
            "lc_tool",
            "/web",
            _lc_tool,
            lambda m, t: str(m.invoke({"query": t})).splitlines()[0],
            _lc_atool,
            _web,
            lambda m: m.retriever.clients,
            _pydantic_copy,
        ),
        Kind(
            "li_llm",
            "/chat/completions",
            _li_llm,
            _li_chat,
            _li_achat,
            _said,
            lambda m: m._lazy_clients(),
            _li_llm_copy,
        ),
        Kind(
            "li_embedding",
            "/embeddings",
            _li_embedding,
            lambda m, t: f"{m.get_query_embedding(t)[0]:.6f}",
            _li_aembed,
            _vector,
            lambda m: m._lazy_clients(),
            _li_embedding_copy,
        ),
        Kind(
            "li_retriever",
            "/web",
            _li_retriever,
            lambda m, t: str(m.retrieve(t)[0].node.metadata["query"]),
            _li_aretrieve,
            str,
            lambda m: m._search.clients(m),
        ),
        Kind(
            "li_tools",
            "/web",
            _li_tools,
            lambda m, t: str(m.web_search(t)).splitlines()[0],
            _li_atool,
            _web,
            lambda m: m._search.clients(m),
        ),
    )
}


# -- worker processes (ProcessPoolExecutor) --------------------------------------------------------

_worker: dict[str, Any] = {}


def init_worker(kind: str, model: Any, barrier: Any) -> None:
    """Runs once in each worker: the model arrives inherited (fork) or unpickled (spawn)."""
    _worker.update(kind=KINDS[kind], model=model, barrier=barrier)


def run_calls(prefix: str, count: int) -> list[tuple[str, str, int]]:
    """``count`` calls in this worker: (reply, expected reply, worker pid) for each. Every task
    first waits for the others, so each of the pool's workers runs exactly one."""
    kind, model = _worker["kind"], _worker["model"]
    _worker["barrier"].wait(60)
    out = []
    for i in range(count):
        text = f"{prefix}-{i}"
        out.append((kind.call(model, text), kind.expected(text), os.getpid()))
    return out
