"""Structured output for ``NanoGPTLLM``: json_schema ``response_format`` where the model supports it,
else LlamaIndex's own forced-tool-call program (the ``super()`` implementation).

A mixin of plain methods: ``NanoGPTLLM`` inherits it before ``FunctionCallingLLM`` so these
overrides run first and fall back to LlamaIndex's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.types import Model, PydanticProgramMode
from llama_index_instrumentation import get_dispatcher

from nanogpt_integrations.core.request import json_schema_format

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.prompts import PromptTemplate

    from nanogpt_integrations.core import ModelInfo

__all__ = ["StructuredOutput", "schema_format"]

dispatcher = get_dispatcher(__name__)

#: What LlamaIndex's structured streams yield: partial models (or lists of them).
StructuredStream = Generator[Any, None, None]
AsyncStructuredStream = AsyncGenerator[Any, None]


def schema_format(output_cls: type[Model]) -> dict[str, Any]:
    """``response_format`` asking for JSON matching ``output_cls`` (the core's envelope)."""
    return json_schema_format(output_cls.__name__, output_cls.model_json_schema())


class StructuredOutput:
    """json_schema structured output where supported; LlamaIndex's tool-call program otherwise."""

    # Provided by NanoGPTLLM / FunctionCallingLLM.
    pydantic_program_mode: PydanticProgramMode
    supports_structured_output: bool | None

    def model_info(self) -> ModelInfo | None:  # pragma: no cover - provided by NanoGPTLLM
        raise NotImplementedError

    async def amodel_info(self) -> ModelInfo | None:  # pragma: no cover - provided by NanoGPTLLM
        raise NotImplementedError

    def _json_schema_mode(self) -> bool:
        """True when structured output should use ``response_format=json_schema``."""
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT:
            return False
        if self.supports_structured_output is not None:
            return self.supports_structured_output
        info = self.model_info()
        return bool(info and info.capabilities.structured_output)

    @staticmethod
    def _schema_kwargs(llm_kwargs: dict[str, Any] | None, output_cls: type[Model]) -> dict[str, Any]:
        kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in ("tool_choice", "tools")}
        kwargs["response_format"] = schema_format(output_cls)
        return kwargs

    def _schema_messages(self, prompt: PromptTemplate, prompt_args: dict[str, Any]) -> list[ChatMessage]:
        llm: Any = self
        messages: list[ChatMessage] = llm._extend_messages(prompt.format_messages(llm=llm, **prompt_args))
        return messages

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """json_schema output where supported, else LlamaIndex's forced-tool-call program."""
        if not self._json_schema_mode():
            fallback: Model = super().structured_predict(  # type: ignore[misc]
                output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args
            )
            return fallback
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        response = self.chat(  # type: ignore[attr-defined]
            self._schema_messages(prompt, prompt_args), **self._schema_kwargs(llm_kwargs, output_cls)
        )
        result: Model = output_cls.model_validate_json(response.message.content or "")
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async :meth:`structured_predict`."""
        if self.supports_structured_output is None:
            await self.amodel_info()
        if not self._json_schema_mode():
            fallback: Model = await super().astructured_predict(  # type: ignore[misc]
                output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args
            )
            return fallback
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        response = await self.achat(  # type: ignore[attr-defined]
            self._schema_messages(prompt, prompt_args), **self._schema_kwargs(llm_kwargs, output_cls)
        )
        result: Model = output_cls.model_validate_json(response.message.content or "")
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> StructuredStream:
        if not self._json_schema_mode():
            yield from super()._structured_stream_call(  # type: ignore[misc]
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental

        current: Any = None
        messages = self._schema_messages(prompt, prompt_args)
        for response in self.stream_chat(messages, **self._schema_kwargs(llm_kwargs, output_cls)):  # type: ignore[attr-defined]
            current = process_streaming_content_incremental(response, output_cls, current)
            yield current

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncStructuredStream:
        if self.supports_structured_output is None:
            await self.amodel_info()
        if not self._json_schema_mode():
            fallback: AsyncStructuredStream = await super()._structured_astream_call(  # type: ignore[misc]
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return fallback
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental

        messages = self._schema_messages(prompt, prompt_args)
        stream = await self.astream_chat(messages, **self._schema_kwargs(llm_kwargs, output_cls))  # type: ignore[attr-defined]

        async def gen() -> AsyncStructuredStream:
            current: Any = None
            async for response in stream:
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current

        return gen()
