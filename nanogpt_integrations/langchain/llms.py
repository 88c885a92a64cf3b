"""``NanoGPT``: the legacy text-completion endpoint (``/api/v1/completions``) as a LangChain LLM.

Best effort upstream (reference §9.1): prefer :class:`ChatNanoGPT` unless you need raw prompts.
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

from ..core import StreamAccumulator
from ._payload import Request, build_request, split_kwargs
from ._responses import completion_result, text_stream_end
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
        return {"model": self.model, **self._defaults()}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "nanogpt"
        return params

    def _request(
        self, prompt: str, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[Request, bool]:
        call_body, controls = split_kwargs(kwargs)
        stops = stop if stop is not None else self.stop
        if stops:
            call_body["stop"] = stops
        request = build_request(
            model=str(call_body.get("model") or self.model),
            prompt={"prompt": prompt},
            defaults={**self._defaults(), **self.model_kwargs},
            call_body=call_body,
            options=self._nanogpt_options(),
            controls=controls,
            extra_body=self.extra_body,
        )
        usage = controls.stream_usage if controls.stream_usage is not None else self.stream_usage
        return request, usage

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
            request, _ = self._request(prompt, stop, kwargs)
            text, info = completion_result(
                self._sync_client().completions(request.body, headers=request.headers)
            )
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
            request, _ = self._request(prompt, stop, kwargs)
            completion = await self._async_client_get().completions(request.body, headers=request.headers)
            text, info = completion_result(completion)
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
        request, usage = self._request(prompt, stop, kwargs)
        with self._sync_client().stream_completions(
            request.body, headers=request.headers, include_usage=usage
        ) as stream:
            accumulator = StreamAccumulator(stream.request_id)
            for raw in stream:
                text = accumulator.add_completion(raw).content
                if text:
                    chunk = GenerationChunk(text=text)
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
        yield text_stream_end(accumulator.result())

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        request, usage = self._request(prompt, stop, kwargs)
        stream = await self._async_client_get().stream_completions(
            request.body, headers=request.headers, include_usage=usage
        )
        async with stream:
            accumulator = StreamAccumulator(stream.request_id)
            async for raw in stream:
                text = accumulator.add_completion(raw).content
                if text:
                    chunk = GenerationChunk(text=text)
                    if run_manager:
                        await run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
        yield text_stream_end(accumulator.result())


precompute_signatures(NanoGPT, "_generate", "_agenerate")
