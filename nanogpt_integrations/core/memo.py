"""A one-entry memo that cannot return a stale value: strict comparison, stored copies.

An adapter validates its NanoGPT options once per distinct set of values rather than on every
call. Plain ``==`` is not enough for that: ``1 == True``, ``{"a": 1} == {"a": True}``, and an
option the caller assigned as a dict and then edited in place compares equal to itself. So keys
are compared with :func:`same` (type and value, recursively) against a deep copy taken when the
value was built; anything that cannot be copied or compared simply is not memoised.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

__all__ = ["StrictMemo", "same"]

T = TypeVar("T")
_SCALARS = (str, int, float, bool, bytes, type(None))


def same(a: Any, b: Any) -> bool:
    """Equal in type and value, recursively (``1`` is not ``True``).

    The same object is the same value: the stored key is a deep copy, so the only objects it
    shares with a live key are the ones ``deepcopy`` returns as they are (immutable scalars,
    tuples of them, objects whose ``__deepcopy__`` says they never change).
    """
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind in _SCALARS:
        return bool(a == b)
    if kind is tuple or kind is list:
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):  # noqa: SIM110 - a loop, not all(genexpr): runs per call
            if x is not y and not same(x, y):
                return False
        return True
    if kind is dict:
        return a.keys() == b.keys() and all(same(value, b[key]) for key, value in a.items())
    if isinstance(a, BaseModel):
        return same(a.__dict__, b.__dict__) and same(a.__pydantic_extra__, b.__pydantic_extra__)
    try:
        return bool(a == b)
    except Exception:  # an object whose comparison fails: treat as changed
        return False


class StrictMemo(Generic[T]):
    """The value built for the last key; rebuilt whenever the key is not :func:`same` as before.

    Safe to share between copies of an adapter and between threads: the entry is replaced as one
    tuple, the key is a private deep copy, and a hit requires the full strict comparison.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[Any, T] | None = None

    def get(self, key: Any, build: Callable[[], T]) -> T:
        last = self._last
        if last is not None and same(last[0], key):
            return last[1]
        value = build()
        try:
            self._last = (copy.deepcopy(key), value)
        except Exception:  # a key that cannot be copied: no memo rather than a wrong one
            self._last = None
        return value

    def __deepcopy__(self, memo: dict[int, Any]) -> StrictMemo[T]:
        return StrictMemo()

    def __reduce__(self) -> tuple[Any, ...]:
        return (StrictMemo, ())
