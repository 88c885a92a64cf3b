"""What the sync and async clients share: payload preparation, response parsing, error mapping."""

from __future__ import annotations

import base64
import json
import logging
import struct
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from ._config import ClientConfig, TimeoutTypes
from .catalogue import CatalogueCache, ModelCatalogue
from .errors import APIConnectionError, APITimeoutError, NanoGPTError, error_from_response
from .rate_limit import TokenBucket, check_rate, shared_bucket
from .sse import DEFAULT_MAX_EVENT_BYTES
from .types import EmbeddingResponse

if TYPE_CHECKING:  # feature modules load on first use (import time of plain chat)
    from .options import NanoGPTOptions, RequestParts
    from .providers import ProvidersCache
    from .tee import RawExchange
    from .web_search import WebSearchRequest

__all__ = ["MAX_EMBEDDING_BATCH", "BaseClient", "logger"]

logger = logging.getLogger("nanogpt_integrations")

M = TypeVar("M", bound=BaseModel)

#: The embeddings endpoint takes at most 2048 inputs per request (reference §12).
MAX_EMBEDDING_BATCH = 2048


#: Parsed URLs kept per client (the fixed routes; ``responses/<id>`` paths beyond this are parsed).
_URL_CACHE = 64

#: Built once: ``json.dumps`` with non-default options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_json(payload: Any) -> bytes:
    return _ENCODER.encode(payload).encode("utf-8")


