"""Command line: choose offline (bundled emulator) or live, run the steps, print the summary.

Exit codes: 0 success, 1 a NanoGPT or other error (one readable line on stderr; ``--debug`` adds
the traceback), 2 bad arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TextIO

from ..core import (
    DEFAULT_BASE_URL,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NanoGPTError,
    NotFoundError,
    PaymentRequiredError,
)
from ._report import StepUsage, render_table
from ._steps import STEPS, Context

__all__ = ["main"]

PROG = "nanogpt-demo"
DEFAULT_MODEL = "openai/gpt-4o-mini"
DEFAULT_CACHE_MODEL = "anthropic/claude-haiku-4.5"
OFFLINE_KEY = "offline-demo-key"
RULE = "=" * 78


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run NanoGPT through LangChain and LlamaIndex: streaming, a tool call, structured "
        "output, prompt caching, a LlamaIndex query engine and web-search RAG, with tokens and cost "
        "per step. Without NANOGPT_API_KEY it runs offline against the bundled emulator.",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"chat model for most steps (default: {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--cache-model",
        default=DEFAULT_CACHE_MODEL,
        help=f"Claude-family model for the explicit prompt-caching step (default: {DEFAULT_CACHE_MODEL})",
    )
    parser.add_argument(
        "--offline", action="store_true", help="use the bundled emulator even if NANOGPT_API_KEY is set"
    )
    parser.add_argument("--debug", action="store_true", help="print the full traceback on failure")
    return parser


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def describe_error(exc: BaseException, base_url: str) -> str:
    """One readable line for a failure, with what to do about it."""
    name = type(exc).__name__
    if isinstance(exc, AuthenticationError):
        hint = "NanoGPT rejected the API key: check NANOGPT_API_KEY, or run offline with --offline"
    elif isinstance(exc, APITimeoutError):
        hint = f"NanoGPT at {base_url} did not answer in time: try again, or run offline with --offline"
    elif isinstance(exc, APIConnectionError):
        hint = (
            f"could not reach NanoGPT at {base_url}: check your network (and NANOGPT_BASE_URL), "
            "or run offline with --offline"
        )
    elif isinstance(exc, PaymentRequiredError):
        hint = "the account's balance does not cover this request: top up, or run offline with --offline"
    elif isinstance(exc, (NotFoundError, BadRequestError)):
        hint = "NanoGPT refused the request: check the model ids given with --model / --cache-model"
    elif isinstance(exc, NanoGPTError):
        hint = "NanoGPT returned an error"
    elif isinstance(exc, ImportError):
        hint = "the demo needs both frameworks: pip install 'nanogpt-integrations[all]'"
    else:
        hint = "unexpected failure (run with --debug for the traceback)"
    return _one_line(f"{PROG}: error: {hint}. {name}: {exc}")


def _banner(ctx: Context, base_url: str) -> None:
    out = ctx.out
    out.write(f"{RULE}\n")
    if ctx.offline:
        out.write("NanoGPT integrations demo - OFFLINE (bundled emulator, no network, no cost)\n")
        out.write(
            f"No NANOGPT_API_KEY in use: every request goes to the NanoGPT emulator started in this\n"
            f"process at {base_url}. Answers are scripted and prices simulated;\n"
            f"set NANOGPT_API_KEY (and drop --offline) to run the same steps live.\n"
        )
    else:
        out.write("NanoGPT integrations demo - LIVE\n")
        out.write(
            f"Calling {base_url} with model {ctx.model} (caching step: {ctx.cache_model}).\n"
            "This spends real money, about two cents. Use --offline for a free run.\n"
        )
    out.write(f"{RULE}\n")
    out.flush()


def _summary(ctx: Context, results: list[StepUsage], elapsed: float) -> None:
    out = ctx.out
    heading = "Summary (simulated by the emulator)" if ctx.offline else "Summary"
    out.write(f"\n{heading}\n\n{render_table(results)}\n\n")
    out.write(
        "Cost is what NanoGPT reported for each call (x_nanogpt_pricing; web search: /api/web metadata).\n"
        "LangChain rows are get_nanogpt_callback() totals; the LlamaIndex row sums each response's\n"
        "additional_kwargs (embedding calls are not counted). Cached = prompt tokens read from the cache.\n"
    )
    if ctx.offline:
        out.write(
            "OFFLINE: emulator prices ($1/M input, $2/M output, cache reads 0.1x, cache writes 1.25x); "
            "nothing was spent.\n"
        )
    out.write(f"Done in {elapsed:.1f}s.\n")
    out.flush()


def run(ctx: Context, base_url: str) -> list[StepUsage]:
    """Run every step, printing as it goes; return the per-step usage."""
    _banner(ctx, base_url)
    results: list[StepUsage] = []
    for number, step in enumerate(STEPS, start=1):
        ctx.out.write(f"\n[{number}/{len(STEPS)}] {step.title}\n")
        ctx.out.flush()
        usage = step.run(ctx)
        usage.step = step.name
        results.append(usage)
    return results


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``nanogpt-demo``; returns the exit code."""
    args = _parser().parse_args(argv)
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    key = os.environ.get("NANOGPT_API_KEY", "").strip()
    offline = args.offline or not key
    emulator = None
    base_url = os.environ.get("NANOGPT_BASE_URL") or DEFAULT_BASE_URL
    started = time.monotonic()
    try:
        if offline:
            from ..testing import NanoGPTEmulator

            emulator = NanoGPTEmulator().start()
            base_url, key = emulator.base_url, OFFLINE_KEY
        ctx = Context(
            offline=offline,
            api_key=key,
            base_url=base_url,
            model=args.model,
            cache_model=args.cache_model,
            out=stdout,
            err=stderr,
            emulator=emulator,
        )
        results = run(ctx, base_url)
        _summary(ctx, results, time.monotonic() - started)
        return 0
    except KeyboardInterrupt:
        stderr.write(f"\n{PROG}: interrupted\n")
        return 130
    except Exception as exc:
        stdout.flush()
        if args.debug:
            traceback.print_exc(file=stderr)
        stderr.write(f"\n{describe_error(exc, base_url)}\n")
        stderr.flush()
        return 1
    finally:
        if emulator is not None:
            emulator.stop()
