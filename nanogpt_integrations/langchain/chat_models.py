"""``ChatNanoGPT``: NanoGPT as a LangChain chat model.

Thin glue: configuration and LangChain plumbing live here; message, tool and reply translation in
the ``_``-prefixed modules next to it; HTTP, retries, SSE and stream merging in the core.
"""

from __future__ import annotations

import math
import operator
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
from pydantic import ConfigDict, model_validator
from typing_extensions import Self

from .._fast_models import private
from ..core import (
    ModelInfo,
    StreamAccumulator,
    turn_from_completion,
)
from . import _profile
from ._chunks import agenerate_chunks, generate_chunks, last_chunk
from ._messages import convert_messages
from ._payload import Request, build_request, fill_prompt, settings_request, split_kwargs
from ._responses import chat_result
from ._settings import OPTION_FIELDS, SAMPLING, Memo, NanoGPTSettings, precompute_signatures
from ._tools import ToolLike, format_tools, response_format, schema_name
from ._tools import tool_choice as normalize_tool_choice

if TYPE_CHECKING:
    # Loaded on first use of with_structured_output: the output parsers cost ~7 ms at import.
    # The Responses API and TEE routes (_responses_api, _tee) load on their first call.
    from ..core import ModelProviders
    from ._responses_api import CallMode
    from ._structured import StructuredMethod

__all__ = ["ChatNanoGPT"]

#: The fields a call without per-call kwargs depends on, read in one C call.
_request_fields = operator.attrgetter(
    "model", "stop", "model_kwargs", "extra_body", "force_cache_control", *SAMPLING, *OPTION_FIELDS
)

#: Per-call switches that pick the route of a call (popped, never sent; see ``_responses_api``).
_MODE_KWARGS = frozenset(
    {"use_responses_api", "use_previous_response_id", "verify_tee", "tee_raise_on_failure"}
)