class BaseClient:
    """Configuration and pure helpers; subclasses add the transport."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        requests_per_second: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        stream_deadline: float | None = None,
    ) -> None:
        self.config = ClientConfig.create(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            max_event_bytes=max_event_bytes,
            stream_deadline=stream_deadline,
        )
        self._catalogue = CatalogueCache()
        self._providers: ProvidersCache | None = None  # provider discovery per model, made on first use
        #: Parsed request URLs per (path, api_root): httpx parses a string URL on every request.
        self._urls: dict[tuple[str, bool], httpx.URL] = {}
        #: Whether the pooled httpx client carries ``config.client_headers()`` (one we created).
        self._headers_on_client = False
        self._tee_root: str | None = None  # the TEE route prefix that answered last (reference §13)
        #: Client-side rate limit, one token per HTTP attempt, shared per key and host (rate_limit.py).
        self._limiter: TokenBucket | None = None
        rate = check_rate(requests_per_second)
        if rate is not None:
            key = self.config.api_key.get_secret_value() if self.config.api_key else None
            self._limiter = shared_bucket(key, self.config.base_url, rate)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def max_retries(self) -> int:
        return self.config.retry.max_retries

    # -- request preparation -------------------------------------------------------------------

    def _build(
        self,
        client: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        api_root: bool = False,
        auth: bool = True,
        timeout: TimeoutTypes = None,
        files: Mapping[str, Any] | None = None,
    ) -> httpx.Request:
        """One request; ``files`` (httpx's multipart form: ``{"field": (filename, fileobj, type)}``,
        ``(None, "text")`` for a plain field) streams a file upload and sets its own Content-Type."""
        hdrs = self.config.headers(
            headers, stream=stream, auth=auth, client_level=not self._headers_on_client
        )
        content = None
        if json_body is not None:
            content = encode_json(json_body)
            hdrs["Content-Type"] = "application/json"
        extensions = None
        if timeout is not None:
            from ._config import resolve_timeout

            extensions = {"timeout": resolve_timeout(timeout).as_dict()}
        return client.build_request(
            method,
            self._url(path, api_root),
            content=content,
            files=files,
            params=params,
            headers=hdrs,
            extensions=extensions,
        )

    def _url(self, path: str, api_root: bool) -> httpx.URL | str:
        """The request URL, parsed once per route (a handful of routes; ids and absolute URLs
        are passed as strings). An absolute URL is used as is (the TEE routes, reference §13)."""
        if path.startswith(("http://", "https://")):
            return path
        url = self._urls.get((path, api_root))
        if url is None:
            url = httpx.URL(self.config.url(path, api_root=api_root))
            if len(self._urls) < _URL_CACHE:
                self._urls[(path, api_root)] = url
        return url

    @staticmethod
    def _stream_payload(payload: Mapping[str, Any], include_usage: bool) -> dict[str, Any]:
        from .request import stream_fields

        return stream_fields(dict(payload), stream=True, include_usage=include_usage)

    @staticmethod
    def _plain_payload(payload: Mapping[str, Any], include_usage: bool = True) -> dict[str, Any]:
        from .request import stream_fields

        return stream_fields(dict(payload), stream=False, include_usage=include_usage)

    @staticmethod
    def _embedding_batches(texts: Sequence[str], batch_size: int) -> list[Sequence[str]]:
        if not 1 <= batch_size <= MAX_EMBEDDING_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_EMBEDDING_BATCH}; got {batch_size}")
        return [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]

    @staticmethod
    def _embedding_body(batch: Sequence[str], model: str, dimensions: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "input": list(batch), "encoding_format": "float"}
        if dimensions is not None:
            body["dimensions"] = dimensions
        return body

    @staticmethod
    def _vectors(response: EmbeddingResponse, expected: int) -> list[list[float]]:
        """Vectors in input order; base64 items decoded; a count mismatch is an error, not a gap."""
        items = sorted(response.data, key=lambda item: item.index)
        if len(items) != expected:
            raise NanoGPTError(
                f"NanoGPT returned {len(items)} embeddings for {expected} inputs",
                request_id=response.request_id,
            )
        out: list[list[float]] = []
        for item in items:
            vector = item.embedding
            if isinstance(vector, str):
                raw = base64.b64decode(vector)
                vector = list(struct.unpack(f"<{len(raw) // 4}f", raw))
            out.append([float(x) for x in vector])
        return out

    @staticmethod
    def _web_request(request: WebSearchRequest | Mapping[str, Any]) -> WebSearchRequest:
        from .web_search import WebSearchRequest

        return (
            request
            if isinstance(request, WebSearchRequest)
            else WebSearchRequest.model_validate(dict(request))
        )

    def _cached_catalogue(self, refresh: bool) -> ModelCatalogue | None:
        return None if refresh else self._catalogue.get()

    def cached_catalogue(self) -> ModelCatalogue | None:
        """The catalogue this client already fetched, if still fresh; never makes a request."""
        return self._catalogue.get()

    def _provider_cache(self) -> ProvidersCache:
        if self._providers is None:
            from .providers import ProvidersCache

            self._providers = ProvidersCache()
        return self._providers

    @staticmethod
    def _provider_request(
        model: str,
        options: NanoGPTOptions | None,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> RequestParts:
        """The model id, body and headers whose provider choices ``check_provider`` inspects."""
        from .options import NanoGPTOptions

        return (options or NanoGPTOptions()).apply(model, dict(body or {}), dict(headers or {}))

    # -- response handling ---------------------------------------------------------------------

    @staticmethod
    def _transport_error(exc: httpx.HTTPError) -> NanoGPTError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"request to NanoGPT timed out: {type(exc).__name__}")
        return APIConnectionError(f"could not reach NanoGPT: {exc!r}")

    @staticmethod
    def _retryable_transport_error(exc: httpx.HTTPError) -> bool:
        """Failures before the status line are retried, except a read timeout: the server may
        have accepted (and billed) the request, so it is not sent twice."""
        return not isinstance(exc, httpx.ReadTimeout)

    def _delay_after_exception(self, exc: httpx.HTTPError, attempt: int) -> float:
        """Seconds to wait before retrying a transport failure; raises the typed error when it is final."""
        policy = self.config.retry
        if self._retryable_transport_error(exc) and policy.should_retry(attempt, None):
            delay = policy.delay(attempt)
            logger.info(
                "NanoGPT connection failed (%s); retry %d in %.2fs", type(exc).__name__, attempt + 1, delay
            )
            return delay
        raise self._transport_error(exc) from exc

    def _delay_after_status(self, response: httpx.Response, attempt: int) -> float:
        """Seconds to wait before retrying an error status (body already read); raises when final."""
        policy = self.config.retry
        if policy.should_retry(attempt, response.status_code):
            delay = policy.delay(attempt, response.headers.get("retry-after"))
            logger.info("NanoGPT answered %d; retry %d in %.2fs", response.status_code, attempt + 1, delay)
            return delay
        raise self._status_error(response)

    @staticmethod
    def _status_error(response: httpx.Response) -> NanoGPTError:
        return error_from_response(response.status_code, response.content, response.headers)

    @staticmethod
    def _parse(response: httpx.Response, model: type[M]) -> M:
        try:
            parsed = model.model_validate_json(response.content)
        except ValidationError as exc:
            raise NanoGPTError(
                f"NanoGPT returned a response this client cannot read: {exc.errors()[0]['msg']}",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                body=response.text[:2000],
            ) from None
        # The private-attribute dict directly: ``hasattr``/``setattr`` on a pydantic private
        # attribute go through pydantic's Python-level ``__getattr__``/``__setattr__`` (slow).
        private = parsed.__pydantic_private__
        if private is not None and "_request_id" in private:
            private["_request_id"] = response.headers.get("x-request-id")
        return parsed

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise NanoGPTError(
                "NanoGPT returned a body that is not JSON",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                body=response.text[:2000],
            ) from None

    # -- Responses API and TEE helpers ----------------------------------------------------------

    def _api_host(self, path: str) -> str:
        """Absolute URL of a Responses or Batch API route on ``config.api_host_url``."""
        return f"{self.config.api_host_url}/{path}"

    def _response_path(self, response_id: str) -> str:
        if not response_id:
            raise ValueError("response_id must be a non-empty string")
        return self._api_host(f"responses/{quote(response_id, safe='')}")

    @staticmethod
    def _check_wait(timeout: float, poll_interval: float) -> None:
        if timeout <= 0 or poll_interval <= 0:
            raise ValueError(f"timeout and poll_interval must be > 0; got {timeout}, {poll_interval}")

    def _tee_urls(self, route: str) -> list[str]:
        """Where a TEE route may live: ``{api root}/v1/tee/...`` first, then ``{site root}/v1/tee/...``.

        The docs disagree (reference §13): the guide uses ``/api/v1/tee``, the endpoint pages and
        OpenAPI ``/v1/tee``. The prefix that answered last is tried first next time.
        """
        api_root = self.config.api_root
        site_root = api_root[: -len("/api")] if api_root.endswith("/api") else api_root
        roots = list(dict.fromkeys([f"{api_root}/v1/tee", f"{site_root}/v1/tee"]))
        if self._tee_root in roots:
            roots.remove(self._tee_root)
            roots.insert(0, self._tee_root)
        return [f"{root}/{route}" for root in roots]

    def _remember_tee_root(self, url: str, route: str) -> None:
        self._tee_root = url[: -len(route) - 1]

    @staticmethod
    def _capture_plain(capture: RawExchange, response: httpx.Response) -> None:
        capture.request_body = response.request.content
        capture.set_response(response.content)


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
