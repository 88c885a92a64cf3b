"""Use from other processes (issue 12): worker pools started by fork and by spawn, and a pickled
model called from a fresh interpreter. Pickles hold the key (as documented); nothing else travels.
"""

from __future__ import annotations

import multiprocessing
import pickle
import subprocess
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from nanogpt_integrations.testing import NanoGPTEmulator

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # spawned workers get this sys.path, so they can import state_kit
from state_kit import KINDS, init_worker, run_calls  # noqa: E402

pytestmark = pytest.mark.emulator
ROOT = HERE.parents[1]


@pytest.mark.parametrize("method", ["fork", "spawn"])
@pytest.mark.parametrize("name", ["lc_chat", "li_llm"])
def test_four_workers_times_twenty_five_calls_on_a_model_built_in_the_parent(
    name: str, method: str, emulator: NanoGPTEmulator
) -> None:
    kind = KINDS[name]
    model = kind.build(emulator.base_url, "key-parent")
    assert kind.call(model, "parent") == kind.expected("parent")  # the parent has a live pool
    context = multiprocessing.get_context(method)
    # fork: each worker inherits the model (and the parent's pool, which it must not touch);
    # spawn: each worker gets it pickled.
    barrier = context.Barrier(4)
    with ProcessPoolExecutor(
        4, mp_context=context, initializer=init_worker, initargs=(name, model, barrier)
    ) as pool:
        batches = list(pool.map(run_calls, [f"w{n}" for n in range(4)], [25] * 4))
    replies = [reply for batch in batches for reply in batch]
    assert len(replies) == 100
    assert [(reply, expected) for reply, expected, _ in replies if reply != expected] == []
    assert len({pid for _, _, pid in replies}) == 4  # four workers, 25 calls each
    keys = Counter(r.headers["authorization"] for r in emulator.requests)
    assert keys == {"Bearer key-parent": 101}
    assert kind.call(model, "parent-after") == kind.expected("parent-after")  # the parent's pool still works


@pytest.mark.parametrize("name", ["lc_chat", "li_llm", "lc_embeddings", "li_retriever"])
def test_a_pickled_model_calls_the_emulator_from_a_fresh_interpreter(
    name: str, emulator: NanoGPTEmulator
) -> None:
    kind = KINDS[name]
    model = kind.build(emulator.base_url, "key-pickled")
    kind.call(model, "warm")  # pickled after use: no pool or client travels with it
    blob = pickle.dumps(model)
    script = (
        "import pickle, sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from state_kit import KINDS\n"
        f"kind = KINDS[{name!r}]\n"
        "model = pickle.loads(sys.stdin.buffer.read())\n"
        "reply = kind.call(model, 'fresh')\n"
        "print('ok' if reply == kind.expected('fresh') else 'bad: ' + reply)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], input=blob, capture_output=True, timeout=60, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().strip() == "ok"
    assert [r.headers["authorization"] for r in emulator.requests] == ["Bearer key-pickled"] * 2
