"""Per-step usage (tokens, cached tokens, cost) and the summary table printed at the end."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["StepUsage", "render_table"]


class _CallbackTotals(Protocol):
    successful_requests: int
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    total_cost: float
    web_searches: int


@dataclass
class StepUsage:
    """What one demo step used, as NanoGPT reported it (usage + ``x_nanogpt_pricing``)."""

    step: str = ""
    framework: str = ""
    requests: int = 0
    searches: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    @classmethod
    def from_callback(cls, cb: _CallbackTotals) -> StepUsage:
        """From the totals of a ``get_nanogpt_callback()`` block (LangChain steps)."""
        return cls(
            framework="LangChain",
            requests=cb.successful_requests,
            searches=cb.web_searches,
            input_tokens=cb.prompt_tokens,
            cached_tokens=cb.cache_read_tokens,
            cache_write_tokens=cb.cache_creation_tokens,
            output_tokens=cb.completion_tokens,
            cost=cb.total_cost,
        )

    def add_llama_index(self, kwargs: Mapping[str, Any]) -> None:
        """Add one LlamaIndex response's ``additional_kwargs`` (usage + server-reported ``cost``)."""
        self.requests += 1
        self.input_tokens += int(kwargs.get("prompt_tokens") or 0)
        self.cached_tokens += int(kwargs.get("cached_tokens") or 0)
        self.cache_write_tokens += int(kwargs.get("cache_creation_tokens") or 0)
        self.output_tokens += int(kwargs.get("completion_tokens") or 0)
        self.cost += float(kwargs.get("cost") or 0.0)


_HEADERS = ("Step", "Framework", "Calls", "Input tok", "Cached", "Output tok", "Cost (USD)")


def _row(usage: StepUsage) -> tuple[str, ...]:
    calls = str(usage.requests) + (f" +{usage.searches} search" if usage.searches else "")
    return (
        usage.step,
        usage.framework,
        calls,
        f"{usage.input_tokens:,}",
        f"{usage.cached_tokens:,}",
        f"{usage.output_tokens:,}",
        f"{usage.cost:.6f}",
    )


def render_table(steps: Iterable[StepUsage]) -> str:
    """A plain-text table, one row per step and a total row."""
    steps = list(steps)
    total = StepUsage(step="Total", framework="")
    for usage in steps:
        total.requests += usage.requests
        total.searches += usage.searches
        total.input_tokens += usage.input_tokens
        total.cached_tokens += usage.cached_tokens
        total.cache_write_tokens += usage.cache_write_tokens
        total.output_tokens += usage.output_tokens
        total.cost += usage.cost
    rows = [_HEADERS, *(_row(u) for u in steps), _row(total)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(r) for r in rows[1:-1]]
    return "\n".join([line(rows[0]), rule, *body, rule, line(rows[-1])])
