"""StrictMemo and same(): the only memo of the request path, pinned (type-strict, copies stored)."""

from __future__ import annotations

import copy
import math
import pickle
import threading
from typing import Any

import pytest

from nanogpt_integrations.core import ProviderRouting, WebSearchOptions
from nanogpt_integrations.core.memo import StrictMemo, same


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, True),
        (0, False),
        (1, 1.0),
        ({"a": 1}, {"a": True}),
        ([1], (1,)),
        ((None, "x"), (None, "y")),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}),
        ({"a": 1}, {"b": 1}),
        (ProviderRouting(order=["a"]), ProviderRouting(order=["b"])),
        (WebSearchOptions(provider="exa", extra_knob=1), WebSearchOptions(provider="exa", extra_knob=True)),
        (math.nan, float("nan")),
    ],
)
def test_different_in_type_or_value(a: Any, b: Any) -> None:
    assert not same(a, b)


@pytest.mark.parametrize(
    "value",
    [None, "x", 3, 2.5, True, (None, "a", 1), {"a": [1, {"b": True}]}, ProviderRouting(order=["a"])],
)
def test_same_as_a_deep_copy(value: Any) -> None:
    assert same(value, copy.deepcopy(value))


def test_memo_rebuilds_on_any_change_and_keeps_its_own_copy() -> None:
    memo: StrictMemo[int] = StrictMemo()
    builds = []

    def build() -> int:
        builds.append(1)
        return len(builds)

    key = {"k": [1]}
    assert memo.get((key,), build) == 1
    assert memo.get((key,), build) == 1  # unchanged: no rebuild
    key["k"].append(2)  # edited in place
    assert memo.get((key,), build) == 2
    key["k"] = [True, 2]  # 1 -> True
    assert memo.get((key,), build) == 3
    assert memo.get((copy.deepcopy(key),), build) == 3


def test_a_key_that_cannot_be_copied_is_not_memoised() -> None:
    memo: StrictMemo[int] = StrictMemo()
    lock = threading.Lock()
    calls = []
    for _ in range(2):
        memo.get((lock,), lambda: calls.append(1) or len(calls))
    assert len(calls) == 2


def test_copies_and_pickles_start_empty() -> None:
    memo: StrictMemo[str] = StrictMemo()
    memo.get(("a",), lambda: "value")
    for other in (copy.deepcopy(memo), pickle.loads(pickle.dumps(memo))):
        assert other.get(("a",), lambda: "rebuilt") == "rebuilt"


def test_threads_never_see_another_keys_value() -> None:
    memo: StrictMemo[str] = StrictMemo()
    errors = []

    def worker(name: str) -> None:
        for _ in range(2000):
            if memo.get((name,), lambda: name) != name:
                errors.append(name)

    threads = [threading.Thread(target=worker, args=(f"k{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
