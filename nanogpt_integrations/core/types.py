"""Wire types of the chat, completion, embedding and pricing payloads (reference §2, §9, §12).

Every model tolerates unknown fields (``extra="allow"``): NanoGPT adds fields often and the docs
tell clients not to validate ``usage`` strictly. Numbers that some upstreams send as floats or
strings are coerced leniently.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, field_validator

from ._wire import WireModel, lenient_int

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
]


class TokenUsage(WireModel):
    """Normalised token counts, the same for both frameworks.

    ``input_tokens`` always includes cache reads and cache writes, whatever convention the upstream
    used (reference §2.7 notes both), so ``input_tokens >= cache_read + cache_creation``.
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
    def _lenient_int(cls, value: Any) -> int | None:
        return None if value is None else lenient_int(value)

    def normalized(self) -> TokenUsage:
        """Counts with cache and reasoning details resolved from whichever fields are present."""
        # The top-level counts are ints or None after validation; the detail dicts are free-form.
        prompt_details = self.prompt_tokens_details or self.input_tokens_details or {}
        completion_details = self.completion_tokens_details or self.output_tokens_details or {}
        cache_read = max(self.cache_read_input_tokens or 0, lenient_int(prompt_details.get("cached_tokens")))
        cache_creation = max(
            self.cache_creation_input_tokens or 0,
            lenient_int(prompt_details.get("cache_write_tokens")),
            lenient_int(prompt_details.get("cache_creation_tokens")),
        )
        reasoning = max(self.reasoning_tokens or 0, lenient_int(completion_details.get("reasoning_tokens")))
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
    """``x_nanogpt_pricing``: what the request was charged (reference §2.7; key set uncertain)."""

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
    content: str | None = None
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
    """``/v1/completions`` response or stream chunk (reference §9.1)."""

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
    """``/v1/embeddings`` response (reference §12)."""

    data: list[EmbeddingItem] = Field(default_factory=list)
    model: str | None = None
    usage: Usage | None = None
    x_nanogpt_pricing: Pricing | None = None
