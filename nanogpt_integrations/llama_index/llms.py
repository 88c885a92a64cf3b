"""``NanoGPTLLM``: a LlamaIndex ``FunctionCallingLLM`` for NanoGPT.

Thin glue: configuration here; messages into the core's neutral request in ``_messages``, replies
back in ``_responses``, structured output in ``_structured``; the request rules, routes (chat,
Responses API, TEE-verified, legacy completions), HTTP and stream merging in
:mod:`nanogpt_integrations.core`.
"""

from __future__ import annotations

import logging
import operator
import os
from collections.abc import Sequence
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
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from pydantic import ConfigDict, SecretStr, ValidationError, field_validator

from nanogpt_integrations._fast_models import private
from nanogpt_integrations.core import DEFAULT_BASE_URL, ModelInfo, NanoGPTError
from nanogpt_integrations.core.arguments import check_base_url, configuration_error
from nanogpt_integrations.core.calls import AsyncReplyStream, ReplyStream, acomplete, complete
from nanogpt_integrations.core.fields import NanoGPTFields
from nanogpt_integrations.core.lazy import LazyClients, OwnsClients, owned_clients
from nanogpt_integrations.core.request import WireRequest, build_request

from ._messages import as_chat_messages, messages_to_wire
from ._responses import (
    ChatStreamState,
    chat_to_completion,
    reply_to_response,
    text_to_completion,
)
from ._structured import StructuredOutput
from ._tools import as_tools, tool_choice_to_wire, tool_selections, tools_to_wire, trim_to_one_tool_call

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from nanogpt_integrations.core import AsyncNanoGPTClient, ModelProviders, NanoGPTClient

    from ._batch import NanoGPTBatchJob

__all__ = ["FALLBACK_CONTEXT_WINDOW", "NanoGPTLLM"]

logger = logging.getLogger("nanogpt_integrations")

DEFAULT_MODEL = "openai/gpt-4o-mini"
#: Used when the catalogue cannot be reached or has no ``context_length`` for the model.
FALLBACK_CONTEXT_WINDOW = 32_768
_warned_catalogue: set[str] = set()


#: The connection settings after the key, in ``core.lazy.SETTINGS`` order.
_connection = operator.attrgetter(
    "api_base", "timeout", "max_retries", "default_headers", "http_client", "http_async_client"
)


