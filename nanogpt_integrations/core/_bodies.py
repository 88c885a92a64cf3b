"""Reading response bodies: capped at a decoded size (a gzip bomb stops at the cap), and copied as
they stream when a TEE-verified call captures the exact bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, cast

import httpx

from .errors import ResponseTooLargeError

if TYPE_CHECKING:
    from .tee import RawExchange

__all__ = ["aread_capped", "capturing", "read_capped"]


def _too_large(response: httpx.Response, limit: int) -> ResponseTooLargeError:
    err = ResponseTooLargeError(
        f"the response body grew past max_response_bytes ({limit} bytes decoded) and was dropped "
        f"(HTTP {response.status_code}, {response.headers.get('content-type') or 'no content type'}); "
        "raise max_response_bytes on the client if this reply is expected to be that large",
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
    )
    err.limit = limit
    return err


def read_capped(response: httpx.Response, limit: int) -> None:
    """``response.read()`` that stops at ``limit`` decoded bytes (a gzip bomb stops there too)
    with :class:`ResponseTooLargeError`; the body then serves ``response.content`` as usual."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                response.close()  # the rest is never read: the connection is dropped, not pooled
                raise _too_large(response, limit)
            chunks.append(chunk)
    except httpx.HTTPError:
        response._content = b"".join(chunks)  # a body cut short: what arrived stays readable
        raise
    # What ``Response.read()`` stores (httpx 0.23-0.29); ``content``, ``text``, ``json()`` read it.
    response._content = b"".join(chunks)


async def aread_capped(response: httpx.Response, limit: int) -> None:
    """Async twin of :func:`read_capped`."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                await response.aclose()
                raise _too_large(response, limit)
            chunks.append(chunk)
    except httpx.HTTPError:
        response._content = b"".join(chunks)
        raise
    response._content = b"".join(chunks)


class _CapturingResponse:
    """Wraps a streamed ``httpx.Response`` and copies every decoded body chunk into a
    :class:`RawExchange` (only when a caller asked to capture; the normal path never sees it)."""

    def __init__(self, response: httpx.Response, capture: RawExchange) -> None:
        self._response = response
        self._capture = capture
        capture.request_body = response.request.content
        capture.set_response(b"")

    def iter_bytes(self) -> Iterator[bytes]:
        for chunk in self._response.iter_bytes():
            self._capture.append(chunk)
            yield chunk

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_bytes():
            self._capture.append(chunk)
            yield chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)


def capturing(response: httpx.Response, capture: RawExchange | None) -> httpx.Response:
    """``response`` itself, or a capturing wrapper typed as a response for the stream classes."""
    if capture is None:
        return response
    return cast(httpx.Response, _CapturingResponse(response, capture))
