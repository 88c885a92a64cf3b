"""Streaming JSONL: rows encoded once, held in memory only while small, otherwise on disk.

A 200,000-row job must not hold every row twice: rows are encoded one at a time into
:class:`RowSpool`, which keeps the encoded lines in memory only while they could still be sent
inline (at most 10,000 rows / 20 MiB) and otherwise writes them to an anonymous temporary file
that the upload streams from. Result files are downloaded to temporary files the same way and read
back one line at a time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from .validation import INLINE_MAX_BYTES, INLINE_MAX_ROWS

__all__ = ["RowSpool", "new_temp_file"]


def new_temp_file() -> IO[bytes]:
    """An anonymous temporary file, deleted on close (a real file: the upload measures its size)."""
    return tempfile.TemporaryFile(mode="w+b")


class RowSpool:
    """Encoded JSONL lines, in memory until :meth:`spill` (or past the inline limits), then on disk."""

    def __init__(self, *, in_memory: bool = True) -> None:
        self._lines: list[bytes] | None = [] if in_memory else None
        self._file: IO[bytes] | None = None if in_memory else new_temp_file()
        self.rows = 0
        self.bytes = 0

    @property
    def spilled(self) -> bool:
        """Whether the lines live in the temporary file."""
        return self._file is not None

    def add(self, line: bytes) -> None:
        """Append one encoded line (ending with ``\\n``)."""
        self.rows += 1
        self.bytes += len(line)
        if self._lines is not None:
            self._lines.append(line)
            if self.rows > INLINE_MAX_ROWS or self.bytes > INLINE_MAX_BYTES:
                self.spill()
        else:
            assert self._file is not None
            self._file.write(line)

    def spill(self) -> None:
        """Move the lines held in memory to the temporary file (no-op once spilled)."""
        if self._lines is None:
            return
        self._file = new_temp_file()
        self._file.writelines(self._lines)
        self._lines = None

    def lines(self) -> Iterator[bytes]:
        """The lines in order, from memory or from the file."""
        if self._lines is not None:
            yield from self._lines
            return
        handle = self.file()
        yield from handle

    def file(self) -> IO[bytes]:
        """The JSONL as a file positioned at its start (spills first when still in memory)."""
        self.spill()
        assert self._file is not None
        self._file.flush()
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        """Drop the lines and delete the temporary file."""
        self._lines = None
        if self._file is not None:
            self._file.close()
            self._file = None
