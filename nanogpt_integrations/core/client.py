"""The synchronous NanoGPT client: one pooled ``httpx.Client``, one retry loop."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from ._base import BaseClient, logger
from ._config import TimeoutTypes
from .catalogue import ModelCatalogue, ModelInfo
from .legacy import TalkToGPTResult, parse_talk_to_gpt
from .streaming import Stream
from .types import ChatCompletion, ChatCompletionChunk, Completion, EmbeddingResponse
from .web_search import WebSearchRequest, WebSearchResponse

__all__ = ["NanoGPTClient"]


class NanoGPTClient(BaseClient):
    """Blocking client for the NanoGPT API.

    >>> client = NanoGPTClient(api_key="sk-nano-...")  # doctest: +SKIP
    >>> client.chat({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]})  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=self.config.timeout,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    # -- transport -----------------------------------------------------------------------------

    def send(
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
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (body unread when ``stream``) or raise a typed error."""
        request = self._build(
            self._http,
            method,
            path,
            json_body=json_body,
            params=params,
            headers=headers,
            stream=stream,
            api_root=api_root,
            auth=auth,
            timeout=timeout,
        )
        policy = self.config.retry
        attempt = 0
        while True:
            try:
                response = self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                if self._retryable_transport_error(exc) and policy.should_retry(attempt, None):
                    delay = policy.delay(attempt)
                    logger.info(
                        "NanoGPT connection failed (%s); retry %d in %.2fs",
                        type(exc).__name__,
                        attempt + 1,
                        delay,
                    )
                    time.sleep(delay)
                    attempt += 1
                    continue
                raise self._transport_error(exc) from exc
            if response.status_code >= 400:
                try:
                    response.read()
                except httpx.HTTPError:
                    pass
                finally:
                    response.close()
                if policy.should_retry(attempt, response.status_code):
                    delay = policy.delay(attempt, response.headers.get("retry-after"))
                    logger.info(
                        "NanoGPT answered %d; retry %d in %.2fs", response.status_code, attempt + 1, delay
                    )
                    time.sleep(delay)
                    attempt += 1
                    continue
                raise self._status_error(response)
            if not stream:
                try:
                    response.read()
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc) from exc
                finally:
                    response.close()
            return response

    def close(self) -> None:
        """Close the pooled connections (only when this client created them)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> NanoGPTClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- chat ----------------------------------------------------------------------------------

    def chat(self, payload: Mapping[str, Any], *, headers: Mapping[str, str] | None = None) -> ChatCompletion:
        """``POST /chat/completions`` without streaming."""
        response = self.send(
            "POST", "chat/completions", json_body=self._plain_payload(payload), headers=headers
        )
        return self._parse(response, ChatCompletion)

    def stream_chat(
        self,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        include_usage: bool = True,
    ) -> Stream[ChatCompletionChunk]:
        """``POST /chat/completions`` with ``stream: true``; usage is requested unless disabled."""
        body = self._stream_payload(payload, include_usage)
        response = self.send("POST", "chat/completions", json_body=body, headers=headers, stream=True)
        return Stream(response, ChatCompletionChunk)

    # -- text completions ----------------------------------------------------------------------

    def completions(
        self, payload: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> Completion:
        """``POST /completions`` (legacy text completion; best effort upstream, reference §9.1)."""
        response = self.send("POST", "completions", json_body=self._plain_payload(payload), headers=headers)
        return self._parse(response, Completion)

    def stream_completions(
        self,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        include_usage: bool = True,
    ) -> Stream[Completion]:
        body = self._stream_payload(payload, include_usage)
        response = self.send("POST", "completions", json_body=body, headers=headers, stream=True)
        return Stream(response, Completion)

    def talk_to_gpt(
        self,
        prompt: str,
        *,
        model: str,
        messages: Sequence[Mapping[str, str]] | None = None,
        provider: str | Mapping[str, Any] | None = None,
    ) -> TalkToGPTResult:
        """Legacy ``POST /api/talk-to-gpt``: plain text plus the ``<NanoGPT>`` cost trailer."""
        body: dict[str, Any] = {"prompt": prompt, "model": model, "messages": list(messages or [])}
        if provider is not None:
            body["provider"] = provider
        key = self.config.require_key()
        response = self.send(
            "POST",
            "talk-to-gpt",
            json_body=body,
            api_root=True,
            headers={"x-api-key": key, "Accept": "text/plain"},
        )
        return parse_talk_to_gpt(response.text, response.headers.get("x-request-id"))

    # -- embeddings ----------------------------------------------------------------------------

    def embeddings(self, payload: Mapping[str, Any]) -> EmbeddingResponse:
        """``POST /embeddings`` as is."""
        return self._parse(self.send("POST", "embeddings", json_body=dict(payload)), EmbeddingResponse)

    def embed(
        self, texts: Sequence[str], *, model: str, dimensions: int | None = None, batch_size: int = 2048
    ) -> list[list[float]]:
        """Embed ``texts`` in batches of at most ``batch_size`` (≤ 2048), keeping input order."""
        vectors: list[list[float]] = []
        for batch in self._embedding_batches(texts, batch_size):
            response = self.embeddings(self._embedding_body(batch, model, dimensions))
            vectors.extend(self._vectors(response, len(batch)))
        return vectors

    # -- web search ----------------------------------------------------------------------------

    def web_search(self, request: WebSearchRequest | Mapping[str, Any]) -> WebSearchResponse:
        """``POST /api/web``: validated before sending (see :class:`WebSearchRequest`)."""
        req = self._web_request(request)
        response = self.send("POST", "web", json_body=req.to_wire(), api_root=True)
        return self._parse(response, WebSearchResponse)

    # -- catalogue -----------------------------------------------------------------------------

    def catalogue(self, *, refresh: bool = False) -> ModelCatalogue:
        """``GET /models?detailed=true``, cached per client for five minutes."""
        cached = self._cached_catalogue(refresh)
        if cached is not None:
            return cached
        response = self.send(
            "GET", "models", params={"detailed": "true"}, auth=self.config.api_key is not None
        )
        catalogue = ModelCatalogue.from_payload(self._json(response))
        self._catalogue.set(catalogue)
        return catalogue

    def model_info(self, model: str) -> ModelInfo | None:
        """The catalogue entry for ``model`` (suffixes ignored), or None if unknown."""
        return self.catalogue().get(model)
