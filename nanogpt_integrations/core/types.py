"""Wire types of the chat, completion, embedding and pricing payloads (api-reference/endpoint/chat-completion.mdx, api-reference/endpoint/completion.mdx, api-reference/endpoint/embeddings.mdx).

Every model tolerates unknown fields (``extra="allow"``): NanoGPT adds fields often and the docs
tell clients not to validate ``usage`` strictly. Numbers that some upstreams send as floats or
strings are coerced leniently; a token count or cost that is not a finite, non-negative number
(``-5``, ``1e400``, ``"n/a"``) is ignored (None) and logged at WARNING, never reported as a value
and never raised as a raw ``OverflowError``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from ._wire import WireModel

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "Choice",
    "ChunkChoice",
    "Completion",
    "CompletionChoice",
    "Delta",
    "EmbeddingItem",
    "EmbeddingResponse",
    "FunctionCall",
    "Pricing",
    "TokenUsage",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "WireModel",
    "money",
    "token_count",
]

logger = logging.getLogger("nanogpt_integrations")


def _ignored(value: Any, name: str, kind: str) -> None:
    logger.warning("NanoGPT sent %s=%r, not a valid %s: ignored", name, value, kind)


def token_count(value: Any, name: str = "token count") -> int | None:
    """A token count from whatever an upstream sent: ints, integral floats and numeric strings.

    None for None, and for anything that is not a finite number >= 0 (negative, ``1e400``, NaN,
    text, booleans), which is logged instead of being reported as a count.
    """
    if type(value) is int and value >= 0:
        return value
    if value is None:
        return None
    number = None if type(value) is int else _number(value)
    if number is not None and number >= 0:
        return int(number)
    _ignored(value, name, "token count")
    return None


def money(value: Any, name: str = "cost") -> float | None:
    """An amount of money: numbers and numeric strings (``"0.01"``) as float; None for None and for
    anything that is not a finite number >= 0, which is logged instead of being reported."""
    if value is None:
        return None
    number = _number(value)
    if number is not None and number >= 0:
        return number
    _ignored(value, name, "amount")
    return None


def _number(value: Any) -> float | None:
    """A finite float from a number or numeric string; None otherwise (booleans included)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


class TokenUsage(WireModel):
    """Normalised token counts, the same for both frameworks.

    ``input_tokens`` always includes cache reads and cache writes, whatever convention the upstream
    used (api-reference/endpoint/chat-completion.mdx notes both), so ``input_tokens >= cache_read + cache_creation``.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0


class Usage(WireModel):
    """``usage`` as sent; see :meth:`normalized` for the counts to report."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None
    input_tokens_details: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None
    reasoning_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    @field_validator(
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        mode="before",
    )
    @classmethod
    def _lenient_int(cls, value: Any, info: ValidationInfo) -> int | None:
        return token_count(value, f"usage.{info.field_name}")

    @property
    def has_counts(self) -> bool:
        """Whether any top-level count survived validation (all ignored or absent: no usage)."""
        return any(
            value is not None
            for value in (
                self.prompt_tokens,
                self.completion_tokens,
                self.total_tokens,
                self.input_tokens,
                self.output_tokens,
            )
        )

    def normalized(self) -> TokenUsage:
        """Counts with cache and reasoning details resolved from whichever fields are present."""
        # The top-level counts are ints or None after validation; the detail dicts are free-form.
        prompt_details = self.prompt_tokens_details or self.input_tokens_details or {}
        completion_details = self.completion_tokens_details or self.output_tokens_details or {}

        def detail(details: dict[str, Any], key: str) -> int:
            return token_count(details.get(key), key) or 0

        cache_read = max(self.cache_read_input_tokens or 0, detail(prompt_details, "cached_tokens"))
        cache_creation = max(
            self.cache_creation_input_tokens or 0,
            detail(prompt_details, "cache_write_tokens"),
            detail(prompt_details, "cache_creation_tokens"),
        )
        reasoning = max(self.reasoning_tokens or 0, detail(completion_details, "reasoning_tokens"))
        prompt = (self.prompt_tokens if self.prompt_tokens is not None else self.input_tokens) or 0
        output = (self.completion_tokens if self.completion_tokens is not None else self.output_tokens) or 0
        if prompt < cache_read + cache_creation:
            # Anthropic-style accounting: prompt_tokens excludes cached tokens; add them back.
            prompt += cache_read + cache_creation
        total = max(self.total_tokens or 0, prompt + output)
        return TokenUsage(
            input_tokens=prompt,
            output_tokens=output,
            total_tokens=total,
            cache_read_tokens=cache_read,
            cache_creation_tokens=cache_creation,
            reasoning_tokens=reasoning,
        )


