"""NanoGPT's Batch API (``api-reference/endpoint/batches.mdx``): half-price, asynchronous jobs.

```python
from nanogpt_integrations.core.batch import BatchClient, BatchRequest

with BatchClient(api_key="...") as batches:
    job = batches.submit(
        BatchRequest({"model": "gpt-4.1-mini", "messages": [...], "max_tokens": 64}, custom_id=f"t-{i}")
        for i in range(200_000)
    )
    saved = job.handle.to_json()          # re-attach later: batches.attach(BatchJobHandle.from_json(saved))
    job.wait()
    for row in job.results():             # input order
        print(row.custom_id, row.turn().content if row.ok else row.error)
```
"""

from .api import AsyncBatchClient, BatchClient
from .errors import (
    BatchFailedError,
    BatchNotReadyError,
    BatchRowError,
    BatchTimeoutError,
    BatchValidationError,
)
from .job import DEFAULT_WAIT_TIMEOUT, AsyncBatchJob, BatchJob, BatchJobHandle
from .mapped import BatchTotals, MappedBatchJob, RowOutcome, wire_rows
from .models import (
    CHAT_ENDPOINT,
    ENDPOINTS,
    RESPONSES_ENDPOINT,
    STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchErrorItem,
    BatchList,
    BatchOutputLine,
    BatchRequestCounts,
    FileObject,
    OutputResponse,
    Workflow,
)
from .prepare import PreparedBatch, WorkflowChoice, prepare_batch
from .results import BatchReply, BatchResult
from .rows import BatchRequest, RowInput
from .validation import (
    INLINE_MAX_BYTES,
    INLINE_MAX_OUTPUT_TOKENS,
    INLINE_MAX_ROWS,
    RESPONSES_MIN_OUTPUT_TOKENS,
    RowValidator,
)

__all__ = [
    "CHAT_ENDPOINT",
    "DEFAULT_WAIT_TIMEOUT",
    "ENDPOINTS",
    "INLINE_MAX_BYTES",
    "INLINE_MAX_OUTPUT_TOKENS",
    "INLINE_MAX_ROWS",
    "RESPONSES_ENDPOINT",
    "RESPONSES_MIN_OUTPUT_TOKENS",
    "STATUSES",
    "TERMINAL_STATUSES",
    "AsyncBatchClient",
    "AsyncBatchJob",
    "Batch",
    "BatchClient",
    "BatchErrorItem",
    "BatchFailedError",
    "BatchJob",
    "BatchJobHandle",
    "BatchList",
    "BatchNotReadyError",
    "BatchOutputLine",
    "BatchReply",
    "BatchRequest",
    "BatchRequestCounts",
    "BatchResult",
    "BatchRowError",
    "BatchTimeoutError",
    "BatchTotals",
    "BatchValidationError",
    "FileObject",
    "MappedBatchJob",
    "OutputResponse",
    "PreparedBatch",
    "RowInput",
    "RowOutcome",
    "RowValidator",
    "Workflow",
    "WorkflowChoice",
    "prepare_batch",
    "wire_rows",
]
