"""Run the benchmark suites and print one Markdown table with ratios to raw httpx.

Usage: ``python -m benchmarks`` (all suites) or ``python -m benchmarks core sse``.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import importlib
import platform
import sys

from ._harness import Table

SUITES = ["sse", "core", "langchain", "llama_index", "retrievers", "batch"]


def main(argv: list[str]) -> int:
    chosen = argv or SUITES
    table = Table()
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    for name in chosen:
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"benchmarks.bench_{name}":
                print(f"(no suite {name!r})")
                continue
            raise
        print(f"== {name}")
        module.run(table)
    print()
    print(table.render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
