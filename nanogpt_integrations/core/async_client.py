"""The asynchronous NanoGPT client: one pooled ``httpx.AsyncClient`` per event loop, one retry loop.

A new event loop (a second ``asyncio.run()``) gets a fresh connection pool instead of reusing
connections bound to a closed loop (a known failure of OpenAI-SDK-based integrations), and each
pool is closed while its loop shuts down (see :mod:`._pools`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from ._base import BaseClient
from ._bodies import aread_capped, capturing
from ._config import DEFAULT_MAX_RESPONSE_BYTES, TimeoutTypes
from ._pools import LoopPools, shared_ssl_context
from .catalogue import ModelCatalogue, ModelInfo
from .errors import NanoGPTError, NotFoundError
from .sse import DEFAULT_MAX_EVENT_BYTES
from .streaming import AsyncStream, stream_limits
from .types import ChatCompletion, ChatCompletionChunk, Completion, EmbeddingResponse

if TYPE_CHECKING:  # feature modules load on first use (import time of plain chat)
    from .legacy import TalkToGPTResult
    from .options import NanoGPTOptions
    from .providers import ModelProviders
    from .responses import (
        AsyncResponseEventStream,
        ResponseDeleted,
        ResponseObject,
        ResponsesRequest,
    )
    from .tee import (
        RawExchange,
        TEEAttestation,
        TEESignature,
        TEEVerification,
    )
    from .web_search import WebSearchRequest, WebSearchResponse

__all__ = ["AsyncNanoGPTClient"]


class AsyncNanoGPTClient(BaseClient):
    """Async client for the NanoGPT API.

    >>> client = NanoGPTClient(api_key="sk-nano-...")  # doctest: +SKIP
    >>> await client.chat({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]})  # doctest: +SKIP
    """

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
        http_client: httpx.AsyncClient | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        stream_deadline: float | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            max_response_bytes=max_response_bytes,
            requests_per_second=requests_per_second,
            max_event_bytes=max_event_bytes,
            stream_deadline=stream_deadline,
        )
        self._owns_http = http_client is None
        self._headers_on_client = self._owns_http
        self._given_http = http_client
        #: Our pools, one per event loop, each closed when its loop shuts down.
        self._pools = LoopPools()

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self.config.timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=50),
            headers=self.config.client_headers(),
            verify=shared_ssl_context(),
        )

    @property
    def _http(self) -> httpx.AsyncClient:
        """The pool for the running event loop (created on first use in that loop)."""
        if self._given_http is not None:
            return self._given_http
        loop = asyncio.get_running_loop()
        last = self._pools.last
        if last[0] is loop:
            return last[1]  # type: ignore[no-any-return]
        return self._pools.open(loop, self._new_http)

    # -- transport -----------------------------------------------------------------------------

    async def send(
        self,
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
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (body unread when ``stream``) or raise a typed error."""
        http = self._http
        request = self._build(
            http,
            method,
            path,
            json_body=json_body,
            params=params,
            headers=headers,
            stream=stream,
            api_root=api_root,
            auth=auth,
            timeout=timeout,
            files=files,
        )
        attempt = 0
        while True:
            if self._limiter is not None:  # client-side rate limit: one token per attempt
                await self._limiter.aacquire()
            try:
                response = await http.send(request, stream=True)
            except httpx.HTTPError as exc:
                await asyncio.sleep(self._delay_after_exception(exc, attempt, request))
                attempt += 1
                continue
            # >= 300: redirects are not followed; a stream answered with JSON/HTML is not a stream.
            if response.status_code >= 300 or (stream and self._not_an_event_stream(response)):
                try:
                    await aread_capped(response, self.config.max_response_bytes)
                except httpx.HTTPError:
                    pass  # the status alone decides; a body cut short only loses the message
                finally:
                    await response.aclose()
                await asyncio.sleep(self._delay_after_status(response, attempt))
                attempt += 1
                continue
            if not stream:
                try:
                    await aread_capped(response, self.config.max_response_bytes)
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc, request) from None
                finally:
                    await response.aclose()
            return response

    async def aclose(self) -> None:
        """Close the pool of the running loop (only pools this client created; a client passed
        in stays open: it is the caller's). Pools of other loops close with their loop."""
        if self._owns_http:
            await self._pools.aclose_current()

    def close(self) -> None:
        """Close every pool this client created, from sync code or another thread: each is
        closed by its own loop when that loop runs next (a closed loop's pool is dropped)."""
        if self._owns_http:
            self._pools.release()

    async def __aenter__(self) -> AsyncNanoGPTClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- chat ----------------------------------------------------------------------------------

    async def chat(
        self,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        capture: RawExchange | None = None,
    ) -> ChatCompletion:
        """``POST /chat/completions`` without streaming; ``capture`` receives the exact bytes (TEE)."""
        response = await self.send(
            "POST", "chat/completions", json_body=self._plain_payload(payload), headers=headers
        )
        if capture is not None:
            self._capture_plain(capture, response)
        return self._parse(response, ChatCompletion)

    async def stream_chat(
        self,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        include_usage: bool = True,
        capture: RawExchange | None = None,
        stream_deadline: float | None = None,
    ) -> AsyncStream[ChatCompletionChunk]:
        """``POST /chat/completions`` with ``stream: true``; usage is requested unless disabled.

        ``capture`` receives the exact request bytes and, as the stream is read, the raw SSE bytes.
        ``stream_deadline`` (seconds from this call) overrides the client's total stream deadline.
        """
        limits = stream_limits(self.config, stream_deadline, time.monotonic())
        body = self._stream_payload(payload, include_usage)
        response = await self.send("POST", "chat/completions", json_body=body, headers=headers, stream=True)
        return AsyncStream(capturing(response, capture), ChatCompletionChunk, **limits)

    # -- text completions ----------------------------------------------------------------------

    async def completions(
        self, payload: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> Completion:
        """``POST /completions`` (legacy text completion; best effort upstream, api-reference/endpoint/completion.mdx)."""
        response = await self.send(
            "POST", "completions", json_body=self._plain_payload(payload, False), headers=headers
        )
        return self._parse(response, Completion)

    async def stream_completions(
        self,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        include_usage: bool = True,
        stream_deadline: float | None = None,
    ) -> AsyncStream[Completion]:
        limits = stream_limits(self.config, stream_deadline, time.monotonic())
        body = self._stream_payload(payload, include_usage)
        response = await self.send("POST", "completions", json_body=body, headers=headers, stream=True)
        return AsyncStream(response, Completion, **limits)

    async def talk_to_gpt(
        self,
        prompt: str,
        *,
        model: str,
        messages: Sequence[Mapping[str, str]] | None = None,
        provider: str | Mapping[str, Any] | None = None,
    ) -> TalkToGPTResult:
        """Legacy ``POST /api/talk-to-gpt``: plain text plus the ``<NanoGPT>`` cost trailer."""
        from .legacy import parse_talk_to_gpt

        body: dict[str, Any] = {"prompt": prompt, "model": model, "messages": list(messages or [])}
        if provider is not None:
            body["provider"] = provider
        key = self.config.require_key()
        response = await self.send(
            "POST",
            "talk-to-gpt",
            json_body=body,
            api_root=True,
            headers={"x-api-key": key, "Accept": "text/plain"},
        )
        return parse_talk_to_gpt(response.text, response.headers.get("x-request-id"))

    # -- embeddings ----------------------------------------------------------------------------

    async def embeddings(self, payload: Mapping[str, Any]) -> EmbeddingResponse:
        """``POST /embeddings`` as is."""
        return self._parse(await self.send("POST", "embeddings", json_body=dict(payload)), EmbeddingResponse)

    async def embed(
        self, texts: Sequence[str], *, model: str, dimensions: int | None = None, batch_size: int = 2048
    ) -> list[list[float]]:
        """Embed ``texts`` in batches of at most ``batch_size`` (≤ 2048), keeping input order."""
        vectors: list[list[float]] = []
        for batch in self._embedding_batches(texts, batch_size):
            response = await self.embeddings(self._embedding_body(batch, model, dimensions))
            vectors.extend(self._vectors(response, len(batch)))
        return vectors

    # -- web search ----------------------------------------------------------------------------

    async def web_search(self, request: WebSearchRequest | Mapping[str, Any]) -> WebSearchResponse:
        """``POST /api/web``: validated before sending (see :class:`WebSearchRequest`)."""
        from .web_search import WebSearchResponse

        req = self._web_request(request)
        response = await self.send("POST", "web", json_body=req.to_wire(), api_root=True)
        return self._parse(response, WebSearchResponse)

    # -- catalogue -----------------------------------------------------------------------------

    async def catalogue(self, *, refresh: bool = False) -> ModelCatalogue:
        """``GET /models?detailed=true``, cached per client for five minutes."""
        cached = self._cached_catalogue(refresh)
        if cached is not None:
            return cached
        response = await self.send(
            "GET", "models", params={"detailed": "true"}, auth=self.config.api_key is not None
        )
        catalogue = ModelCatalogue.from_payload(self._json(response))
        self._catalogue.set(catalogue)
        return catalogue

    async def model_info(self, model: str) -> ModelInfo | None:
        """The catalogue entry for ``model`` (suffixes ignored), or None if unknown (warned once)."""
        return (await self.catalogue()).check(model)

    # -- Responses API (api-reference/endpoint/responses.mdx) -----------------------------------------------------------

    async def responses_create(
        self, request: ResponsesRequest | Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> ResponseObject:
        """``POST /responses`` (validated first). With ``background=True`` the reply is the queued
        response (202); follow it with :meth:`responses_wait`."""
        from .responses import ResponseObject, ResponsesRequest

        body = ResponsesRequest.of(request).to_wire()
        response = await self.send("POST", self._api_host("responses"), json_body=body, headers=headers)
        return self._parse(response, ResponseObject)

    async def responses_stream(
        self, request: ResponsesRequest | Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> AsyncResponseEventStream:
        """``POST /responses`` with ``stream: true``: typed events; failures raise ``StreamError``."""
        limits = stream_limits(self.config, None, time.monotonic())
        from .responses import AsyncResponseEventStream, ResponsesRequest, ResponseStreamEvent

        body = ResponsesRequest.of(request).to_wire(stream=True)
        response = await self.send(
            "POST", self._api_host("responses"), json_body=body, headers=headers, stream=True
        )
        return AsyncResponseEventStream(AsyncStream(response, ResponseStreamEvent, **limits))

    async def responses_get(
        self, response_id: str, *, headers: Mapping[str, str] | None = None
    ) -> ResponseObject:
        """``GET /responses/{id}`` (404 ``NotFoundError`` when unknown or not stored)."""
        from .responses import ResponseObject

        response = await self.send("GET", self._response_path(response_id), headers=headers)
        return self._parse(response, ResponseObject)

    async def responses_delete(
        self, response_id: str, *, headers: Mapping[str, str] | None = None
    ) -> ResponseDeleted:
        """``DELETE /responses/{id}``."""
        from .responses import ResponseDeleted

        response = await self.send("DELETE", self._response_path(response_id), headers=headers)
        return self._parse(response, ResponseDeleted)

    async def responses_wait(
        self,
        response_id: str,
        *,
        timeout: float = 800.0,
        poll_interval: float = 1.0,
        headers: Mapping[str, str] | None = None,
    ) -> ResponseObject:
        """Poll ``GET /responses/{id}`` until terminal, for at most ``timeout`` seconds in total
        (then :class:`ResponseTimeoutError`)."""
        from .responses import ResponseTimeoutError

        self._check_wait(timeout, poll_interval)
        deadline = time.monotonic() + timeout
        while True:
            current = await self.responses_get(response_id, headers=headers)
            if current.done:
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ResponseTimeoutError(
                    f"response {response_id} still {current.status!r} after {timeout}s", last=current
                )
            await asyncio.sleep(min(poll_interval, remaining))

    # -- TEE (api-reference/tee-verification.mdx) --------------------------------------------------------------------

    async def _tee_get(self, route: str, params: Mapping[str, str]) -> httpx.Response:
        urls = self._tee_urls(route)
        for position, url in enumerate(urls):
            try:
                response = await self.send("GET", url, params=params)
            except NotFoundError:
                if position == len(urls) - 1:
                    raise
                continue
            self._remember_tee_root(url, route)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def tee_attestation(self, model: str, nonce: str | None = None) -> TEEAttestation:
        """``GET /v1/tee/attestation?model=&nonce=`` (a random nonce unless given)."""
        from .tee import TEEAttestation, new_nonce, require_tee_model

        require_tee_model(model)
        nonce = nonce or new_nonce()
        response = await self._tee_get("attestation", {"model": model, "nonce": nonce})
        attestation = self._parse(response, TEEAttestation)
        attestation._requested_nonce = nonce
        return attestation

    async def tee_signature(self, request_id: str, model: str, signing_algo: str = "ecdsa") -> TEESignature:
        """``GET /v1/tee/signature/{request_id}?model=&signing_algo=`` (``request_id`` = completion id)."""
        from .tee import TEESignature, require_tee_model

        require_tee_model(model)
        route = f"signature/{quote(request_id, safe='')}"
        response = await self._tee_get(route, {"model": model, "signing_algo": signing_algo})
        return self._parse(response, TEESignature)

    async def tee_verify(
        self, exchange: RawExchange, *, model: str, completion_id: str, nonce: str | None = None
    ) -> TEEVerification:
        """Fetch attestation and signature for a captured chat exchange and verify it locally."""
        from .tee import require_tee_model, verify_tee

        require_tee_model(model)
        try:
            attestation = await self.tee_attestation(model, nonce)
            signature = await self.tee_signature(completion_id, model)
        except NanoGPTError as exc:
            return verify_tee(
                attestation=None,
                signature=None,
                request_body=exchange.request_body,
                response_body=exchange.response_body,
                model=model,
                request_id=completion_id,
            ).with_reason(f"attestation or signature could not be fetched: {exc}")
        return verify_tee(
            attestation=attestation,
            signature=signature,
            request_body=exchange.request_body,
            response_body=exchange.response_body,
            model=model,
            request_id=completion_id,
        )

    # -- provider discovery (api-reference/miscellaneous/provider-selection.mdx) ---------------------

    async def model_providers(self, model: str, *, refresh: bool = False) -> ModelProviders:
        """``GET /api/models/{id}/providers`` for ``model`` (request suffixes dropped), cached per
        client for five minutes like the catalogue."""
        from .providers import ModelProviders, discovery_id, providers_path

        key, cache = discovery_id(model), self._provider_cache()
        cached = None if refresh else cache.get(key)
        if cached is not None:
            return cached
        response = await self.send(
            "GET", providers_path(key), api_root=True, auth=self.config.api_key is not None
        )
        result = self._parse(response, ModelProviders)
        cache.set(key, result)
        return result

    async def check_provider(
        self,
        model: str,
        options: NanoGPTOptions | None = None,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ModelProviders:
        """Preflight: raise :class:`ProviderSelectionError` when NanoGPT would reject or ignore the
        provider choices of a request (``options`` applied to ``model``, ``body`` and ``headers``);
        return the discovery answer otherwise. Sends only the (cached) discovery request."""
        from .providers import check_provider_selection

        parts = self._provider_request(model, options, body, headers)
        info = await self.model_providers(parts.model)
        check_provider_selection(info, parts.model, parts.body, parts.headers)
        return info
