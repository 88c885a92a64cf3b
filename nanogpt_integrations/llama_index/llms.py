"""``NanoGPTLLM``: a LlamaIndex ``FunctionCallingLLM`` for NanoGPT.

Thin glue: configuration and validation here, translation in the ``_``-prefixed modules, HTTP,
retries, streaming and merging in :mod:`nanogpt_integrations.core`.
"""

from __future__ import annotations

import logging
import operator
import os
from collections.abc import AsyncGenerator, Generator, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import Model, PydanticProgramMode
from llama_index_instrumentation import get_dispatcher
from pydantic import SecretStr

from nanogpt_integrations._fast_models import private
from nanogpt_integrations.core import (
    DEFAULT_BASE_URL,
    ModelInfo,
    NanoGPTError,
    NanoGPTOptions,
    PromptCaching,
    ProviderRouting,
    RawExchange,
    ReasoningOptions,
    WebSearchOptions,
    base_model,
    turn_from_completion,
)
from nanogpt_integrations.core.lazy import LazyClients, OwnsClients, owned_clients

from ._messages import messages_to_wire
from ._payload import (
    OPTION_NAMES,
    RequestSettings,
    WireRequest,
    build_chat,
    build_completion,
    json_schema_format,
)
from ._responses import (
    ChatStreamState,
    CompletionStreamState,
    chat_to_completion,
    completion_to_response,
    turn_to_response,
)
from ._responses_api import (
    CallMode,
    ResponsesStreamState,
    attach_tee,
    call_mode,
    response_to_chat,
    to_responses_request,
)
from ._tools import tool_choice_to_wire, tool_selections, tools_to_wire, trim_to_one_tool_call

if TYPE_CHECKING:
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.tools.types import BaseTool

    from nanogpt_integrations.core import AsyncNanoGPTClient, NanoGPTClient

__all__ = ["FALLBACK_CONTEXT_WINDOW", "NanoGPTLLM"]

logger = logging.getLogger("nanogpt_integrations")
dispatcher = get_dispatcher(__name__)

DEFAULT_MODEL = "openai/gpt-4o-mini"
#: Used when the catalogue cannot be reached or has no ``context_length`` for the model.
FALLBACK_CONTEXT_WINDOW = 32_768
_warned_catalogue: set[str] = set()
_OPTION_ORDER = tuple(sorted(OPTION_NAMES))
#: The option field values as a tuple, read in one C call (this runs on every request).
_option_values = operator.attrgetter(*_OPTION_ORDER)
#: The connection settings after the key, in ``core.lazy.SETTINGS`` order.
_connection = operator.attrgetter(
    "api_base", "timeout", "max_retries", "default_headers", "http_client", "http_async_client"
)


