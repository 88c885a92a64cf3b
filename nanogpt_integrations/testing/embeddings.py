"""`POST /api/v1/embeddings` (ref §12): deterministic unit-norm vectors from a hash of the text."""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from typing import Any

from .accounting import count_tokens
from .catalogue import EMBEDDING_MODELS
from .errors import invalid, json_object_body, missing
from .recording import RecordedRequest
from .responses import Response, json_response
from .state import EmulatorState

DEFAULT_DIMENSIONS = 64
MAX_INPUTS = 2048  # ref §12
MAX_DIMENSIONS = 8192


def embed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit-norm vector derived from sha256 of `text`."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}\x00{text}".encode()).digest()
        values.extend(int.from_bytes(digest[i : i + 4], "big") / 2**31 - 1.0 for i in range(0, 32, 4))
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [" ".join(map(str, value))]  # one pre-tokenised input
    if isinstance(value, list) and all(isinstance(v, (str, list)) for v in value):
        return [v if isinstance(v, str) else " ".join(map(str, v)) for v in value]
    raise invalid("input", "input must be a string or an array of strings")


def handle_embeddings(call: RecordedRequest, state: EmulatorState) -> Response:
    """`{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`."""
    body = json_object_body(call.raw_body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise missing("model")
    if model not in EMBEDDING_MODELS and not state.accept_any_model:
        # The error body api-reference/endpoint/embeddings.mdx shows, verbatim.
        invalid_model = {"message": "Invalid model specified", "type": "invalid_request_error"}
        return json_response({"error": {**invalid_model, "param": "model", "code": None}}, 400)
    if "input" not in body:
        raise missing("input")
    texts = _inputs(body["input"])
    if not texts:
        raise invalid("input", "input must not be empty")
    if len(texts) > MAX_INPUTS:
        raise invalid("input", f"input may hold at most {MAX_INPUTS} items")
    dimensions = body.get("dimensions", DEFAULT_DIMENSIONS)
    if (
        not isinstance(dimensions, int)
        or isinstance(dimensions, bool)
        or not 1 <= dimensions <= MAX_DIMENSIONS
    ):
        raise invalid("dimensions", f"dimensions must be an integer between 1 and {MAX_DIMENSIONS}")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise invalid("encoding_format", "encoding_format must be 'float' or 'base64'")
    data = []
    for index, text in enumerate(texts):
        vector = embed(text, dimensions)
        embedding: Any = vector
        if encoding == "base64":
            embedding = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(count_tokens(text) for text in texts)
    # ref §12 response shape
    payload = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return json_response(payload)
