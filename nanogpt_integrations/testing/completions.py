"""Legacy text endpoints: `POST /api/v1/completions` (ref §9.1) and `POST /api/talk-to-gpt` (ref §9.2)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from .accounting import Usage, count_tokens
from .brain import apply_limits, chat_reply, echo
from .errors import invalid, json_object_body, missing
from .recording import RecordedRequest
from .responses import DONE_FRAME, Response, StreamResponse, json_response, sse_frame
from .routing import plan_route, resolve_model
from .state import EmulatorState


def handle_completions(call: RecordedRequest, state: EmulatorState) -> Response | StreamResponse:
    """A text completion per prompt, streamed as `choices[].text` deltas when `stream` is true."""
    body = json_object_body(call.raw_body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise missing("model")
    plan_route(call, body, resolve_model(model, state.accept_any_model), state.routes)
    if "prompt" not in body:
        raise missing("prompt")
    prompt = body["prompt"]
    prompts = prompt if isinstance(prompt, list) else [prompt]
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise invalid("prompt", "prompt must be a string or an array of strings")
    results = [apply_limits(echo({"content": p}), body) for p in prompts]
    usage = Usage(
        prompt_tokens=sum(max(count_tokens(p), 1) for p in prompts),
        completion_tokens=sum(count_tokens(text) for text, _ in results),
    )
    base = {
        "id": f"cmpl-{hashlib.sha256(call.raw_body).hexdigest()[:24]}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
    }  # ref §9.1
    if not body.get("stream"):
        choices = [
            {"text": text, "index": index, "logprobs": None, "finish_reason": finish}
            for index, (text, finish) in enumerate(results)
        ]
        return json_response({**base, "choices": choices, "usage": usage.basic_usage()})  # ref §9.1
    text, finish = results[0]
    size = 8
    frames = [
        sse_frame(
            {
                **base,
                "choices": [
                    {"text": text[i : i + size], "index": 0, "logprobs": None, "finish_reason": None}
                ],
            }
        )
        for i in range(0, len(text), size)
    ]  # ref §9.1 choices[].text, framed as ref §2.8
    last: dict[str, Any] = {
        **base,
        "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": finish}],
    }
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        last["usage"] = usage.basic_usage()  # ref §9.1 usage, placed as in ref §2.8
    frames.extend([sse_frame(last), DONE_FRAME])
    return StreamResponse(frames, headers={"Cache-Control": "no-cache"})


def handle_talk_to_gpt(call: RecordedRequest, state: EmulatorState) -> Response:
    """`text/plain`: the answer followed by `<NanoGPT>{cost, inputTokens, outputTokens}</NanoGPT>`."""
    body = json_object_body(call.raw_body, envelope="string")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise missing("model", envelope="string")
    resolve_model(model, state.accept_any_model, envelope="string")
    history = body.get("messages") if isinstance(body.get("messages"), list) else []
    messages = [m for m in history or [] if isinstance(m, dict)]
    prompt = body.get("prompt")
    if isinstance(prompt, str) and prompt:
        messages.append({"role": "user", "content": prompt})
    reply = chat_reply({"model": model, "messages": messages})
    text = reply.content or ""
    prompt_text = "".join(str(m.get("content") or "") for m in messages)
    usage = Usage(prompt_tokens=max(count_tokens(prompt_text), 1), completion_tokens=count_tokens(text))
    trailer = {
        "cost": usage.cost(),
        "inputTokens": usage.prompt_tokens,
        "outputTokens": usage.completion_tokens,
    }
    payload = f"{text}<NanoGPT>{json.dumps(trailer)}</NanoGPT>"  # ref §9.2
    return Response(200, payload.encode(), "text/plain; charset=utf-8")
