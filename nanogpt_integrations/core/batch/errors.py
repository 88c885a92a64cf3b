"""Batch API errors: bad rows (before any request), jobs that did not finish, failed rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NanoGPTError

if TYPE_CHECKING:
    from .models import Batch, BatchErrorItem

__all__ = [
    "BatchFailedError",
    "BatchNotReadyError",
    "BatchRowError",
    "BatchTimeoutError",
    "BatchValidationError",
]


class BatchValidationError(NanoGPTError, ValueError):
    """A row breaks a Batch API rule; raised while preparing, before anything is uploaded.

    ``rule`` is a stable name (``mixed_model``, ``missing_output_cap``, ...), ``index`` the row's
    0-based position and ``custom_id`` its id (None when the row has none yet).
    """

    def __init__(self, message: str, *, rule: str, index: int | None = None, custom_id: str | None = None):
        where = "" if index is None else f"row {index}" + ("" if custom_id is None else f" ({custom_id!r})")
        super().__init__(f"{where}: {message}" if where else message, code=rule, param=custom_id)
        self.rule = rule
        self.index = index
        self.custom_id = custom_id


class BatchTimeoutError(NanoGPTError, TimeoutError):
    """``wait()`` reached its deadline; ``last`` is the batch as last seen (its status, counts)."""

    def __init__(self, message: str, *, last: Batch) -> None:
        super().__init__(message)
        self.last = last


class BatchNotReadyError(NanoGPTError):
    """Results were asked for a batch that is not in a terminal status yet."""

    def __init__(self, message: str, *, batch: Batch) -> None:
        super().__init__(message)
        self.batch = batch


class BatchFailedError(NanoGPTError):
    """The batch as a whole failed (e.g. its input was rejected at validation): no row ran."""

    def __init__(self, message: str, *, batch: Batch, errors: list[BatchErrorItem]) -> None:
        first = errors[0] if errors else None
        super().__init__(message, code=first.code if first else None, param=first.param if first else None)
        self.batch = batch
        self.errors = errors


class BatchRowError(NanoGPTError):
    """A row that produced no reply and no HTTP status: expired, cancelled, or absent from every
    result file. Rows the server answered with an error status carry the usual typed error
    (``BadRequestError``, ``RateLimitError``, ...) instead."""

    def __init__(self, message: str, *, custom_id: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.custom_id = custom_id
