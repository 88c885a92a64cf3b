"""The Batch API's routes over the core clients: files, batches (file-backed) and inline batches.

Every call goes through the core client's ``send()`` (retries, ``Retry-After``, typed errors, the
optional rate limiter); nothing here opens a connection of its own. URLs come from
``ClientConfig``: the file-backed routes on :attr:`~..ClientConfig.api_host_url`
(``https://api.nano-gpt.com/api/v1`` by default), the inline ones on
:attr:`~..ClientConfig.beta_url` (``https://api.nano-gpt.com/api/beta``); a user-set base URL wins
(api-reference/endpoint/batches.mdx, "Authentication and base URLs").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ..async_client import AsyncNanoGPTClient
from ..client import NanoGPTClient
from .models import Batch, BatchList, FileObject, Workflow
from .prepare import PreparedBatch, WorkflowChoice, prepare_batch
from .rows import RowInput, resolve_endpoint

if TYPE_CHECKING:
    from .job import AsyncBatchJob, BatchJob, BatchJobHandle

__all__ = ["AsyncBatchClient", "BatchClient"]

#: "the only supported completion window is 24h" (api-reference/endpoint/batches.mdx).
COMPLETION_WINDOW = "24h"
_DOWNLOAD_HEADERS = {"Accept": "*/*"}


def _segment(value: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string; got {value!r}")
    return quote(value, safe="")


class _Routes:
    """URLs and bodies shared by the sync and async clients (no I/O)."""

    _core: NanoGPTClient | AsyncNanoGPTClient

    def _v1(self, path: str) -> str:
        return f"{self._core.config.api_host_url}/{path}"

    def _beta(self, path: str) -> str:
        return f"{self._core.config.beta_url}/{path}"

    def _batch_url(self, batch_id: str, workflow: Workflow, suffix: str = "") -> str:
        path = f"batches/{_segment(batch_id, 'batch_id')}{suffix}"
        return self._beta(path) if workflow == "inline" else self._v1(path)

    @staticmethod
    def _upload_parts(file: IO[bytes], filename: str, purpose: str) -> dict[str, Any]:
        # curl -F purpose=batch -F file=@batch.jsonl (api-reference/endpoint/batches.mdx)
        return {"purpose": (None, purpose), "file": (filename, file, "application/octet-stream")}

    @staticmethod
    def _create_body(input_file_id: str, endpoint: str, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "input_file_id": input_file_id,
            "endpoint": resolve_endpoint(endpoint),
            "completion_window": COMPLETION_WINDOW,
        }
        if metadata:
            body["metadata"] = dict(metadata)
        return body

    @staticmethod
    def _list_params(limit: int | None, after: str | None) -> dict[str, str]:
        params = {}
        if limit is not None:
            if not isinstance(limit, int) or limit < 1:
                raise ValueError(f"limit must be a positive integer; got {limit!r}")
            params["limit"] = str(limit)
        if after:
            params["after"] = after
        return params

    @staticmethod
    def _prepare(
        rows: Iterable[RowInput],
        endpoint: str | None,
        workflow: WorkflowChoice,
        metadata: Mapping[str, str] | None,
    ) -> PreparedBatch:
        if metadata and workflow == "inline":
            raise ValueError("metadata is sent with file-backed batches only; use workflow='file' or 'auto'")
        # The inline API documents no metadata: a job with metadata goes file-backed.
        return prepare_batch(rows, endpoint=endpoint, workflow="file" if metadata else workflow)

    @staticmethod
    def _open(file: IO[bytes] | str | os.PathLike[str], filename: str | None) -> tuple[IO[bytes], str, bool]:
        if isinstance(file, (str, os.PathLike)):
            path = Path(file)
            return path.open("rb"), filename or path.name, True
        return file, filename or Path(str(getattr(file, "name", "batch.jsonl"))).name, False


class BatchClient(_Routes):
    """Blocking Batch API client over a :class:`~..NanoGPTClient` (created from ``client_options``
    when not given, and then closed by :meth:`close`)."""

    def __init__(self, client: NanoGPTClient | None = None, **client_options: Any) -> None:
        self._owns = client is None
        self._core = client if client is not None else NanoGPTClient(**client_options)

    @property
    def client(self) -> NanoGPTClient:
        """The core client whose transport every call uses."""
        assert isinstance(self._core, NanoGPTClient)
        return self._core

    def close(self) -> None:
        """Close the core client when this object created it."""
        if self._owns:
            self.client.close()

    def __enter__(self) -> BatchClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files ----------------------------------------------------------------------------------

    def upload_file(
        self, file: IO[bytes] | str | os.PathLike[str], *, filename: str | None = None, purpose: str = "batch"
    ) -> FileObject:
        """``POST /files`` (multipart, streamed from the file; retried uploads rewind it)."""
        handle, name, opened = self._open(file, filename)
        try:
            response = self.client.send(
                "POST", self._v1("files"), files=self._upload_parts(handle, name, purpose)
            )
        finally:
            if opened:
                handle.close()
        return self.client._parse(response, FileObject)

    def retrieve_file(self, file_id: str) -> FileObject:
        """``GET /files/{id}``."""
        response = self.client.send("GET", self._v1(f"files/{_segment(file_id, 'file_id')}"))
        return self.client._parse(response, FileObject)

    def download_file(self, file_id: str, dest: IO[bytes]) -> int:
        """``GET /files/{id}/content`` streamed into ``dest``; returns the byte count."""
        url = self._v1(f"files/{_segment(file_id, 'file_id')}/content")
        response = self.client.send("GET", url, stream=True, headers=_DOWNLOAD_HEADERS)
        written = 0
        try:
            for chunk in response.iter_bytes():
                dest.write(chunk)
                written += len(chunk)
        except httpx.HTTPError as exc:
            raise self.client._transport_error(exc) from exc
        finally:
            response.close()
        return written

    # -- batches --------------------------------------------------------------------------------

    def create_batch(
        self, *, input_file_id: str, endpoint: str, metadata: Mapping[str, str] | None = None
    ) -> Batch:
        """``POST /batches`` (file-backed; ``completion_window`` is always ``24h``)."""
        body = self._create_body(input_file_id, endpoint, metadata)
        return self.client._parse(self.client.send("POST", self._v1("batches"), json_body=body), Batch)

    def create_inline_batch(self, body: Mapping[str, Any]) -> Batch:
        """``POST /api/beta/batches`` with ``{endpoint, model, requests}`` (answered ``202``)."""
        return self.client._parse(self.client.send("POST", self._beta("batches"), json_body=body), Batch)

    def retrieve_batch(self, batch_id: str, *, workflow: Workflow = "file") -> Batch:
        """``GET /batches/{id}`` on the workflow's root (an inline batch carries ``results`` when done)."""
        return self.client._parse(self.client.send("GET", self._batch_url(batch_id, workflow)), Batch)

    def cancel_batch(self, batch_id: str, *, workflow: Workflow = "file") -> Batch:
        """``POST /batches/{id}/cancel`` (best effort: the batch goes ``cancelling``, then ``cancelled``)."""
        url = self._batch_url(batch_id, workflow, "/cancel")
        return self.client._parse(self.client.send("POST", url), Batch)

    def list_batches(self, *, limit: int | None = None, after: str | None = None) -> BatchList:
        """``GET /batches?limit=&after=`` (file-backed batches; one page)."""
        params = self._list_params(limit, after)
        return self.client._parse(self.client.send("GET", self._v1("batches"), params=params), BatchList)

    # -- jobs -----------------------------------------------------------------------------------

    def submit(
        self,
        rows: Iterable[RowInput],
        *,
        endpoint: str | None = None,
        workflow: WorkflowChoice = "auto",
        metadata: Mapping[str, str] | None = None,
    ) -> BatchJob:
        """Validate ``rows`` (read once, in order), send them as one batch and return its job.

        Nothing is sent when a row breaks a rule (:class:`BatchValidationError` names it).
        ``workflow="auto"`` sends inline when the job fits the inline limits, else uploads a file.
        """
        from .job import BatchJob, BatchJobHandle

        with self._prepare(rows, endpoint, workflow, metadata) as prepared:
            if prepared.workflow == "inline":
                batch = self.create_inline_batch(prepared.inline_body())
                handle = BatchJobHandle.inline(batch.id, prepared.endpoint, prepared.custom_ids)
            else:
                file = self.upload_file(prepared.jsonl_file(), filename="batch.jsonl")
                batch = self.create_batch(
                    input_file_id=file.id, endpoint=prepared.endpoint, metadata=metadata
                )
                handle = BatchJobHandle(batch.id, "file", prepared.endpoint, input_file_id=file.id)
        return BatchJob(self, handle, custom_ids=prepared.custom_ids, last=batch)

    def attach(self, job: str | BatchJobHandle, *, workflow: Workflow | None = None) -> BatchJob:
        """Re-attach a job by batch id or saved handle (another process, another day).

        With a bare id and no ``workflow``, the file-backed route is asked first, then the inline one.
        """
        from ..errors import NotFoundError
        from .job import BatchJob, BatchJobHandle

        if isinstance(job, BatchJobHandle):
            return BatchJob(self, job)
        order: list[Workflow] = [workflow] if workflow else ["file", "inline"]
        for position, candidate in enumerate(order):
            try:
                batch = self.retrieve_batch(job, workflow=candidate)
            except NotFoundError:
                if position == len(order) - 1:
                    raise
                continue
            return BatchJob(self, BatchJobHandle.of(batch, candidate), last=batch)
        raise AssertionError("unreachable")  # pragma: no cover