class NanoGPTLLM(NanoGPTFields, OwnsClients, StructuredOutput, FunctionCallingLLM):
    """NanoGPT chat models in LlamaIndex: query engines, agents, tools, structured output.

    Context window, tool calling and structured-output support come from the NanoGPT model
    catalogue on first use, per model id (explicit values win). If the catalogue cannot be
    reached, the defaults are ``context_window=32768``, ``is_function_calling_model=True`` and no
    json_schema structured output (a forced tool call is used instead); this is logged once.
    Sampling fields, NanoGPT options and route switches are the ones ``ChatNanoGPT`` has, under
    the same names (:class:`~nanogpt_integrations.core.fields.NanoGPTFields`).

    >>> llm = NanoGPTLLM(model="anthropic/claude-sonnet-4.5", prompt_caching=True)  # doctest: +SKIP
    >>> llm.complete("Hello").text  # doctest: +SKIP
    """

    model_config = ConfigDict(defer_build=False)

    model: str = Field(
        default=DEFAULT_MODEL, min_length=1, description="NanoGPT model id, e.g. 'openai/gpt-4o-mini'."
    )
    api_base: str = Field(default=DEFAULT_BASE_URL, description="API base URL (env NANOGPT_BASE_URL).")
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
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra body fields (NanoGPT option names here are options)."
    )
    default_headers: dict[str, str] | None = Field(default=None, description="Headers on every request.")

    _extra_field = "additional_kwargs"
    _api_key: SecretStr | None = PrivateAttr(default=None)
    #: Catalogue entries per (base URL, model id): a reassigned ``model`` gets its own.
    _infos: dict[tuple[str, str], ModelInfo | None] = PrivateAttr(default_factory=dict)

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
        try:
            super().__init__(model=model, api_base=base, **kwargs)
        except ValidationError as exc:
            raise configuration_error(type(self).__name__, exc) from None
        if api_key is None:
            env = os.environ.get("NANOGPT_API_KEY")
            api_key = env or None
        self._api_key = api_key if isinstance(api_key, SecretStr) or api_key is None else SecretStr(api_key)

    @classmethod
    def class_name(cls) -> str:
        return "NanoGPT_LLM"

    @field_validator("api_base")
    @classmethod
    def _check_api_base(cls, value: str) -> str:
        return check_base_url(value, field="api_base") or value

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling re-runs ``__init__`` from the public fields; keep the key it cannot see."""
        super().__setstate__(state)
        key = (state.get("__pydantic_private__") or {}).get("_api_key")
        if key is not None:
            self._api_key = key

    # -- what the shared fields need -----------------------------------------------------------

    def _extra_fields(self) -> dict[str, Any]:
        return self.additional_kwargs

    def _parallel_tool_calls(self) -> bool | None:
        return self.allow_parallel_tool_calls

    # -- clients and catalogue -------------------------------------------------------------------

    def _lazy_clients(self) -> LazyClients:
        """This instance's own clients (``core.lazy``): copies and pickles build theirs."""
        state = self.__pydantic_private__
        assert state is not None
        return owned_clients(self, state, (state["_api_key"], *_connection(self), self._client_limits()))

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
        if key in _warned_catalogue:
            return
        _warned_catalogue.add(key)
        fallbacks = []  # only what the catalogue would have decided: explicit values are kept
        if self.context_window is None:
            fallbacks.append(f"context_window={FALLBACK_CONTEXT_WINDOW}")
        if self.is_function_calling_model is None:
            fallbacks.append("is_function_calling_model=True")
        if self.supports_structured_output is None:
            fallbacks.append("no json_schema structured output")
        using = f"; using {', '.join(fallbacks)}. Pass them explicitly to silence this" if fallbacks else ""
        logger.warning("NanoGPT model catalogue unavailable for %s (%s)%s.", self.model, exc, using)

    def _info_key(self, model: str | None = None) -> tuple[str, str]:
        return (self.api_base, model or self.model)

    def _cached_info(self, model: str | None = None) -> ModelInfo | None:
        """The catalogue entry already looked up for ``model`` (no I/O)."""
        infos: dict[tuple[str, str], ModelInfo | None] = private(self, "_infos")
        return infos.get(self._info_key(model))

    def model_info(self) -> ModelInfo | None:
        """The catalogue entry for the current ``model`` (looked up once per model id), or None."""
        infos: dict[tuple[str, str], ModelInfo | None] = private(self, "_infos")
        key = self._info_key()
        if key not in infos:
            info: ModelInfo | None = None
            client = self.client
            client.config.require_key()  # no key: say so now, not after a catalogue fetch
            try:
                info = client.model_info(self.model)
            except NanoGPTError as exc:
                self._catalogue_failed(exc)
            infos[key] = info
        return infos[key]

    async def amodel_info(self) -> ModelInfo | None:
        """Async :meth:`model_info`."""
        infos: dict[tuple[str, str], ModelInfo | None] = private(self, "_infos")
        key = self._info_key()
        if key not in infos:
            info: ModelInfo | None = None
            aclient = self.async_client
            aclient.config.require_key()
            try:
                info = await aclient.model_info(self.model)
            except NanoGPTError as exc:
                self._catalogue_failed(exc)
            infos[key] = info
        return infos[key]

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

    # -- requests ----------------------------------------------------------------------------------

    def _wire(
        self,
        messages: Sequence[ChatMessage],
        kwargs: dict[str, Any],
        *,
        stream: bool,
        batch_row: bool = False,
    ) -> WireRequest:
        """The finished request of one chat call (or one batch row), through the core builder."""
        model = str(kwargs.get("model") or self.model)
        request = self._chat_request(
            messages_to_wire(messages),
            kwargs,
            stream=stream,
            info=self._cached_info(model),
            batch_row=batch_row,
        )
        return build_request(request)

    def _text_wire(self, prompt: str, kwargs: dict[str, Any], *, stream: bool) -> WireRequest:
        """The finished request of one legacy ``/completions`` call."""
        return build_request(self._chat_request(None, kwargs, stream=stream, prompt=prompt))

    # -- chat ------------------------------------------------------------------------------------

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        wire = self._wire(messages, kwargs, stream=False)
        return reply_to_response(complete(self.client, wire), wire.mode.raise_on_failure)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        wire = self._wire(messages, kwargs, stream=False)
        return reply_to_response(await acomplete(self.async_client, wire), wire.mode.raise_on_failure)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Checked now (bad input fails before any request); sent on the first iteration."""
        wire = self._wire(messages, kwargs, stream=True)
        client = self.client

        def gen() -> ChatResponseGen:
            replies = ReplyStream(client, wire)
            state = ChatStreamState(replies)
            for item in replies:
                yield from state.responses(item)
            yield from state.finish(wire.mode.raise_on_failure)

        return gen()

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        wire = self._wire(messages, kwargs, stream=True)
        client = self.async_client

        async def gen() -> ChatResponseAsyncGen:
            replies = AsyncReplyStream(client, wire)
            state = ChatStreamState(replies)
            async for item in replies:
                for response in state.responses(item):
                    yield response
            for response in state.finish(wire.mode.raise_on_failure):
                yield response

        return gen()

    # The public methods check ``messages`` before LlamaIndex's callback wrapper sees them (it
    # would fail on a wrong type with a pydantic error about an instrumentation event).

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        response: ChatResponse = self._chat_cb(as_chat_messages(messages), **kwargs)
        return response

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        responses: ChatResponseGen = self._stream_chat_cb(as_chat_messages(messages), **kwargs)
        return responses

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        response: ChatResponse = await self._achat_cb(as_chat_messages(messages), **kwargs)
        return response

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        responses: ChatResponseAsyncGen = await self._astream_chat_cb(as_chat_messages(messages), **kwargs)
        return responses

    @llm_chat_callback()
    def _chat_cb(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def _stream_chat_cb(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def _achat_cb(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def _astream_chat_cb(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    # -- completion ------------------------------------------------------------------------------

    @staticmethod
    def _as_messages(prompt: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self.use_completions_endpoint:
            return text_to_completion(complete(self.client, self._text_wire(prompt, kwargs, stream=False)))
        return chat_to_completion(self._chat(self._as_messages(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        if self.use_completions_endpoint:
            wire = self._text_wire(prompt, kwargs, stream=True)
            client = self.client

            def legacy() -> CompletionResponseGen:
                replies = ReplyStream(client, wire)
                state = ChatStreamState(replies)
                for item in replies:
                    response = state.text_step(item)
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
            wire = self._text_wire(prompt, kwargs, stream=False)
            return text_to_completion(await acomplete(self.async_client, wire))
        return chat_to_completion(await self._achat(self._as_messages(prompt), **kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        if self.use_completions_endpoint:
            wire = self._text_wire(prompt, kwargs, stream=True)
            client = self.async_client

            async def legacy() -> CompletionResponseAsyncGen:
                replies = AsyncReplyStream(client, wire)
                state = ChatStreamState(replies)
                async for item in replies:
                    response = state.text_step(item)
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
        wire_tools = tools_to_wire(as_tools(tools), strict=bool(strict))
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

    # Provider discovery and the provider preflight: the rules are the core's (core/providers.py).

    def providers(self, *, refresh: bool = False) -> ModelProviders:
        """``model``'s providers, their availability and prices (discovery, cached for 5 min)."""
        return self.client.model_providers(self.model, refresh=refresh)

    async def aproviders(self, *, refresh: bool = False) -> ModelProviders:
        """Async :meth:`providers`."""
        return await self.async_client.model_providers(self.model, refresh=refresh)

    def check_provider(self) -> ModelProviders:
        """Raise ``ProviderSelectionError`` if NanoGPT would reject or ignore ``routing`` / ``provider``."""
        return self.client.check_provider(self.model, self._nanogpt_options())

    async def acheck_provider(self) -> ModelProviders:
        """Async :meth:`check_provider`."""
        return await self.async_client.check_provider(self.model, self._nanogpt_options())

    # -- Batch API (half price, asynchronous; docs/batch.md) ---------------------------------------

    def batch_submit_chat(self, messages: Sequence[Sequence[ChatMessage]], **kwargs: Any) -> NanoGPTBatchJob:
        """Submit message lists as one NanoGPT Batch API job; its results are ``ChatResponse`` s.

        Per-call kwargs apply to every row (as in ``chat``); ``row_kwargs=[...]`` per row;
        ``tools=`` (with ``tool_required`` / ``tool_choice``) or ``output_cls=`` as in
        ``chat_with_tools`` / ``structured_predict``; ``custom_ids``, ``workflow`` ("auto", "inline",
        "file") and ``metadata`` for the job. A row that breaks a Batch API rule raises
        ``BatchValidationError`` naming it, before anything is sent.
        """
        from ._batch import submit

        return submit(self, "chat", messages, **kwargs)

    async def abatch_submit_chat(
        self, messages: Sequence[Sequence[ChatMessage]], **kwargs: Any
    ) -> NanoGPTBatchJob:
        """Async :meth:`batch_submit_chat`."""
        from ._batch import asubmit

        return await asubmit(self, "chat", messages, **kwargs)

    def batch_submit_complete(self, prompts: Sequence[str], **kwargs: Any) -> NanoGPTBatchJob:
        """Submit prompts as one Batch API job (each a user message, as ``complete`` sends it);
        its results are ``CompletionResponse`` s. Options as :meth:`batch_submit_chat`."""
        from ._batch import submit

        return submit(self, "complete", prompts, **kwargs)

    async def abatch_submit_complete(self, prompts: Sequence[str], **kwargs: Any) -> NanoGPTBatchJob:
        """Async :meth:`batch_submit_complete`."""
        from ._batch import asubmit

        return await asubmit(self, "complete", prompts, **kwargs)
