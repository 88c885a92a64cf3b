"""Our SSE decoder against httpx-sse on the same bytes (the decision recorded in issue 2).

Both decoders get the same 1000-event chat stream, split into 4 KiB network-sized chunks. httpx-sse
works on lines, so its contender includes httpx's own text and line decoders, which is what
``httpx_sse.EventSource.iter_sse`` runs in practice.
"""

from __future__ import annotations

import json

from nanogpt_integrations.core.sse import SSEDecoder

from ._harness import Result, Table, interleaved, median_time


def sample_stream(events: int = 1000) -> list[bytes]:
    frames = []
    for i in range(events):
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "model": "openai/gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": f"token{i} "}, "finish_reason": None}],
        }
        frames.append(f"data: {json.dumps(chunk)}\n\n")
    frames.append("data: [DONE]\n\n")
    blob = "".join(frames).encode()
    return [blob[i : i + 4096] for i in range(0, len(blob), 4096)]


def run(table: Table) -> None:
    from httpx._decoders import LineDecoder, TextDecoder
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder

    chunks = sample_stream()

    def ours() -> int:
        decoder = SSEDecoder()
        count = 0
        for chunk in chunks:
            count += len(decoder.feed(chunk))
        return count + len(decoder.flush())

    def theirs() -> int:
        text, lines, sse = TextDecoder(), LineDecoder(), HttpxSSEDecoder()
        count = 0
        for chunk in chunks:
            for line in lines.decode(text.decode(chunk)):
                if sse.decode(line) is not None:
                    count += 1
        for line in lines.flush():
            if sse.decode(line) is not None:
                count += 1
        return count

    assert ours() == theirs() == 1001, (ours(), theirs())
    best = interleaved(
        {
            "httpx-sse": lambda: median_time(theirs, number=20, rounds=7) / 1001,
            "ours": lambda: median_time(ours, number=20, rounds=7) / 1001,
        }
    )
    table.add(
        Result("SSE decode, per event", "httpx-sse (+ httpx line decoder)", best["httpx-sse"], "s", None)
    )
    table.add(
        Result(
            "SSE decode, per event", "nanogpt_integrations SSEDecoder", best["ours"], "s", best["httpx-sse"]
        )
    )