class AsyncBatchClient(_Routes):
    """The async twin of :class:`BatchClient`, over an :class:`~..AsyncNanoGPTClient`."""

    def __init__(self, client: AsyncNanoGPTClient | None = None, **client_options: Any) -> None:
        self._owns = client is None
        self._core = client if client is not None else AsyncNanoGPTClient(**client_options)

    @property
    def client(self) -> AsyncNanoGPTClient:
        """The core client whose transport every call uses."""
        assert isinstance(self._core, AsyncNanoGPTClient)
        return self._core

    async def aclose(self) -> None:
        """Close the core client when this object created it."""
        if self._owns:
            await self.client.aclose()

    async def __aenter__(self) -> AsyncBatchClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def upload_file(
        self, file: IO[bytes] | str | os.PathLike[str], *, filename: str | None = None, purpose: str = "batch"
    ) -> FileObject:
        """``POST /files`` (multipart, streamed from the file)."""
        handle, name, opened = self._open(file, filename)
        try:
            response = await self.client.send(
                "POST", self._v1("files"), files=self._upload_parts(handle, name, purpose)
            )
        finally:
            if opened:
                handle.close()
        return self.client._parse(response, FileObject)

    async def retrieve_file(self, file_id: str) -> FileObject:
        """``GET /files/{id}``."""
        response = await self.client.send("GET", self._v1(f"files/{_segment(file_id, 'file_id')}"))
        return self.client._parse(response, FileObject)

    async def download_file(self, file_id: str, dest: IO[bytes]) -> int:
        """``GET /files/{id}/content`` streamed into ``dest``; returns the byte count."""
        url = self._v1(f"files/{_segment(file_id, 'file_id')}/content")
        response = await self.client.send("GET", url, stream=True, headers=_DOWNLOAD_HEADERS)
        written = 0
        try:
            async for chunk in response.aiter_bytes():
                dest.write(chunk)
                written += len(chunk)
        except httpx.HTTPError as exc:
            raise self.client._transport_error(exc) from exc
        finally:
            await response.aclose()
        return written

    async def create_batch(
        self, *, input_file_id: str, endpoint: str, metadata: Mapping[str, str] | None = None
    ) -> Batch:
        """``POST /batches`` (file-backed)."""
        body = self._create_body(input_file_id, endpoint, metadata)
        response = await self.client.send("POST", self._v1("batches"), json_body=body)
        return self.client._parse(response, Batch)

    async def create_inline_batch(self, body: Mapping[str, Any]) -> Batch:
        """``POST /api/beta/batches`` (answered ``202``)."""
        response = await self.client.send("POST", self._beta("batches"), json_body=body)
        return self.client._parse(response, Batch)

    async def retrieve_batch(self, batch_id: str, *, workflow: Workflow = "file") -> Batch:
        """``GET /batches/{id}`` on the workflow's root."""
        response = await self.client.send("GET", self._batch_url(batch_id, workflow))
        return self.client._parse(response, Batch)

    async def cancel_batch(self, batch_id: str, *, workflow: Workflow = "file") -> Batch:
        """``POST /batches/{id}/cancel``."""
        response = await self.client.send("POST", self._batch_url(batch_id, workflow, "/cancel"))
        return self.client._parse(response, Batch)

    async def list_batches(self, *, limit: int | None = None, after: str | None = None) -> BatchList:
        """``GET /batches?limit=&after=``."""
        params = self._list_params(limit, after)
        response = await self.client.send("GET", self._v1("batches"), params=params)
        return self.client._parse(response, BatchList)

    async def submit(
        self,
        rows: Iterable[RowInput],
        *,
        endpoint: str | None = None,
        workflow: WorkflowChoice = "auto",
        metadata: Mapping[str, str] | None = None,
    ) -> AsyncBatchJob:
        """Validate ``rows``, send them as one batch and return its job (see :meth:`BatchClient.submit`)."""
        from .job import AsyncBatchJob, BatchJobHandle

        with self._prepare(rows, endpoint, workflow, metadata) as prepared:
            if prepared.workflow == "inline":
                batch = await self.create_inline_batch(prepared.inline_body())
                handle = BatchJobHandle.inline(batch.id, prepared.endpoint, prepared.custom_ids)
            else:
                file = await self.upload_file(prepared.jsonl_file(), filename="batch.jsonl")
                batch = await self.create_batch(
                    input_file_id=file.id, endpoint=prepared.endpoint, metadata=metadata
                )
                handle = BatchJobHandle(batch.id, "file", prepared.endpoint, input_file_id=file.id)
        return AsyncBatchJob(self, handle, custom_ids=prepared.custom_ids, last=batch)

    async def attach(self, job: str | BatchJobHandle, *, workflow: Workflow | None = None) -> AsyncBatchJob:
        """Re-attach a job by batch id or saved handle (see :meth:`BatchClient.attach`)."""
        from ..errors import NotFoundError
        from .job import AsyncBatchJob, BatchJobHandle

        if isinstance(job, BatchJobHandle):
            return AsyncBatchJob(self, job)
        order: list[Workflow] = [workflow] if workflow else ["file", "inline"]
        for position, candidate in enumerate(order):
            try:
                batch = await self.retrieve_batch(job, workflow=candidate)
            except NotFoundError:
                if position == len(order) - 1:
                    raise
                continue
            return AsyncBatchJob(self, BatchJobHandle.of(batch, candidate), last=batch)
        raise AssertionError("unreachable")  # pragma: no cover
