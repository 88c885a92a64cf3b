"""What the sync and async clients share: payload preparation, response parsing, error mapping."""

from __future__ import annotations

import base64
import json
import logging
import struct
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from ._config import DEFAULT_MAX_RESPONSE_BYTES, ClientConfig, TimeoutTypes, check_header
from .catalogue import CatalogueCache, ModelCatalogue
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    DailyLimitError,
    NanoGPTError,
    PoolTimeoutError,
    UnexpectedResponseError,
    error_from_response,
    error_in_body,
)
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

#: The embeddings endpoint takes at most 2048 inputs per request (api-reference/endpoint/embeddings.mdx).
MAX_EMBEDDING_BATCH = 2048


#: The API roots NanoGPT documents (``api-reference/endpoint/chat-completion.mdx``,
#: ``endpoint/models.mdx``, ``miscellaneous/extended-thinking.mdx``); a 404 under another base
#: URL says so.
KNOWN_ROOTS = ("/api/v1", "/api/subscription/v1", "/api/paid/v1", "/api/v1legacy", "/api/v1thinking")

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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
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
            max_response_bytes=max_response_bytes,
            max_event_bytes=max_event_bytes,
            stream_deadline=stream_deadline,
        )
        self._catalogue = CatalogueCache()
        self._providers: ProvidersCache | None = None  # provider discovery per model, made on first use
        #: Parsed request URLs per (path, api_root): httpx parses a string URL on every request.
        self._urls: dict[tuple[str, bool], httpx.URL] = {}
        #: Whether the pooled httpx client carries ``config.client_headers()`` (one we created).
        self._headers_on_client = False
        self._tee_root: str | None = (
            None  # the TEE route prefix that answered last (api-reference/tee-verification.mdx)
        )
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
        try:
            return client.build_request(
                method,
                self._url(path, api_root),
                content=content,
                files=files,
                params=params,
                headers=hdrs,
                extensions=extensions,
            )
        except UnicodeEncodeError:
            pass  # httpx encodes header values as ASCII; this error holds the value (maybe the key)
        for name, value in hdrs.items():  # outside the handler: the error above is not chained
            check_header(name, value)
        raise ConfigurationError("a request header is not ASCII (value not shown)")

    def _url(self, path: str, api_root: bool) -> httpx.URL | str:
        """The request URL, parsed once per route (a handful of routes; ids and absolute URLs
        are passed as strings). An absolute URL is used as is (the TEE routes, api-reference/tee-verification.mdx)."""
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
    def _where(exc: httpx.HTTPError, request: httpx.Request | None) -> str:
        """``METHOD scheme://host:port/path`` of the failed request (no query string, no user info)."""
        if request is None:
            try:
                request = exc.request
            except RuntimeError:  # an httpx error raised without a request
                return "NanoGPT"
        url = request.url
        return f"{request.method} {url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"

    def _transport_error(self, exc: httpx.HTTPError, request: httpx.Request | None = None) -> NanoGPTError:
        """The typed error for a failure before or while reading a response: short, naming the URL
        and what to do. Raised ``from None`` by callers: the httpx chain (an 80-line traceback of
        httpcore internals) is not printed, and stays reachable as ``__context__`` for debugging."""
        where = self._where(exc, request)
        if isinstance(exc, httpx.PoolTimeout):
            return PoolTimeoutError(
                f"no free connection in this client's pool within the timeout ({where}): every "
                "connection is held by a response or stream that was never closed. Close streams "
                "(use them in a with block or iterate them to the end); not retried"
            )
        if isinstance(exc, httpx.LocalProtocolError):
            # h11's message quotes the offending header value, which may be the API key: the
            # httpx error (reachable as ``__context__``) loses that message and its own chain.
            exc.args = ("invalid request (details not shown: they may hold a secret)",)
            exc.__cause__ = exc.__context__ = None
            return ConfigurationError(
                f"the request could not be sent ({where}): a header value is not valid HTTP (a line "
                "break or control character, e.g. in api_key, default_headers or provider); not retried"
            )
        hint = "check base_url / NANOGPT_BASE_URL and your network connection"
        if isinstance(exc, httpx.ConnectTimeout):
            return APITimeoutError(f"connecting to NanoGPT timed out ({where}); {hint}")
        if isinstance(exc, httpx.ReadTimeout):
            return APITimeoutError(
                f"NanoGPT sent nothing within the read timeout ({where}; `timeout` applies to each "
                "read, not the whole call). Not retried: the request may have been accepted and billed"
            )
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"request to NanoGPT timed out ({where}): {type(exc).__name__}")
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError):
            return APIConnectionError(f"could not reach NanoGPT ({where}: {detail}); {hint}")
        return APIConnectionError(f"could not reach NanoGPT ({where}): {detail}")

    def _delay_after_exception(self, exc: httpx.HTTPError, attempt: int, request: httpx.Request) -> float:
        """Seconds to wait before retrying a transport failure; raises the typed error when it is
        final. Retried: failures before any response, except a read timeout (the server may have
        accepted, and billed, the request), a pool timeout (a leak in the caller) and a request
        httpx refused to send (it would fail the same way again)."""
        policy = self.config.retry
        if not isinstance(exc, _NEVER_RETRIED) and policy.should_retry(attempt, None):
            delay = cast(float, policy.delay(attempt))  # no hint: always a backoff
            logger.info(
                "NanoGPT connection failed (%s); retry %d in %.2fs", type(exc).__name__, attempt + 1, delay
            )
            return delay
        raise self._transport_error(exc, request) from None

    def _delay_after_status(self, response: httpx.Response, attempt: int) -> float:
        """Seconds to wait before retrying an error status (body already read); raises when final.

        Not retried: a status outside ``RETRYABLE_STATUSES``, a per-key daily cap, and a
        ``Retry-After`` above ``max_retry_after`` (the error carries the hint as ``retry_after``).
        """
        policy = self.config.retry
        err = self._status_error(response)
        if policy.should_retry(attempt, response.status_code) and not isinstance(err, DailyLimitError):
            delay = policy.delay(attempt, response.headers.get("retry-after"))
            if delay is not None:
                logger.info(
                    "NanoGPT answered %d; retry %d in %.2fs", response.status_code, attempt + 1, delay
                )
                return delay
            _add_note(
                err,
                f"Retry-After is {getattr(err, 'retry_after', 0):g}s, above max_retry_after "
                f"({policy.max_retry_after:g}s): not retried",
            )
        raise err

    def _status_error(self, response: httpx.Response) -> NanoGPTError:
        """The typed error for a response that is not a usable reply (error status, redirect, or a
        non-SSE answer to a stream request), with a hint where the cause is usually the base URL."""
        status = response.status_code
        if status < 400:
            return self._unexpected(response)
        err = error_from_response(status, response.content, response.headers)
        if status == 404 and not self.config.base_url.endswith(KNOWN_ROOTS):
            _add_note(
                err,
                f"the base URL {self.config.base_url} does not end in /api/v1 (or "
                f"{', '.join(KNOWN_ROOTS[1:])}): set base_url / NANOGPT_BASE_URL to e.g. "
                "https://nano-gpt.com/api/v1",
            )
        return err

    def _unexpected(self, response: httpx.Response) -> NanoGPTError:
        """A redirect, or JSON/HTML where an event stream was asked for: say what came back."""
        status = response.status_code
        ctype = response.headers.get("content-type")
        shown = ctype or "no content type"
        if 300 <= status < 400:
            location = response.headers.get("location") or "no Location header"
            message = f"NanoGPT answered HTTP {status} (a redirect to {location}); redirects are not followed"
            base = self.config.base_url
            if base.startswith("http://") and location.startswith("https://"):
                message += f": set base_url / NANOGPT_BASE_URL to the https:// URL (https://{base[7:]})"
            else:
                message += ": check base_url / NANOGPT_BASE_URL"
        else:
            body = self._loads(response)
            in_body = error_in_body(status, body, response.headers)
            if in_body is not None:
                return in_body
            what = "a JSON completion" if isinstance(body, Mapping) and "choices" in body else shown
            message = (
                f"the stream request was answered with {what} (HTTP {status}, {shown}) instead of an "
                "event stream (text/event-stream): check base_url / NANOGPT_BASE_URL"
            )
        err = UnexpectedResponseError(
            message, status=status, request_id=response.headers.get("x-request-id"), body=_snippet(response)
        )
        err.content_type = ctype
        return err

    @staticmethod
    def _not_an_event_stream(response: httpx.Response) -> bool:
        """A 2xx answer to an SSE request (``Accept: text/event-stream``) that is JSON or HTML (the
        stream decoder would only report that the connection closed early). Other or missing types
        are read as SSE; other streamed downloads (batch files, JSONL) are not concerned."""
        ctype = response.headers.get("content-type")
        return (
            ctype is not None
            and ("json" in ctype or "html" in ctype)
            and "event-stream" in response.request.headers.get("accept", "")
        )

    @staticmethod
    def _loads(response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except ValueError:
            return None

    @staticmethod
    def _body_problem(response: httpx.Response, parsed: BaseModel) -> NanoGPTError | None:
        """The error a 2xx body carries instead of a reply: an error envelope, or a completion
        without choices (both used to become an empty reply)."""
        fields = parsed.__dict__
        error = fields.get("error")
        if error is None and parsed.__pydantic_extra__:
            error = parsed.__pydantic_extra__.get("error")
        no_choices = "choices" in fields and not fields["choices"]
        if error is not None and (no_choices or not fields.get("id")):
            body = BaseClient._loads(response)
            found = error_in_body(response.status_code, body, response.headers)
            if found is not None:
                return found
        if no_choices:
            return UnexpectedResponseError(
                f"NanoGPT answered HTTP {response.status_code} with a completion without choices: "
                "there is no reply to return",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                body=_snippet(response),
            )
        return None

    @staticmethod
    def _parse(response: httpx.Response, model: type[M]) -> M:
        try:
            parsed = model.model_validate_json(response.content)
        except ValidationError as exc:
            found = error_in_body(response.status_code, BaseClient._loads(response), response.headers)
            if found is not None:  # an error envelope that does not even fit the reply's type
                raise found from None
            raise NanoGPTError(
                f"NanoGPT returned a response this client cannot read: {exc.errors()[0]['msg']}",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                body=_snippet(response),
            ) from None
        fields = parsed.__dict__
        if (
            ("choices" in fields and not fields["choices"])
            or fields.get("error") is not None
            or (parsed.__pydantic_extra__ and "error" in parsed.__pydantic_extra__)
        ):
            problem = BaseClient._body_problem(response, parsed)
            if problem is not None:
                raise problem
        # The private-attribute dict directly: ``hasattr``/``setattr`` on a pydantic private
        # attribute go through pydantic's Python-level ``__getattr__``/``__setattr__`` (slow).
        private = parsed.__pydantic_private__
        if private is not None and "_request_id" in private:
            private["_request_id"] = response.headers.get("x-request-id")
        return parsed

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise NanoGPTError(
                "NanoGPT returned a body that is not JSON",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                body=_snippet(response),
            ) from None
        if isinstance(body, dict) and "error" in body and "data" not in body:
            found = error_in_body(response.status_code, body, response.headers)
            if found is not None:
                raise found
        return body

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

        The docs disagree (api-reference/tee-verification.mdx): the guide uses ``/api/v1/tee``, the endpoint pages and
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


#: Transport failures never retried (see ``BaseClient._delay_after_exception``).
_NEVER_RETRIED = (httpx.ReadTimeout, httpx.PoolTimeout, httpx.LocalProtocolError)


def _snippet(response: httpx.Response) -> str:
    """The start of a body for an error's ``body`` (without decoding all of a large one)."""
    return response.content[:2000].decode("utf-8", "replace")


def _add_note(err: NanoGPTError, note: str) -> None:
    """Append ``note`` in parentheses to an error's message (and to ``str(err)``)."""
    err.message = f"{err.message} ({note})"
    err.args = (err.message,)