class NanoGPTLLM(OwnsClients, FunctionCallingLLM):
    """NanoGPT chat models in LlamaIndex: query engines, agents, tools, structured output.

    Context window, tool calling and structured-output support come from the NanoGPT model
    catalogue on first use (explicit values win). If the catalogue cannot be reached, the
    defaults are ``context_window=32768``, ``is_function_calling_model=True`` and no json_schema
    structured output (a forced tool call is used instead); this is logged once.

    >>> llm = NanoGPTLLM(model="anthropic/claude-sonnet-4.5", prompt_caching=True)  # doctest: +SKIP
    >>> llm.complete("Hello").text  # doctest: +SKIP
    """

    model: str = Field(default=DEFAULT_MODEL, description="NanoGPT model id, e.g. 'openai/gpt-4o-mini'.")
    api_base: str = Field(default=DEFAULT_BASE_URL, description="API base URL (env NANOGPT_BASE_URL).")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="Not sent when None.")
    max_tokens: int | None = Field(default=None, gt=0, description="Not sent when None.")
    timeout: float | None = Field(default=None, gt=0, description="Seconds; None = the core default.")
    max_retries: int = Field(default=2, ge=0, description="Retries in the core client (the only layer).")
    context_window: int | None = Field(default=None, gt=0, description="None = from the catalogue.")
    is_function_calling_model: bool | None = Field(default=None, description="None = from the catalogue.")
    supports_structured_output: bool | None = Field(
        default=None, description="json_schema response_format support; None = from the catalogue."
    )
    is_chat_model: bool = Field(default=True, description="complete() goes through chat.")
    use_completions_endpoint: bool = Field(
        default=False, description="Send complete()/stream_complete() to the legacy /completions endpoint."
    )
    allow_parallel_tool_calls: bool | None = Field(
        default=None, description="Sent as parallel_tool_calls with tools; None = not sent."
    )
    stream_usage: bool = Field(default=True, description="Ask for usage in streams.")
    replay_reasoning: bool = Field(
        default=True, description="Send assistant reasoning back on later turns (ThinkingBlocks)."
    )
    force_cache_control: bool = Field(
        default=False, description="Send cache_control even to implicit-cache model families."
    )
    additional_kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra body fields.")
    default_headers: dict[str, str] | None = Field(default=None, description="Headers on every request.")
    web_search: bool | str | WebSearchOptions | dict[str, Any] | None = None
    routing: str | None = None
    provider: str | ProviderRouting | dict[str, Any] | None = None
    billing_mode: str | None = None
    caching: bool | None = None
    sticky_provider: bool | None = None
    prompt_caching: bool | PromptCaching | dict[str, Any] | None = None
    reasoning_effort: str | None = None
    reasoning: ReasoningOptions | dict[str, Any] | None = None
    use_responses_api: bool = Field(
        default=False, description="Send chat calls to /responses (also per call: use_responses_api=True)."
    )
    verify_tee: bool = Field(
        default=False,
        description="TEE/ models: verify the signed request/response hashes; result in "
        "additional_kwargs['tee_verification'].",
    )
    tee_raise_on_failure: bool = Field(
        default=False, description="Raise TEEVerificationError when a TEE verification fails."
    )

    _api_key: SecretStr | None = PrivateAttr(default=None)
    _options: NanoGPTOptions = PrivateAttr()
    _options_source: tuple[Any, ...] = PrivateAttr(default=())
    _info: ModelInfo | None = PrivateAttr(default=None)
    _info_loaded: bool = PrivateAttr(default=False)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | SecretStr | None = None,
        api_base: str | None = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        base = api_base or base_url or os.environ.get("NANOGPT_BASE_URL") or DEFAULT_BASE_URL
        super().__init__(model=model, api_base=base, **kwargs)
        if api_key is None:
            env = os.environ.get("NANOGPT_API_KEY")
            api_key = env or None
        self._api_key = api_key if isinstance(api_key, SecretStr) or api_key is None else SecretStr(api_key)
        self._current_options()  # validate the NanoGPT options now, not at the first request

    @classmethod
    def class_name(cls) -> str:
        return "NanoGPT_LLM"

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling re-runs ``__init__`` from the public fields; keep the key it cannot see."""
        super().__setstate__(state)
        key = (state.get("__pydantic_private__") or {}).get("_api_key")
        if key is not None:
            self._api_key = key

    # -- clients and catalogue -------------------------------------------------------------------

    def _lazy_clients(self) -> LazyClients:
        """This instance's own clients (``core.lazy``): copies and pickles build theirs."""
        state = self.__pydantic_private__
        assert state is not None
        return owned_clients(self, state, (state["_api_key"], *_connection(self)))

    @property
    def client(self) -> NanoGPTClient:
        """The sync core client (created on first use; rebuilt if the connection settings change)."""
        return self._lazy_clients().sync

    @property
    def async_client(self) -> AsyncNanoGPTClient:
        """The async core client; it keeps one connection pool per event loop."""
        return self._lazy_clients().async_

    def _catalogue_failed(self, exc: NanoGPTError) -> None:
        key = f"{self.api_base}|{self.model}"
        if key not in _warned_catalogue:
            _warned_catalogue.add(key)
            logger.warning(
                "NanoGPT model catalogue unavailable for %s (%s); using context_window=%d and "
                "is_function_calling_model=True. Pass them explicitly to silence this.",
                self.model,
                exc,
                FALLBACK_CONTEXT_WINDOW,
            )

    def model_info(self) -> ModelInfo | None:
        """The catalogue entry for ``model`` (fetched once per instance), or None."""
        if not self._info_loaded:
            try:
                self._info = self.client.model_info(self.model)
            except NanoGPTError as exc:
                self._catalogue_failed(exc)
            self._info_loaded = True
        return self._info

    async def amodel_info(self) -> ModelInfo | None:
        """Async :meth:`model_info`."""
        if not self._info_loaded:
            try:
                self._info = await self.async_client.model_info(self.model)
            except NanoGPTError as exc:
                self._catalogue_failed(exc)
            self._info_loaded = True
        return self._info

    @property
    def metadata(self) -> LLMMetadata:
        context = self.context_window
        if context is None:
            info = self.model_info()
            context = (info.context_length if info else None) or FALLBACK_CONTEXT_WINDOW
        calling = self.is_function_calling_model
        if calling is None:
            info = self.model_info()
            calling = info.capabilities.tool_calling if info is not None else True
        return LLMMetadata(
            context_window=context,
            num_output=self.max_tokens or DEFAULT_NUM_OUTPUTS,
            is_chat_model=self.is_chat_model,
            is_function_calling_model=calling,
            model_name=self.model,
        )

    # -- request building ------------------------------------------------------------------------

    def _current_options(self) -> NanoGPTOptions:
        """The validated NanoGPT options, rebuilt when an option field was reassigned."""
        values = _option_values(self)
        if values != private(self, "_options_source"):
            self._options = NanoGPTOptions(**dict(zip(_OPTION_ORDER, values, strict=True)))
            self._options_source = values
        options: NanoGPTOptions = private(self, "_options")
        return options

    def _settings(self) -> RequestSettings:
        return RequestSettings(
            model=self.model,
            options=self._current_options(),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            additional_kwargs=self.additional_kwargs,
            parallel_tool_calls=self.allow_parallel_tool_calls,
            force_cache_control=self.force_cache_control,
        )

    def _chat_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> WireRequest:
        wire = messages_to_wire(messages, replay_reasoning=self.replay_reasoning)
        return build_chat(self._settings(), wire, kwargs, info=private(self, "_info"))

    # -- chat ------------------------------------------------------------------------------------

    def _mode(self, kwargs: dict[str, Any]) -> CallMode:
        return call_mode(
            kwargs,
            model=self.model,
            responses=self.use_responses_api,
            verify=self.verify_tee,
            raise_on_failure=self.tee_raise_on_failure,
        )

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        mode = self._mode(kwargs)
        req = self._chat_request(messages, kwargs)
        if mode.responses:
            resp = to_responses_request(req)
            return response_to_chat(self.client.responses_create(resp.body, headers=resp.headers))
        if mode.verify_tee:
            exchange = RawExchange()
            completion = self.client.chat(req.body, headers=req.headers, capture=exchange)
            response = turn_to_response(turn_from_completion(completion), completion)
            verification = self.client.tee_verify(
                exchange, model=base_model(req.body["model"]), completion_id=completion.id or ""
            )
            return attach_tee(response, verification, mode.raise_on_failure)
        completion = self.client.chat(req.body, headers=req.headers)
        return turn_to_response(turn_from_completion(completion), completion)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        mode = self._mode(kwargs)
        req = self._chat_request(messages, kwargs)
        if mode.responses:
            resp = to_responses_request(req)
            events = self.client.responses_stream(resp.body, headers=resp.headers)

            def responses_gen() -> ChatResponseGen:
                state = ResponsesStreamState(events.request_id)
                with events:
                    for event in events:
                        response = state.step(event)
                        if response is not None:
                            yield response

            return responses_gen()
        exchange = RawExchange() if mode.verify_tee else None
        stream = self.client.stream_chat(
            req.body, headers=req.headers, include_usage=self.stream_usage, capture=exchange
        )

        def gen() -> ChatResponseGen:
            state = ChatStreamState(stream.request_id)
            held: ChatResponse | None = None  # with TEE, the last response waits for the verification
            with stream:
                for chunk in stream:
                    response = state.step(chunk)
                    if response is None:
                        continue
                    if exchange is None:
                        yield response
                        continue
                    if held is not None:
                        yield held
                    held = response
            if exchange is not None and held is not None:
                verification = self.client.tee_verify(
                    exchange,
                    model=base_model(req.body["model"]),
                    completion_id=state.accumulator.turn.id or "",
                )
                yield attach_tee(held, verification, mode.raise_on_failure)

        return gen()

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        mode = self._mode(kwargs)
        req = self._chat_request(messages, kwargs)
        client = self.async_client
        if mode.responses:
            resp = to_responses_request(req)
            return response_to_chat(await client.responses_create(resp.body, headers=resp.headers))
        if mode.verify_tee:
            exchange = RawExchange()
            completion = await client.chat(req.body, headers=req.headers, capture=exchange)
            response = turn_to_response(turn_from_completion(completion), completion)
            verification = await client.tee_verify(
                exchange, model=base_model(req.body["model"]), completion_id=completion.id or ""
            )
            return attach_tee(response, verification, mode.raise_on_failure)
        completion = await client.chat(req.body, headers=req.headers)
        return turn_to_response(turn_from_completion(completion), completion)

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        mode = self._mode(kwargs)
        req = self._chat_request(messages, kwargs)
        client = self.async_client
        if mode.responses:
            resp = to_responses_request(req)
            events = await client.responses_stream(resp.body, headers=resp.headers)

            async def responses_gen() -> ChatResponseAsyncGen:
                state = ResponsesStreamState(events.request_id)
                async with events:
                    async for event in events:
                        response = state.step(event)
                        if response is not None:
                            yield response

            return responses_gen()
        exchange = RawExchange() if mode.verify_tee else None
        stream = await client.stream_chat(
            req.body, headers=req.headers, include_usage=self.stream_usage, capture=exchange
        )

        async def gen() -> ChatResponseAsyncGen:
            state = ChatStreamState(stream.request_id)
            held: ChatResponse | None = None  # with TEE, the last response waits for the verification
            async with stream:
                async for chunk in stream:
                    response = state.step(chunk)
                    if response is None:
                        continue
                    if exchange is None:
                        yield response
                        continue
                    if held is not None:
                        yield held
                    held = response
            if exchange is not None and held is not None:
                verification = await client.tee_verify(
                    exchange,
                    model=base_model(req.body["model"]),
                    completion_id=state.accumulator.turn.id or "",
                )
                yield attach_tee(held, verification, mode.raise_on_failure)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    # -- completion ------------------------------------------------------------------------------

    @staticmethod
    def _as_messages(prompt: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self.use_completions_endpoint:
            req = build_completion(self._settings(), prompt, kwargs)
            return completion_to_response(self.client.completions(req.body, headers=req.headers))
        return chat_to_completion(self._chat(self._as_messages(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        if self.use_completions_endpoint:
            req = build_completion(self._settings(), prompt, kwargs)
            stream = self.client.stream_completions(
                req.body, headers=req.headers, include_usage=self.stream_usage
            )

            def legacy() -> CompletionResponseGen:
                state = CompletionStreamState()
                with stream:
                    for chunk in stream:
                        response = state.step(chunk)
                        if response is not None:
                            yield response

            return legacy()
        chat_stream = self._stream_chat(self._as_messages(prompt), **kwargs)

        def gen() -> CompletionResponseGen:
            for response in chat_stream:
                yield chat_to_completion(response)

        return gen()

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self.use_completions_endpoint:
            req = build_completion(self._settings(), prompt, kwargs)
            return completion_to_response(await self.async_client.completions(req.body, headers=req.headers))
        return chat_to_completion(await self._achat(self._as_messages(prompt), **kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        if self.use_completions_endpoint:
            req = build_completion(self._settings(), prompt, kwargs)
            stream = await self.async_client.stream_completions(
                req.body, headers=req.headers, include_usage=self.stream_usage
            )

            async def legacy() -> CompletionResponseAsyncGen:
                state = CompletionStreamState()
                async with stream:
                    async for chunk in stream:
                        response = state.step(chunk)
                        if response is not None:
                            yield response

            return legacy()
        chat_stream = await self._astream_chat(self._as_messages(prompt), **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for response in chat_stream:
                yield chat_to_completion(response)

        return gen()

    # -- tools -----------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Messages plus wire ``tools`` / ``tool_choice`` (``tool_required`` → ``"required"``).

        ``allow_parallel_tool_calls`` only trims the reply to one call afterwards; the wire
        ``parallel_tool_calls`` comes from the instance setting (None = not sent). ``strict=True``
        marks each function ``strict`` (OpenAI-style schema adherence).
        """
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        wire_tools = tools_to_wire(tools, strict=bool(strict))
        return {
            "messages": messages,
            "tools": wire_tools or None,
            "tool_choice": tool_choice_to_wire(tool_choice, tool_required=tool_required)
            if wire_tools
            else None,
            **kwargs,
        }

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            trim_to_one_tool_call(response.message)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls of ``response`` (arguments parsed leniently; bad JSON → ``{}``)."""
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise ValueError(f"Expected at least one tool call, got none: {response.message.content!r}")
        return selections

    # -- structured output -----------------------------------------------------------------------

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
        kwargs["response_format"] = json_schema_format(output_cls)
        return kwargs

    def _schema_messages(self, prompt: PromptTemplate, prompt_args: dict[str, Any]) -> list[ChatMessage]:
        return self._extend_messages(prompt.format_messages(llm=self, **prompt_args))

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
            fallback: Model = super().structured_predict(
                output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args
            )
            return fallback
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        response = self.chat(
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
            fallback: Model = await super().astructured_predict(
                output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args
            )
            return fallback
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        response = await self.achat(
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
    ) -> Generator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None, None]:
        if not self._json_schema_mode():
            yield from super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)
            return
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental

        current: Any = None
        messages = self._schema_messages(prompt, prompt_args)
        for response in self.stream_chat(messages, **self._schema_kwargs(llm_kwargs, output_cls)):
            current = process_streaming_content_incremental(response, output_cls, current)
            yield current

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
        if self.supports_structured_output is None:
            await self.amodel_info()
        if not self._json_schema_mode():
            return await super()._structured_astream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental

        messages = self._schema_messages(prompt, prompt_args)
        stream = await self.astream_chat(messages, **self._schema_kwargs(llm_kwargs, output_cls))

        async def gen() -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
            current: Any = None
            async for response in stream:
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current

        return gen()