class ChatNanoGPT(NanoGPTSettings, BaseChatModel):
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

    force_cache_control: bool = False
    """Send explicit ``cache_control`` even to models known to cache implicitly (normally dropped)."""
    use_responses_api: bool = False
    """Send calls to ``/responses`` instead of ``/chat/completions`` (also per call and with ``.bind``)."""
    use_previous_response_id: bool = False
    """Responses API: send only the messages after the last reply with a ``resp_`` id, threading by
    ``previous_response_id`` (``store`` is set true)."""
    verify_tee: bool = False
    """``TEE/`` models: verify the signed request/response hashes; the result is in
    ``response_metadata["tee_verification"]`` (on the last chunk when streaming)."""
    tee_raise_on_failure: bool = False
    """Raise ``TEEVerificationError`` when a TEE verification fails (``unavailable`` never raises)."""

    @model_validator(mode="after")
    def _check_routes(self) -> Self:
        """Impossible switch combinations fail at construction (e.g. ``verify_tee`` on a non-TEE model)."""
        if self.use_responses_api or self.use_previous_response_id or self.verify_tee:
            from ._responses_api import check_modes

            check_modes(self._mode_defaults(), self.model)
        return self

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
        params = {"model": self.model, **self._defaults(), **self._option_params()}
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
        return catalogue.get(model) if catalogue else None

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[Request, bool]:
        """The wire request for one call, and whether to ask for stream usage."""
        if not kwargs and stop is None:
            base = self._settings_request()
            if base is not None:
                prompt = {"messages": convert_messages(messages)}
                info = self._known_info(self.model)
                request = fill_prompt(base, prompt, info=info, force_cache_control=self.force_cache_control)
                return request, self.stream_usage
        call_body, controls = split_kwargs(kwargs)
        stops = stop if stop is not None else self.stop
        if stops:
            call_body["stop"] = stops
        model = str(call_body.get("model") or self.model)
        request = build_request(
            model=model,
            prompt={"messages": convert_messages(messages)},
            defaults={**self._defaults(), **self.model_kwargs},
            call_body=call_body,
            options=self._nanogpt_options(),
            controls=controls,
            extra_body=self.extra_body,
            force_cache_control=self.force_cache_control,
            info=self._known_info(model),
        )
        usage = controls.stream_usage if controls.stream_usage is not None else self.stream_usage
        return request, usage

    def _settings_request(self) -> Request | None:
        """:func:`settings_request` for the current fields, memoised per field values (a copy of
        them, so in-place edits count)."""
        memo: Memo[Request | None] = private(self, "_request_memo")
        return memo.get(
            _request_fields(self),
            lambda: settings_request(
                model=self.model,
                prompt_key="messages",
                defaults={**self._defaults(), **self.model_kwargs},
                stop=self.stop,
                options=self._nanogpt_options(),
                extra_body=self.extra_body,
            ),
            copy=True,
        )

    def _mode_defaults(self) -> CallMode:
        from ._responses_api import CallMode

        return CallMode(
            responses=self.use_responses_api,
            previous_response_id=self.use_previous_response_id,
            verify_tee=self.verify_tee,
            raise_on_failure=self.tee_raise_on_failure,
        )

    def _mode(self, kwargs: dict[str, Any]) -> CallMode | None:
        """Pop the per-call route switches; None for plain chat completions (the common case)."""
        if not (
            self.use_responses_api or self.use_previous_response_id or self.verify_tee
        ) and _MODE_KWARGS.isdisjoint(kwargs):
            return None
        from ._responses_api import call_mode

        mode = call_mode(kwargs, model=self.model, defaults=self._mode_defaults())
        return mode if mode.responses or mode.verify_tee else None

    # -- calls ---------------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        mode = self._mode(kwargs)
        if mode is not None:
            from . import _responses_api, _tee

            if mode.responses:
                return _responses_api.generate(self, messages, stop, kwargs, mode)
            return _tee.generate(self, messages, stop, kwargs, mode)
        request, _ = self._request(messages, stop, kwargs)
        completion = self._sync_client().chat(request.body, headers=request.headers)
        return chat_result(turn_from_completion(completion))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        mode = self._mode(kwargs)
        if mode is not None:
            from . import _responses_api, _tee

            if mode.responses:
                return await _responses_api.agenerate(self, messages, stop, kwargs, mode)
            return await _tee.agenerate(self, messages, stop, kwargs, mode)
        request, _ = self._request(messages, stop, kwargs)
        completion = await self._async_client_get().chat(request.body, headers=request.headers)
        return chat_result(turn_from_completion(completion))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        mode = self._mode(kwargs)
        if mode is not None:
            from . import _responses_api, _tee

            if mode.responses:
                yield from _responses_api.stream(self, messages, stop, kwargs, mode, run_manager)
            else:
                yield from _tee.stream(self, messages, stop, kwargs, mode, run_manager)
            return
        request, usage = self._request(messages, stop, kwargs)
        client = self._sync_client()
        with client.stream_chat(request.body, headers=request.headers, include_usage=usage) as stream:
            accumulator = StreamAccumulator(stream.request_id)
            yield from generate_chunks(accumulator, stream, run_manager)
        yield last_chunk(accumulator.result())

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        mode = self._mode(kwargs)
        if mode is not None:
            from . import _responses_api, _tee

            chunks = (_responses_api.astream if mode.responses else _tee.astream)(
                self, messages, stop, kwargs, mode, run_manager
            )
            async for routed in chunks:
                yield routed
            return
        request, usage = self._request(messages, stop, kwargs)
        client = self._async_client_get()
        stream = await client.stream_chat(request.body, headers=request.headers, include_usage=usage)
        async with stream:
            accumulator = StreamAccumulator(stream.request_id)
            async for chunk in agenerate_chunks(accumulator, stream, run_manager):
                yield chunk
        yield last_chunk(accumulator.result())

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
        formatted = format_tools(tools, strict=strict)
        bound: dict[str, Any] = {"tools": formatted}
        choice = normalize_tool_choice(tool_choice, formatted)
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
