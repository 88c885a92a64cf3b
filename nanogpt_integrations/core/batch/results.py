"""Result lines → :class:`BatchResult` rows, joined back to the inputs by ``custom_id`` in input order.

Output and error files may list rows in any order. They are downloaded to temporary files and
indexed (``custom_id`` → byte offset, found without parsing the whole line); rows are then read
back one at a time in input order, so memory holds the index, not the results. A row absent from
every file comes back as a :class:`BatchRowError` (``missing_result``, ``batch_expired``,
``batch_cancelled``), never silently dropped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Union

from pydantic import ValidationError

from ..errors import NanoGPTError, error_from_response
from ..types import ChatCompletion, TokenUsage
from .errors import BatchRowError
from .models import RESPONSES_ENDPOINT, BatchOutputLine

if TYPE_CHECKING:
    from ..accumulator import AssistantTurn
    from ..responses import ResponseObject

__all__ = ["BatchReply", "BatchResult", "join_files", "join_lines", "read_custom_ids", "result_of"]

logger = logging.getLogger("nanogpt_integrations")

#: A row's reply: a chat completion or a Responses ``response`` object, per the batch's endpoint.
BatchReply = Union[ChatCompletion, "ResponseObject"]

_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class BatchResult:
    """One input row's outcome: ``reply`` or ``error`` (exactly one is set)."""

    index: int
    custom_id: str
    reply: BatchReply | None = None
    error: NanoGPTError | None = None
    status_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> BatchReply:
        """The reply, or raise the row's error."""
        if self.error is not None:
            raise self.error
        assert self.reply is not None
        return self.reply

    def turn(self) -> AssistantTurn:
        """The reply as the core's neutral :class:`AssistantTurn` (content, tool calls, usage,
        pricing), the type both frameworks already convert; raises the row's error."""
        from ..accumulator import turn_from_completion

        reply = self.unwrap()
        if isinstance(reply, ChatCompletion):
            return turn_from_completion(reply)
        from ..responses import turn_from_response

        return turn_from_response(reply)

    @property
    def usage(self) -> TokenUsage | None:
        """Normalised token counts of the reply (None for a failed row or when none were sent)."""
        if self.reply is None or self.reply.usage is None:
            return None
        return self.reply.usage.normalized()

    @property
    def cost(self) -> float | None:
        """The charge NanoGPT reported for this row (batch price), if any."""
        if self.reply is None:
            return None
        pricing = (
            self.reply.x_nanogpt_pricing if isinstance(self.reply, ChatCompletion) else self.reply.pricing
        )
        return pricing.charged if pricing is not None else None


def _parse_reply(endpoint: str, body: Any, request_id: str | None) -> BatchReply:
    model: type[Any]
    if endpoint == RESPONSES_ENDPOINT:
        from ..responses import ResponseObject

        model = ResponseObject
    else:
        model = ChatCompletion
    reply = model.model_validate(body)
    private = reply.__pydantic_private__
    if private is not None and "_request_id" in private:
        private["_request_id"] = request_id
    return reply


def _missing(custom_id: str, status: str | None) -> BatchRowError:
    code = {"expired": "batch_expired", "cancelled": "batch_cancelled"}.get(status or "", "missing_result")
    return BatchRowError(
        f"no result for custom_id {custom_id!r} in the batch's results (batch status {status!r})",
        custom_id=custom_id,
        code=code,
    )


def result_of(
    line: BatchOutputLine | None, *, index: int, custom_id: str, endpoint: str, status: str | None
) -> BatchResult:
    """The :class:`BatchResult` of one row from its result line (None: no line for this row)."""
    if line is None:
        return BatchResult(index, custom_id, error=_missing(custom_id, status))
    response = line.response
    code = response.status_code if response is not None else None
    if response is not None and code is not None and 200 <= code < 300 and isinstance(response.body, dict):
        try:
            reply = _parse_reply(endpoint, response.body, response.request_id)
        except ValidationError as exc:
            error = NanoGPTError(
                f"row {custom_id!r}: a reply this client cannot read: {exc.errors()[0]['msg']}",
                status=code,
                request_id=response.request_id,
                body=response.body,
            )
            return BatchResult(index, custom_id, error=error, status_code=code)
        return BatchResult(index, custom_id, reply=reply, status_code=code)
    if response is not None and code is not None and code >= 400:
        headers = {"x-request-id": response.request_id} if response.request_id else None
        status_error = error_from_response(code, response.body, headers)
        status_error.message = f"row {custom_id!r}: {status_error.message}"
        status_error.args = (status_error.message,)
        return BatchResult(index, custom_id, error=status_error, status_code=code)
    if line.error is not None:
        row_error = BatchRowError(
            f"row {custom_id!r}: {line.error.message or 'failed'}", custom_id=custom_id, code=line.error.code
        )
        return BatchResult(index, custom_id, error=row_error, status_code=code)
    return BatchResult(
        index,
        custom_id,
        error=BatchRowError(
            f"row {custom_id!r}: the result line has neither a reply nor an error (status_code={code})",
            custom_id=custom_id,
            code="unreadable_result",
        ),
        status_code=code,
    )


