"""``ChatNanoGPT``: NanoGPT as a LangChain chat model.

Thin glue: configuration and LangChain plumbing live here; message, tool and reply translation in
the ``_``-prefixed modules next to it; HTTP, retries, SSE and stream merging in the core.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput, ModelProfile
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict

from ..core import ModelInfo
from ..core.calls import AsyncReplyStream, Reply, ReplyStream, acomplete, complete
from ..core.request import WireRequest, build_request
from . import _profile
from ._batch import BatchMethods
from ._chunks import agenerate_chunks, generate_chunks, last_chunk
from ._messages import convert_messages
from ._responses import chat_result
from ._settings import NanoGPTSettings, precompute_signatures
from ._tools import ToolLike, format_tools, response_format, schema_name

if TYPE_CHECKING:
    # Loaded on first use of with_structured_output: the output parsers cost ~7 ms at import.
    from ..core import ModelProviders, TEEVerification
    from ._structured import StructuredMethod

__all__ = ["ChatNanoGPT"]


class ChatNanoGPT(NanoGPTSettings, BatchMethods, BaseChatModel):
    """NanoGPT chat completions (``/api/v1/chat/completions``) with every NanoGPT option typed.

    >>> from nanogpt_integrations.langchain import ChatNanoGPT
    >>> llm = ChatNanoGPT(model="openai/gpt-4o-mini", web_search="deep", billing_mode="paygo")  # doctest: +SKIP
    >>> llm.invoke("What happened in AI this week?", routing="price")  # doctest: +SKIP

    The key comes from ``api_key`` or ``NANOGPT_API_KEY``; the URL from ``base_url`` or
    ``NANOGPT_BASE_URL``. Every NanoGPT option also works per call and with ``.bind(...)``; a call
    level ``cache_control={"type": "ephemeral", "ttl": "1h"}`` turns on NanoGPT's prompt-caching
    helper. ``with_structured_output`` defaults to ``method="function_calling"``: tool calling is
    the most widely supported route across NanoGPT's many upstreams (several ignore
    ``response_format`` json_schema).

    ``use_responses_api=True`` (instance, per call or ``.bind``) sends the same request to
    ``/responses`` instead; with ``use_previous_response_id=True`` only the messages after the last
    reply with a ``resp_`` id are sent, threaded by ``previous_response_id``. ``verify_tee=True`` on
    a ``TEE/`` model checks the signed request/response hashes and reports the result in
    ``response_metadata["tee_verification"]``.
    """

    model_config = ConfigDict(defer_build=False)

    use_batch_api: bool = False
    """``batch()`` / ``abatch()`` send the inputs as one NanoGPT Batch API job (half price, run
    asynchronously by NanoGPT) and block until its results are in (also per call:
    ``batch(inputs, use_batch_api=True)``). ``batch_submit`` returns the job instead (docs/batch.md)."""

    # -- LangChain plumbing ------------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "nanogpt-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "NANOGPT_API_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params = {"model": self.model, **self._sampling(), **self._option_params()}
        return {k: v for k, v in params.items() if v is not None}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "nanogpt"
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        info = self._known_info(self.model)
        return _profile.profile_from_info(info) if info else None

    def load_profile(self) -> ModelProfile | None:
        """Fetch the catalogue (cached 5 min) and set ``profile`` from it; None if the model is unknown."""
        client = self._sync_client()
        catalogue = client.catalogue()
        _profile.remember_catalogue(self._catalogue_key(), catalogue)
        self.profile = self._resolve_model_profile()
        return self.profile

    async def aload_profile(self) -> ModelProfile | None:
        """Async :meth:`load_profile`."""
        client = self._async_client_get()
        catalogue = await client.catalogue()
        _profile.remember_catalogue(self._catalogue_key(), catalogue)
        self.profile = self._resolve_model_profile()
        return self.profile

    def get_num_tokens(self, text: str) -> int:
        """Approximate and offline (about four characters per token); NanoGPT routes to many tokenizers."""
        return math.ceil(len(text) / 4)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool] | None = None,
    ) -> int:
        """Approximate and offline, tools included."""
        formatted: list[BaseTool | dict[str, Any]] | None = list(format_tools(tools)) if tools else None
        return count_tokens_approximately(messages, tools=formatted)

    def _known_info(self, model: str) -> ModelInfo | None:
        """Catalogue facts already in memory (never fetched here: no I/O on construction or per call)."""
        catalogue = _profile.known_catalogue(self._catalogue_key())
        return catalogue.check(model) if catalogue else None

    def _wire(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        *,
        stream: bool,
        batch_row: bool = False,
    ) -> WireRequest:
        """The finished request of one call (or one batch row): LangChain messages and kwargs
        through the core builder."""
        call = {**kwargs, "stop": stop} if stop is not None else kwargs
        model = str(call.get("model") or self.model)
        request = self._chat_request(
            convert_messages(messages), call, stream=stream, info=self._known_info(model), batch_row=batch_row
        )
        return build_request(request)

    @staticmethod
    def _with_tee(message: BaseMessage, verification: TEEVerification | None, raise_on_failure: bool) -> None:
        """The TEE verification in ``response_metadata["tee_verification"]``; raise on ``failed`` if asked."""
        if verification is None:
            return
        from ..core import TEEVerificationError

        message.response_metadata["tee_verification"] = verification.to_dict()
        if raise_on_failure and verification.status == "failed":
            raise TEEVerificationError(verification)

    def _result(self, reply: Reply, wire: WireRequest) -> ChatResult:
        result = chat_result(reply.turn)
        self._with_tee(result.generations[0].message, reply.verification, wire.mode.raise_on_failure)
        return result

    # -- calls ---------------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        wire = self._wire(messages, stop, kwargs, stream=False)
        return self._result(complete(self._sync_client(), wire), wire)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        wire = self._wire(messages, stop, kwargs, stream=False)
        return self._result(await acomplete(self._async_client_get(), wire), wire)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        wire = self._wire(messages, stop, kwargs, stream=True)
        replies = ReplyStream(self._sync_client(), wire)
        yield from generate_chunks(replies, replies, run_manager)
        final = last_chunk(replies.result())
        self._with_tee(final.message, replies.verification, wire.mode.raise_on_failure)
        yield final

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        wire = self._wire(messages, stop, kwargs, stream=True)
        replies = AsyncReplyStream(self._async_client_get(), wire)
        async for chunk in agenerate_chunks(replies, replies, run_manager):
            yield chunk
        final = last_chunk(replies.result())
        self._with_tee(final.message, replies.verification, wire.mode.raise_on_failure)
        yield final

    # -- tools and structured output -------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in OpenAI function format (``cache_control`` kept).

        ``tool_choice``: "auto", "none", "any"/"required"/True (call some tool), a tool name, or a
        dict. ``parallel_tool_calls`` is only sent when set (several upstreams reject it).
        """
        from ..core.request import tool_choice_to_wire

        formatted = format_tools(tools, strict=strict)
        bound: dict[str, Any] = {"tools": formatted}
        choice = tool_choice_to_wire(tool_choice, formatted)  # checked now, not at the first call
        if choice is not None:
            bound["tool_choice"] = choice
        if parallel_tool_calls is not None:
            bound["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(**bound, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Return a runnable producing ``schema``-shaped output.

        ``method``: "function_calling" (default; a forced tool call, the most portable across
        upstreams), "json_schema" (``response_format`` json_schema, ``strict`` passed through) or
        "json_mode" (``response_format`` json_object; describe the keys in the prompt).
        """
        from ._structured import output_parser, with_raw

        if kwargs:
            raise ValueError(f"unexpected arguments: {sorted(kwargs)}")
        if schema is None and method != "json_mode":
            raise ValueError(f"schema is required for method={method!r}")
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        name: str | None = None
        if method == "function_calling":
            assert schema is not None
            name = schema_name(schema)
            llm = self.bind_tools(
                [schema], tool_choice=name, strict=strict, ls_structured_output_format=trace
            )
        elif method == "json_schema":
            llm = self.bind(
                response_format=response_format(schema, strict=strict), ls_structured_output_format=trace
            )
        elif method == "json_mode":
            llm = self.bind(response_format=response_format(None), ls_structured_output_format=trace)
        else:
            raise ValueError(
                f"method must be 'function_calling', 'json_schema' or 'json_mode'; got {method!r}"
            )
        parser = output_parser(schema, method, name)
        return with_raw(llm, parser) if include_raw else llm | parser

    # Provider discovery and the provider preflight: the rules are the core's (core/providers.py).

    def providers(self, *, refresh: bool = False) -> ModelProviders:
        """``model``'s providers, their availability and prices (discovery, cached for 5 min)."""
        return self._sync_client().model_providers(self.model, refresh=refresh)

    async def aproviders(self, *, refresh: bool = False) -> ModelProviders:
        """Async :meth:`providers`."""
        return await self._async_client_get().model_providers(self.model, refresh=refresh)

    def check_provider(self) -> ModelProviders:
        """Raise ``ProviderSelectionError`` if NanoGPT would reject or ignore ``routing`` / ``provider``."""
        return self._sync_client().check_provider(self.model, self._nanogpt_options())

    async def acheck_provider(self) -> ModelProviders:
        """Async :meth:`check_provider`."""
        return await self._async_client_get().check_provider(self.model, self._nanogpt_options())


precompute_signatures(ChatNanoGPT, "_generate", "_agenerate")
