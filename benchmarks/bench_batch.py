"""The Batch API at scale (issue 14): build and upload a 100,000-row JSONL, read its results back.

Runs in a fresh interpreter against the emulator in another process, so the figures are the
client's alone: time to validate, encode and upload the rows; time to download and join the results
in input order; and peak RSS growth over the interpreter after imports (target: under 100 MB, i.e.
rows are streamed, never all held twice).
"""

from __future__ import annotations

import json

from ._harness import EmulatorProcess, Result, Table, python_in_subprocess

ROWS = 100_000

_SCRIPT = """
import json, resource, time
from nanogpt_integrations.core.batch import BatchClient, BatchRequest

def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def rows(n):
    for i in range(n):
        body = {{"model": "openai/gpt-4o-mini", "max_tokens": 16,
                 "messages": [{{"role": "user", "content": f"Classify support ticket #{{i}} as bug, billing or other."}}]}}
        yield BatchRequest(body, custom_id=f"ticket-{{i}}")

with BatchClient(api_key="bench-key", base_url={base_url!r}) as batches:
    batches.submit(rows(10), workflow="file").wait(poll_interval=0.05)  # warm up: pools, models
    base = rss_mib()
    start = time.perf_counter()
    job = batches.submit(rows({rows}))
    submitted = time.perf_counter()
    job.wait(poll_interval=0.2, max_poll_interval=1.0)
    waited = time.perf_counter()
    ok = cost = 0
    for index, row in enumerate(job.results()):
        assert row.custom_id == f"ticket-{{index}}"
        ok += row.ok
        cost += row.cost or 0.0
    done = time.perf_counter()
print(json.dumps({{"workflow": job.workflow, "ok": ok, "cost": cost, "submit": submitted - start,
                  "server": waited - submitted, "results": done - waited, "base": base, "peak": rss_mib()}}))
"""


def run(table: Table) -> None:
    with EmulatorProcess() as emulator:
        out = json.loads(python_in_subprocess(_SCRIPT.format(base_url=emulator.base_url, rows=ROWS)))
    assert out["ok"] == ROWS and out["workflow"] == "file", out
    group = f"batch, {ROWS:,} rows"
    table.add(Result(group, "validate + write + upload JSONL", out["submit"], "s"))
    table.add(Result(group, "download + join results in order", out["results"], "s"))
    table.add(Result(group, "(emulator runs the rows)", out["server"], "s"))
    table.add(Result(group, "peak RSS growth", out["peak"] - out["base"], "MiB", target="< 100 MB"))
