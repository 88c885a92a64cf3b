"""``NanoGPT``: the legacy text-completion endpoint (``/api/v1/completions``) as a LangChain LLM.

Best effort upstream (api-reference/endpoint/completion.mdx): prefer :class:`ChatNanoGPT` unless you need raw prompts.
Usage is in each generation's ``generation_info``, and the cost too when NanoGPT reports one (the
documented ``/completions`` response has no ``x_nanogpt_pricing``; it is read if it appears).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM
from langchain_core.language_models.base import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import ConfigDict

from ..core.calls import AsyncReplyStream, ReplyStream, acomplete, complete
from ..core.request import WireRequest, build_request
from ._responses import text_result, text_stream_end
from ._settings import NanoGPTSettings, precompute_signatures

__all__ = ["NanoGPT"]


class NanoGPT(NanoGPTSettings, BaseLLM):
    """NanoGPT text completions, with the same settings and NanoGPT options as ``ChatNanoGPT``.

    >>> from nanogpt_integrations.langchain import NanoGPT
    >>> NanoGPT(model="openai/gpt-3.5-turbo-instruct").invoke("Once upon a time")  # doctest: +SKIP
    """

    model_config = ConfigDict(defer_build=False)

    @property
    def _llm_type(self) -> str:
        return "nanogpt"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "NANOGPT_API_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, **self._sampling()}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "nanogpt"
        return params

    def _wire(
        self, prompt: str, stop: list[str] | None, kwargs: Mapping[str, Any], *, stream: bool
    ) -> WireRequest:
        """The ``/completions`` request of one prompt, through the core builder."""
        call = {**kwargs, "stop": stop} if stop is not None else kwargs
        return build_request(self._chat_request(None, call, stream=stream, prompt=prompt))

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations: list[list[Generation]] = []
        for prompt in prompts:
            if self.streaming:
                generations.append([self._collect(self._stream(prompt, stop, run_manager, **kwargs))])
                continue
            reply = complete(self._sync_client(), self._wire(prompt, stop, kwargs, stream=False))
            text, info = text_result(reply.turn)
            generations.append([Generation(text=text, generation_info=info)])
        return LLMResult(generations=generations, llm_output={"model_name": self.model})

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """One request per prompt, sent concurrently."""

        async def one(prompt: str) -> list[Generation]:
            if self.streaming:
                chunks = [c async for c in self._astream(prompt, stop, run_manager, **kwargs)]
                return [self._collect(iter(chunks))]
            reply = await acomplete(self._async_client_get(), self._wire(prompt, stop, kwargs, stream=False))
            text, info = text_result(reply.turn)
            return [Generation(text=text, generation_info=info)]

        generations = await asyncio.gather(*(one(p) for p in prompts))
        return LLMResult(generations=list(generations), llm_output={"model_name": self.model})

    @staticmethod
    def _collect(chunks: Iterator[GenerationChunk]) -> Generation:
        final: GenerationChunk | None = None
        for chunk in chunks:
            final = chunk if final is None else final + chunk
        return Generation(
            text=final.text if final else "", generation_info=final.generation_info if final else None
        )

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        replies = ReplyStream(self._sync_client(), self._wire(prompt, stop, kwargs, stream=True))
        for raw in replies:
            text = replies.add(raw).content
            if text:
                chunk = GenerationChunk(text=text)
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
        yield text_stream_end(replies.result())

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        replies = AsyncReplyStream(self._async_client_get(), self._wire(prompt, stop, kwargs, stream=True))
        async for raw in replies:
            text = replies.add(raw).content
            if text:
                chunk = GenerationChunk(text=text)
                if run_manager:
                    await run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
        yield text_stream_end(replies.result())


precompute_signatures(NanoGPT, "_generate", "_agenerate")
