"""``get_nanogpt_callback()``: NanoGPT requests, tokens and the cost NanoGPT actually charged.

Like ``get_openai_callback`` but the cost is the server-reported ``x_nanogpt_pricing`` charge, not a
local price table. One handler per ``with`` block, found by LangChain through a ``ContextVar``
configure hook, so concurrent threads and asyncio tasks each total only their own calls. Web
searches by ``NanoGPTWebSearchRetriever`` count too (their cost rides on the first document).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from ._responses import MODEL_PROVIDER

__all__ = ["NanoGPTCallbackHandler", "get_nanogpt_callback"]


class NanoGPTCallbackHandler(BaseCallbackHandler):
    """Totals NanoGPT chat/LLM calls (sync, async, streamed) and NanoGPT web searches."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.successful_requests = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self.cache_read_tokens = 0
        self.cache_creation_tokens = 0
        self.reasoning_tokens = 0
        self.total_cost = 0.0
        self.web_searches = 0
        self.web_search_cost = 0.0

    @property
    def always_verbose(self) -> bool:
        return True

    @property
    def cached_tokens(self) -> int:
        """Alias of ``cache_read_tokens`` (the name ``get_openai_callback`` users know)."""
        return self.cache_read_tokens

    def __repr__(self) -> str:
        return (
            f"Requests: {self.successful_requests} (+{self.web_searches} web searches)\n"
            f"Tokens: {self.total_tokens} (prompt {self.prompt_tokens}, of which cache read "
            f"{self.cache_read_tokens} / cache write {self.cache_creation_tokens}; completion "
            f"{self.completion_tokens}, of which reasoning {self.reasoning_tokens})\n"
            f"Charged by NanoGPT: ${self.total_cost:.6f}"
        )

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Add one NanoGPT call: usage and server-reported cost of its generation."""
        for generations in response.generations:
            for generation in generations[:1]:
                if isinstance(generation, ChatGeneration) and isinstance(generation.message, AIMessage):
                    self._add_chat(generation.message)
                elif (generation.generation_info or {}).get("model_provider") == MODEL_PROVIDER:
                    self._add_text(generation.generation_info or {})

    def _add_chat(self, message: AIMessage) -> None:
        meta = message.response_metadata
        if meta.get("model_provider") != MODEL_PROVIDER:
            return
        usage: dict[str, Any] = dict(message.usage_metadata or {})
        inputs: dict[str, Any] = dict(usage.get("input_token_details") or {})
        outputs: dict[str, Any] = dict(usage.get("output_token_details") or {})
        with self._lock:
            self.successful_requests += 1
            self.prompt_tokens += usage.get("input_tokens", 0)
            self.completion_tokens += usage.get("output_tokens", 0)
            self.total_tokens += usage.get("total_tokens", 0)
            self.cache_read_tokens += inputs.get("cache_read", 0) or 0
            self.cache_creation_tokens += inputs.get("cache_creation", 0) or 0
            self.reasoning_tokens += outputs.get("reasoning", 0) or 0
            self.total_cost += float(meta.get("cost") or 0.0)

    def _add_text(self, info: dict[str, Any]) -> None:
        usage: dict[str, Any] = info.get("usage") or {}
        with self._lock:
            self.successful_requests += 1
            self.prompt_tokens += int(usage.get("input_tokens", 0))
            self.completion_tokens += int(usage.get("output_tokens", 0))
            self.total_tokens += int(usage.get("total_tokens", 0))
            self.cache_read_tokens += int(usage.get("cache_read_tokens", 0))
            self.cache_creation_tokens += int(usage.get("cache_creation_tokens", 0))
            self.reasoning_tokens += int(usage.get("reasoning_tokens", 0))
            self.total_cost += float(info.get("cost") or 0.0)

    def on_retriever_end(self, documents: Sequence[Document], **kwargs: Any) -> None:
        """Add a NanoGPT web search: its cost is in the first document's metadata."""
        if not documents:
            return
        meta = documents[0].metadata
        if meta.get("billed_by") != MODEL_PROVIDER:
            return
        cost = float(meta.get("cost") or 0.0)
        with self._lock:
            self.web_searches += 1
            self.web_search_cost += cost
            self.total_cost += cost


_current: ContextVar[NanoGPTCallbackHandler | None] = ContextVar("nanogpt_callback", default=None)
register_configure_hook(_current, inheritable=True)


@contextmanager
def get_nanogpt_callback() -> Iterator[NanoGPTCallbackHandler]:
    """Total NanoGPT usage and charged cost of every call made inside the ``with`` block.

    >>> with get_nanogpt_callback() as cb:  # doctest: +SKIP
    ...     chain.batch(questions)
    >>> cb.total_cost, cb.total_tokens  # doctest: +SKIP
    """
    handler = NanoGPTCallbackHandler()
    token = _current.set(handler)
    try:
        yield handler
    finally:
        _current.reset(token)
