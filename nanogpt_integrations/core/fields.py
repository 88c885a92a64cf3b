"""The settings every chat adapter shares, declared once: sampling, NanoGPT options, routes.

:class:`NanoGPTFields` is a pydantic mixin (framework-free) that ``ChatNanoGPT``, ``NanoGPT`` and
``NanoGPTLLM`` all inherit, so the same names, types, ranges and docstrings hold in both
frameworks and are validated when the object is built. :meth:`NanoGPTFields._chat_request`
turns the current field values plus one call's messages and keyword arguments into the core's
neutral :class:`~.request.ChatRequest`; each adapter adds only its framework's own fields
(connection settings, ``model_kwargs`` / ``additional_kwargs``, ...).

Value ranges are the documented ones (api-reference/endpoint/chat-completion.mdx, "Temperature &
Nucleus" and the parameter tables); NaN and infinity are refused everywhere.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from typing_extensions import Self

from .arguments import sort_arguments
from .memo import StrictMemo
from .options import NanoGPTOptions, PromptCaching, ProviderRouting, ReasoningOptions, WebSearchOptions
from .request import MODE_NAMES, CallMode, ChatRequest, check_mode

__all__ = ["OPTION_FIELDS", "SAMPLING_FIELDS", "NanoGPTFields"]

OPTION_FIELDS: tuple[str, ...] = NanoGPTOptions.field_names()
SAMPLING_FIELDS: tuple[str, ...] = (
    "temperature",
    "max_tokens",
    "top_p",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "top_k",
    "min_p",
    "repetition_penalty",
)
_option_values = operator.attrgetter(*OPTION_FIELDS)
_sampling_values = operator.attrgetter(*SAMPLING_FIELDS)
_PLAIN = CallMode()
_mode_values = operator.attrgetter(
    "use_responses_api", "use_previous_response_id", "verify_tee", "tee_raise_on_failure"
)


def _known_names(cls: type[BaseModel]) -> set[str]:
    """Every name a constructor of ``cls`` accepts: field names and their aliases."""
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names


class NanoGPTFields(BaseModel):
    """Sampling parameters, NanoGPT options and route switches, shared by every chat adapter."""

    # A mixin, never built itself: its schema is built as part of each adapter class.
    model_config = ConfigDict(defer_build=True)

    # -- sampling (not sent when None) ---------------------------------------------------------------
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, allow_inf_nan=False)
    """0-2; None leaves the routed provider's default."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Upper bound on generated tokens; None leaves the provider's default."""
    top_p: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    seed: int | None = None
    """Forwarded where the route supports seeded sampling; not a guarantee of identical output."""
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0, allow_inf_nan=False)
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0, allow_inf_nan=False)
    top_k: int | None = Field(default=None, ge=1)
    min_p: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    repetition_penalty: float | None = Field(default=None, ge=-2.0, le=2.0, allow_inf_nan=False)

    # -- NanoGPT options (the same names and types as the core's NanoGPTOptions) ----------------------
    web_search: bool | str | WebSearchOptions | None = None
    """True / "standard" / "deep" / an ``:online/<variant>`` name (model suffix), options (body
    ``webSearch``), or False to remove an ``:online`` suffix written into ``model``."""
    routing: str | None = None
    """"speed", "price", "throughput", "latency", "tools", "caching" (model suffix). Billed
    pay-as-you-go with NanoGPT's provider-selection markup; bypasses subscription coverage."""
    provider: str | ProviderRouting | None = None
    """A provider id (``X-Provider`` header) or a routing object (body ``provider``). Billed
    pay-as-you-go at that provider's price plus markup; bypasses subscription coverage."""
    billing_mode: str | None = None
    """"paygo" forces pay-as-you-go billing (``X-Billing-Mode``)."""
    caching: bool | None = None
    """Cache-capable routing (body ``caching``)."""
    sticky_provider: bool | None = None
    """With caching: no failover (503 ``fallback_blocked_for_cache_consistency`` instead)."""
    prompt_caching: bool | PromptCaching | None = None
    """NanoGPT's explicit prompt-caching helper (body ``prompt_caching``; Claude-style models)."""
    reasoning_effort: str | None = None
    """"none", "minimal", "low", "medium", "high" or "xhigh"."""
    reasoning: ReasoningOptions | None = None
    """The body ``reasoning`` object (``exclude`` hides the reasoning; ``effort``)."""

    # -- request shaping and routes --------------------------------------------------------------------
    stream_usage: bool = True
    """Ask for usage (and cost): ``stream_options.include_usage`` in streams, ``include_usage``
    otherwise."""
    extra_body: dict[str, Any] | None = None
    """Body fields copied in verbatim and last, overriding anything else."""
    force_cache_control: bool = False
    """Send explicit ``cache_control`` even to models known to cache implicitly (normally dropped)."""
    replay_reasoning: bool = True
    """Send an assistant message's reasoning (``reasoning`` / ``reasoning_details``) back on later turns."""
    use_responses_api: bool = False
    """Send calls to ``/responses`` instead of ``/chat/completions`` (also per call)."""
    use_previous_response_id: bool = False
    """Responses API: send only the messages after the last reply with a ``resp_`` id, threading by
    ``previous_response_id`` (``store`` is set true)."""
    verify_tee: bool = False
    """TEE models: verify the signed request/response hashes; the result is reported with the reply."""
    tee_raise_on_failure: bool = False
    """Raise ``TEEVerificationError`` when a TEE verification fails (``unavailable`` never raises)."""

    # -- client-side limits ---------------------------------------------------------------------------
    requests_per_second: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Client-side rate limit (token bucket) shared by every client of this process for the same key
    and host; NanoGPT documents 25 requests per second (api-reference/miscellaneous/rate-limits.mdx,
    ``RECOMMENDED_REQUESTS_PER_SECOND``). None = no limit."""

    _options_memo: StrictMemo[NanoGPTOptions] = PrivateAttr(default_factory=StrictMemo)
    #: Where unknown constructor arguments go (request body fields): set by each adapter class.
    _extra_field: ClassVar[str] = "model_kwargs"

    @model_validator(mode="before")
    @classmethod
    def _sort_arguments(cls, data: Any) -> Any:
        """Typos are errors, other unknown names body fields, OpenAI-style names ours
        (:func:`~.arguments.sort_arguments`)."""
        if not isinstance(data, dict):
            return data
        return sort_arguments(data, owner=cls.__name__, known=_known_names(cls), extra_field=cls._extra_field)

    @model_validator(mode="after")
    def _validate_nanogpt(self) -> Self:
        """Every NanoGPT option, suffix conflict (with the model's own suffixes) and route switch
        is checked now, not at the first call."""
        model = self._model_id()
        self._nanogpt_options().apply(model, {}, {})
        if self.use_responses_api or self.use_previous_response_id or self.verify_tee:
            check_mode(self._mode_defaults(), model)
        return self

    # -- what adapters provide ---------------------------------------------------------------------------

    def _model_id(self) -> str:
        """The model id the adapter is configured with."""
        return str(getattr(self, "model", ""))

    def _extra_fields(self) -> Mapping[str, Any]:
        """The adapter's extra body fields (``model_kwargs`` / ``additional_kwargs``)."""
        return {}

    def _parallel_tool_calls(self) -> bool | None:
        """The instance default for ``parallel_tool_calls`` (sent only with tools)."""
        return None

    def _stop(self) -> Sequence[str] | None:
        return None

    # -- building ----------------------------------------------------------------------------------------

    def _nanogpt_options(self) -> NanoGPTOptions:
        """The validated options for the current field values (rebuilt when any of them differs)."""
        values = _option_values(self)
        memo: StrictMemo[NanoGPTOptions] = self.__pydantic_private__["_options_memo"]  # type: ignore[index]
        return memo.get(values, lambda: NanoGPTOptions(**dict(zip(OPTION_FIELDS, values, strict=True))))

    def _sampling(self) -> dict[str, Any]:
        """The sampling fields that are set, as body fields."""
        return {
            name: value
            for name, value in zip(SAMPLING_FIELDS, _sampling_values(self), strict=True)
            if value is not None
        }

    def _option_params(self) -> dict[str, Any]:
        """The NanoGPT option fields that are set."""
        return {
            name: value
            for name, value in zip(OPTION_FIELDS, _option_values(self), strict=True)
            if value is not None
        }

    def _mode_defaults(self) -> CallMode:
        values = _mode_values(self)
        return CallMode(*values) if any(values) else _PLAIN

    def _mode(self, call: Mapping[str, Any], model: str) -> CallMode:
        """The route switches of one call: per-call values over the instance's, validated."""
        defaults = self._mode_defaults()
        if MODE_NAMES.isdisjoint(call):
            if "model" in call and (defaults.verify_tee or defaults.responses):
                check_mode(defaults, model)  # a per-call model must suit the instance's route too
            return defaults
        mode = CallMode(
            responses=bool(call.get("use_responses_api", defaults.responses)),
            previous_response_id=bool(call.get("use_previous_response_id", defaults.previous_response_id)),
            verify_tee=bool(call.get("verify_tee", defaults.verify_tee)),
            raise_on_failure=bool(call.get("tee_raise_on_failure", defaults.raise_on_failure)),
        )
        check_mode(mode, model)
        return mode

    def _chat_request(
        self,
        messages: Sequence[Mapping[str, Any]] | None,
        call: Mapping[str, Any],
        *,
        stream: bool = False,
        prompt: str | None = None,
        info: Any = None,
        batch_row: bool = False,
    ) -> ChatRequest:
        """The neutral request for one call (see :mod:`.request` for what happens to it)."""
        model = str(call.get("model") or self._model_id())
        return ChatRequest(
            model=self._model_id(),
            messages=messages,
            prompt=prompt,
            sampling=self._sampling(),
            stop=self._stop(),
            options=self._nanogpt_options(),
            extra=self._extra_fields(),
            call=call,
            extra_body=self.extra_body,
            stream=stream,
            stream_usage=self.stream_usage,
            force_cache_control=self.force_cache_control,
            replay_reasoning=self.replay_reasoning,
            parallel_tool_calls=self._parallel_tool_calls(),
            mode=self._mode(call, model),
            info=info,
            batch_row=batch_row,
        )