def join_lines(
    order: Sequence[str] | None, lines: Iterable[BatchOutputLine], *, endpoint: str, status: str | None
) -> Iterator[BatchResult]:
    """Join in-memory result lines (an inline batch's ``results``) to ``order``; without an order
    (a job re-attached by id alone), rows come in the server's order, unless their ids are the
    default ``row-<index>`` ones, which give the input order back."""
    by_id: dict[str, BatchOutputLine] = {}
    for line in lines:
        if line.custom_id is not None:
            by_id.setdefault(line.custom_id, line)
    if order is None:
        order = _default_order(list(by_id))
    for index, custom_id in enumerate(order):
        yield result_of(
            by_id.pop(custom_id, None), index=index, custom_id=custom_id, endpoint=endpoint, status=status
        )
    _warn_unmatched(len(by_id))


_DEFAULT_ID = re.compile(r"row-(0|[1-9][0-9]*)")


def _default_order(ids: list[str]) -> list[str]:
    """``ids`` in input order when they are exactly the default ids ``row-0`` .. ``row-<n-1>`` this
    package gives rows without a ``custom_id``; otherwise unchanged (the server's order)."""
    numbers = []
    for custom_id in ids:
        match = _DEFAULT_ID.fullmatch(custom_id)
        if match is None:
            return ids
        numbers.append(int(match.group(1)))
    if sorted(numbers) != list(range(len(ids))):
        return ids
    return [f"row-{n}" for n in range(len(ids))]


def _warn_unmatched(count: int) -> None:
    if count:
        logger.warning(
            "NanoGPT batch results held %d custom_id(s) not among the job's inputs; ignored", count
        )


def _custom_id_of(line: bytes, exact: bool) -> str | None:
    if not exact:
        match = _CUSTOM_ID.search(line)
        if match is not None:
            raw = match.group(1)
            return raw.decode("utf-8") if b"\\" not in raw else str(json.loads(b'"' + raw + b'"'))
    try:
        value = json.loads(line).get("custom_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _index(files: Sequence[IO[bytes]], exact: bool) -> dict[str, tuple[int, int]]:
    """``custom_id`` → (file number, byte offset); earlier files win (output before errors)."""
    index: dict[str, tuple[int, int]] = {}
    for slot, handle in enumerate(files):
        handle.seek(0)
        offset = 0
        for line in handle:
            if line.strip():
                custom_id = _custom_id_of(line, exact)
                if custom_id is not None:
                    index.setdefault(custom_id, (slot, offset))
            offset += len(line)
    return index


def _read_line(handle: IO[bytes], offset: int) -> BatchOutputLine:
    handle.seek(offset)
    return BatchOutputLine.model_validate_json(handle.readline())


def join_files(
    order: Iterable[str], files: Sequence[IO[bytes]], *, endpoint: str, status: str | None
) -> Iterator[BatchResult]:
    """Join downloaded result files (output first, then errors) to ``order``, one row at a time."""
    index = _index(files, exact=False)
    exact = False
    matched = 0
    for position, custom_id in enumerate(order):
        where = index.get(custom_id)
        line = _read_line(files[where[0]], where[1]) if where is not None else None
        if line is not None and line.custom_id != custom_id and not exact:
            # The quick scan matched a "custom_id" key nested in a body: index by full parse.
            index, exact = _index(files, exact=True), True
            where = index.get(custom_id)
            line = _read_line(files[where[0]], where[1]) if where is not None else None
        matched += where is not None
        yield result_of(line, index=position, custom_id=custom_id, endpoint=endpoint, status=status)
    _warn_unmatched(len(index) - matched)


def read_custom_ids(handle: IO[bytes]) -> list[str]:
    """The ``custom_id`` of every row of an input JSONL file, in order (each line parsed)."""
    handle.seek(0)
    ids = []
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        custom_id = _custom_id_of(line, exact=True)
        if custom_id is None:
            raise NanoGPTError(f"line {number} of the batch's input file has no custom_id")
        ids.append(custom_id)
    return ids