class Pricing(WireModel):
    """``x_nanogpt_pricing``: what the request was charged (fields listed in
    ``api-reference/miscellaneous/streaming-protocol.mdx`` and ``prompt-caching.mdx``; others kept)."""

    amount: float | None = None
    cost: float | None = None
    cost_usd: float | None = Field(default=None, alias="costUsd")
    usd_cost: float | None = Field(default=None, alias="usdCost")
    currency: str | None = None
    payment_source: str | None = Field(default=None, alias="paymentSource")
    input_tokens: int | None = Field(default=None, alias="inputTokens")
    output_tokens: int | None = Field(default=None, alias="outputTokens")
    cache_cost: float | None = Field(default=None, alias="cacheCost")
    cache_creation_input_tokens: int | None = Field(default=None, alias="cacheCreationInputTokens")
    cache_read_input_tokens: int | None = Field(default=None, alias="cacheReadInputTokens")
    request_id: str | None = Field(default=None, alias="requestId")
    error: Any = None

    @field_validator("amount", "cost", "cost_usd", "usd_cost", "cache_cost", mode="before")
    @classmethod
    def _money(cls, value: Any, info: ValidationInfo) -> float | None:
        return money(value, f"x_nanogpt_pricing.{info.field_name}")

    @field_validator(
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        mode="before",
    )
    @classmethod
    def _tokens(cls, value: Any, info: ValidationInfo) -> int | None:
        return token_count(value, f"x_nanogpt_pricing.{info.field_name}")

    def usage(self) -> TokenUsage | None:
        """Token counts from ``inputTokens`` / ``outputTokens`` and the cache counts, normalised like
        ``usage`` (None without an input or output count). NanoGPT may backfill ``usage`` from these
        (``api-reference/miscellaneous/streaming-protocol.mdx``); whether ``inputTokens`` includes
        cached tokens is not documented, so cached tokens are added only when it is smaller."""
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return Usage(
            prompt_tokens=self.input_tokens,
            completion_tokens=self.output_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens,
        ).normalized()

    @property
    def charged(self) -> float | None:
        """The settled charge: ``cost``, else ``amount``, else the USD aliases seen in clients."""
        for value in (self.cost, self.amount, self.cost_usd, self.usd_cost):
            if value is not None:
                return float(value)
        return None

    def summary(self) -> dict[str, Any]:
        """A small framework-neutral dict: cost, currency, payment source (None values dropped)."""
        out = {
            "cost": self.charged,
            "currency": self.currency or ("USD" if self.charged is not None else None),
            "payment_source": self.payment_source,
            "cache_cost": self.cache_cost,
            "request_id": self.request_id,
        }
        return {k: v for k, v in out.items() if v is not None}


class FunctionCall(WireModel):
    name: str | None = None
    arguments: str | None = None

    @field_validator("arguments", mode="before")
    @classmethod
    def _args_to_str(cls, value: Any) -> Any:
        if isinstance(value, (dict, list)):
            import json

            return json.dumps(value)
        return value


class ToolCall(WireModel):
    id: str | None = None
    type: str = "function"
    function: FunctionCall = Field(default_factory=FunctionCall)


class ToolCallDelta(WireModel):
    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionCall | None = None

    @field_validator("index", mode="before")
    @classmethod
    def _index(cls, value: Any) -> int | None:
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None


class ChatMessage(WireModel):
    role: str | None = "assistant"
    content: Any = None
    reasoning: str | None = None
    reasoning_content: str | None = None
    reasoning_details: list[Any] | None = None
    tool_calls: list[ToolCall] | None = None
    refusal: str | None = None
    annotations: list[Any] | None = None


class Choice(WireModel):
    index: int = 0
    message: ChatMessage = Field(default_factory=ChatMessage)
    finish_reason: str | None = None
    logprobs: Any = None


class _Responded(WireModel):
    """Carries the response's ``X-Request-ID`` and headers without making them wire fields."""

    _request_id: str | None = PrivateAttr(default=None)

    @property
    def request_id(self) -> str | None:
        """``X-Request-ID`` of the HTTP response (quote it to NanoGPT support)."""
        # The private-attribute dict directly: pydantic's ``__getattr__`` for privates is slow.
        private = self.__pydantic_private__
        return private.get("_request_id") if private else None


class ChatCompletion(_Responded):
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    usage: Usage | None = None
    service_tier: str | None = None
    system_fingerprint: str | None = None
    x_nanogpt_pricing: Pricing | None = None


class Delta(WireModel):
    role: str | None = None
    #: A string, or (Mistral thinking models) a list of parts, read like a message's content.
    content: Any = None
    reasoning: str | None = None
    reasoning_content: str | None = None
    reasoning_details: list[Any] | None = None
    tool_calls: list[ToolCallDelta] | None = None
    refusal: str | None = None
    annotations: list[Any] | None = None


class ChunkChoice(WireModel):
    index: int = 0
    delta: Delta = Field(default_factory=Delta)
    finish_reason: str | None = None
    logprobs: Any = None


class ChatCompletionChunk(WireModel):
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None
    service_tier: str | None = None
    system_fingerprint: str | None = None
    x_nanogpt_pricing: Pricing | None = None
    error: Any = None


class CompletionChoice(WireModel):
    index: int = 0
    text: str = ""
    finish_reason: str | None = None
    logprobs: Any = None


class Completion(_Responded):
    """``/v1/completions`` response or stream chunk (api-reference/endpoint/completion.mdx)."""

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[CompletionChoice] = Field(default_factory=list)
    usage: Usage | None = None
    x_nanogpt_pricing: Pricing | None = None
    error: Any = None


class EmbeddingItem(WireModel):
    index: int = 0
    embedding: list[float] | str = Field(default_factory=list)
    object: str | None = None


class EmbeddingResponse(_Responded):
    """``/v1/embeddings`` response (api-reference/endpoint/embeddings.mdx)."""

    data: list[EmbeddingItem] = Field(default_factory=list)
    model: str | None = None
    usage: Usage | None = None
    x_nanogpt_pricing: Pricing | None = None
