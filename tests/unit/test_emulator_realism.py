"""The emulator answers the way NanoGPT's docs say, so tests cannot pass for the wrong reason:
unknown models, usage only when asked, provider discovery and selection, implicit vs explicit
caching, failover and the sticky-provider 503, the documented 402, the default replies and the CLI.
Stdlib HTTP only (no httpx), like tests/unit/test_emulator.py."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from typing import Any

import pytest

from nanogpt_integrations.testing import ChatReply, Fault, NanoGPTEmulator
from nanogpt_integrations.testing.__main__ import DEFAULT_PORT, build_parser, env_lines

pytest_plugins = ["nanogpt_integrations.testing.pytest_plugin"]

KEY = "sk-nano-test"
LONG = "You answer questions about the attached manual. " * 100  # ~1,200 tokens: over the implicit minimum


def call(
    emu: NanoGPTEmulator,
    path: str,
    body: Any = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    key: str | None = KEY,
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
        response = conn.getresponse()
        raw = response.read()
        text = raw.decode()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text
    finally:
        conn.close()


def chat(emu: NanoGPTEmulator, model: str = "openai/gpt-4o-mini", **body: Any) -> tuple[int, Any]:
    headers = body.pop("headers", None)
    body.setdefault("messages", [{"role": "user", "content": "Hello"}])
    return call(emu, "/api/v1/chat/completions", {"model": model, **body}, headers=headers)


def usage(reply: dict[str, Any]) -> dict[str, Any]:
    assert "usage" in reply, reply
    return dict(reply["usage"])


# -- unknown models ------------------------------------------------------------------------------------


def test_unknown_model_is_404_model_not_found(emulator: NanoGPTEmulator) -> None:
    emulator.script(ChatReply(content="kept for the next valid call"))
    status, body = chat(emulator, "openai/gpt-4o-mnii")
    assert status == 404
    assert body == {
        "error": {
            "message": "Model 'openai/gpt-4o-mnii' not found. GET /api/v1/models lists the available models.",
            "type": "not_found_error",
            "code": "model_not_found",
            "param": "model",
        }
    }
    assert chat(emulator)[1]["choices"][0]["message"]["content"] == "kept for the next valid call"


@pytest.mark.parametrize(
    "model",
    [
        "openai/gpt-4o-mini:online/linkup-deep:reasoning-exclude:memory-30",
        "OpenAI/GPT-4o-mini:redacted",  # ids and suffixes are matched case-insensitively
        "zai-org/glm-4.6:thinking",  # a :thinking variant that exists
        "kimi-k2.6",  # an alias (provider-selection.mdx)
        "moonshotai/kimi-k2.6:thinking:caching",
        "zai-org/glm-5:cerebras",  # a provider suffix
        "claude-sonnet-4-5-20250929",
        "gpt-4.1-mini",  # bare OpenAI ids, as in the docs' examples (endpoint/batches.mdx)
    ],
)
def test_documented_suffixes_and_aliases_are_served(emulator: NanoGPTEmulator, model: str) -> None:
    assert chat(emulator, model)[0] == 200


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini:bogus", "zai-org/glm-5:thinking", "m", "gpt-4o-mnii"])
def test_undocumented_suffixes_and_ids_are_unknown(emulator: NanoGPTEmulator, model: str) -> None:
    status, body = chat(emulator, model)
    assert (status, body["error"]["code"]) == (404, "model_not_found")


def test_every_model_endpoint_checks_the_id(emulator: NanoGPTEmulator) -> None:
    status, body = call(emulator, "/api/v1/completions", {"model": "acme/x", "prompt": "Hi"})
    assert (status, body["error"]["code"]) == (404, "model_not_found")
    status, body = call(emulator, "/api/v1/responses", {"model": "acme/x", "input": "Hi"})
    assert (status, body["error"]["code"]) == (404, "model_not_found")
    status, body = call(emulator, "/api/talk-to-gpt", {"model": "acme/x", "prompt": "Hi"})
    assert status == 404 and body["status"] == 404  # the legacy string envelope
    status, body = call(emulator, "/api/v1/embeddings", {"model": "acme/embed", "input": "Hi"})
    # the body api-reference/endpoint/embeddings.mdx shows, verbatim
    assert (status, body) == (
        400,
        {
            "error": {
                "message": "Invalid model specified",
                "type": "invalid_request_error",
                "param": "model",
                "code": None,
            }
        },
    )


def test_accept_any_model_flag_and_its_reset(emulator: NanoGPTEmulator) -> None:
    emulator.accept_any_model = True
    assert chat(emulator, "acme/offline-model:speed")[0] == 200
    assert call(emulator, "/api/v1/embeddings", {"model": "acme/embed", "input": "x"})[0] == 200
    emulator.clear()
    assert emulator.accept_any_model is False
    assert chat(emulator, "acme/offline-model")[0] == 404
    with NanoGPTEmulator(accept_any_model=True) as permissive:
        assert chat(permissive, "acme/offline-model")[0] == 200
        permissive.clear()
        assert permissive.accept_any_model is True


# -- usage only when asked (api-reference/endpoint/chat-completion.mdx) ----------------------------------


def test_usage_only_when_asked(emulator: NanoGPTEmulator) -> None:
    status, plain = chat(emulator)
    assert status == 200 and "usage" not in plain
    assert plain["x_nanogpt_pricing"]["inputTokens"] > 0  # the pricing object is always there
    assert usage(chat(emulator, include_usage=True)[1])["total_tokens"] > 0
    assert "usage" not in chat(emulator, stream_options={"include_usage": True})[1], "a stream-only option"
    helper = chat(emulator, "anthropic/claude-sonnet-4.5", prompt_caching={"enabled": True})[1]
    assert usage(helper)["prompt_tokens"] > 0  # prompt-caching helpers force usage on


def sse(emu: NanoGPTEmulator, **body: Any) -> list[dict[str, Any]]:
    status, text = chat(emu, stream=True, **body)
    assert status == 200
    frames = [line[len("data: ") :] for line in text.split("\n\n") if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    return [json.loads(frame) for frame in frames[:-1]]


def test_stream_usage_only_with_stream_options(emulator: NanoGPTEmulator) -> None:
    assert all("usage" not in frame for frame in sse(emulator))
    assert all("usage" not in frame for frame in sse(emulator, include_usage=True))
    assert "usage" in sse(emulator, stream_options={"include_usage": True})[-1]


# -- provider discovery and selection (miscellaneous/provider-selection.mdx) -----------------------------


def test_provider_discovery(emulator: NanoGPTEmulator) -> None:
    status, body = call(emulator, "/api/models/moonshotai%2Fkimi-k2.6/providers", method="GET", key=None)
    assert status == 200
    assert body["canonicalId"] == "moonshotai/kimi-k2.6" and body["supportsProviderSelection"] is True
    assert body["defaultPrice"] == {"inputPer1kTokens": 0.0005, "outputPer1kTokens": 0.0026}
    assert [p["provider"] for p in body["providers"]] == ["moonshot", "novita", "cloudflare", "baseten"]
    assert all(p["available"] is True and set(p["pricing"]) == {"inputPer1kTokens", "outputPer1kTokens"}
               for p in body["providers"])  # fmt: skip
    assert (
        call(emulator, "/api/models/kimi-k2.6/providers", method="GET")[1]["canonicalId"]
        == body["canonicalId"]
    )
    claude = call(emulator, "/api/models/anthropic%2Fclaude-sonnet-4.5/providers", method="GET")[1]
    assert (claude["supportsProviderSelection"], claude["providers"]) == (False, [])
    # The unencoded slash is another path (the docs warn against it), and /api/v1 is not the root.
    assert call(emulator, "/api/models/moonshotai/kimi-k2.6/providers", method="GET")[0] == 404
    assert call(emulator, "/api/v1/models/moonshotai%2Fkimi-k2.6/providers", method="GET")[0] == 404
    assert call(emulator, "/api/models/acme%2Fnope/providers", method="GET") == (
        400,
        {"error": 400, "message": "Invalid model ID: acme/nope"},  # the OpenAPI `Error` schema
    )
    emulator.fail_provider("novita")
    rows = call(emulator, "/api/models/moonshotai%2Fkimi-k2.6/providers", method="GET")[1]["providers"]
    assert [p["available"] for p in rows] == [True, False, True, True]


@pytest.mark.parametrize(
    "suffix", ["speed", "fast", "price", "cheap", "floor", "throughput", "latency", "tools"]
)
def test_routing_suffix_needs_provider_selection(emulator: NanoGPTEmulator, suffix: str) -> None:
    status, body = chat(emulator, f"openai/gpt-4o-mini:{suffix}")
    assert status == 400
    error = body["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "model")
    assert "code" not in error  # the docs name no code for it
    assert "provider selection" in error["message"]
    assert chat(emulator, f"moonshotai/kimi-k2-instruct:{suffix}")[0] == 200


def test_provider_only_unknown_is_the_documented_400(emulator: NanoGPTEmulator) -> None:
    status, body = chat(emulator, "moonshotai/kimi-k2.6", provider={"only": ["not-a-provider"]})
    assert (status, body) == (
        400,
        {
            "error": {
                "message": "Unknown or unavailable provider id in provider.only: not-a-provider",
                "type": "invalid_request_error",
                "code": "provider_unknown_provider",
                "param": "provider.only",
            }
        },
    )
    status, body = chat(emulator, provider={"only": ["openai"]})  # no provider selection at all
    assert (status, body["error"]["code"]) == (400, "provider_unknown_provider")
    status, body = chat(emulator, "moonshotai/kimi-k2.6", provider={"only": "novita"})
    assert (status, body["error"]["param"]) == (400, "provider.only")
    status, body = chat(emulator, "moonshotai/kimi-k2.6", headers={"X-Provider": "acme"})
    assert (status, body["error"]["code"], body["error"]["param"]) == (
        400,
        "provider_unknown_provider",
        "X-Provider",
    )
    assert chat(emulator, "openai/gpt-4o-mini:cerebras")[0] == 400  # a provider suffix without selection


def test_the_serving_provider_follows_the_request(emulator: NanoGPTEmulator) -> None:
    kimi = "moonshotai/kimi-k2.6"
    assert chat(emulator, kimi)[0] == 200 and emulator.last_provider == "moonshot"
    chat(emulator, kimi, headers={"x-provider": "NOVITA"})
    assert emulator.last_provider == "novita"  # X-Provider is case-insensitive
    chat(emulator, kimi, provider="baseten")
    assert emulator.last_provider == "baseten"
    chat(emulator, f"{kimi}:cloudflare")
    assert emulator.last_provider == "cloudflare"
    chat(emulator, kimi, provider={"order": ["unknown", "cloudflare", "novita"]})
    assert emulator.last_provider == "cloudflare"  # unknown ids in order are ignored
    chat(emulator, kimi, provider={"ignore": ["moonshot"]})
    assert emulator.last_provider == "novita"
    chat(emulator, f"{kimi}:price")
    assert emulator.last_provider == "novita"  # the cheapest input + output price
    chat(emulator, "openai/gpt-4o-mini", headers={"X-Provider": "novita"})
    assert emulator.last_provider == "openai", "ignored on a model without provider selection"


def test_failover_and_all_fallbacks_failed(emulator: NanoGPTEmulator) -> None:
    kimi = "moonshotai/kimi-k2.6"
    emulator.fail_provider("moonshot", model=kimi)
    assert chat(emulator, kimi)[0] == 200 and emulator.last_provider == "novita"
    status, body = chat(emulator, kimi, provider={"order": ["moonshot"], "allow_fallbacks": False})
    assert (status, body["error"]["code"]) == (503, "all_fallbacks_failed")
    status, body = chat(emulator, kimi, provider={"only": ["moonshot"]})
    assert (status, body["error"]["type"]) == (503, "service_unavailable")
    emulator.restore_provider("moonshot", model=kimi)
    assert chat(emulator, kimi)[0] == 200 and emulator.last_provider == "moonshot"


# -- caching (miscellaneous/prompt-caching.mdx) -------------------------------------------------------------


def conversation(question: str, marker: bool = False) -> list[dict[str, Any]]:
    system: Any = LONG
    if marker:
        system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def test_implicit_caching_for_openai_without_any_flag(emulator: NanoGPTEmulator) -> None:
    first = usage(chat(emulator, messages=conversation("one?"), include_usage=True)[1])
    second_reply = chat(emulator, messages=conversation("two?"), include_usage=True)[1]
    second = usage(second_reply)
    assert (first["cache_read_input_tokens"], first["cache_creation_input_tokens"]) == (0, 0)
    assert second["cache_read_input_tokens"] > 1000 and second["cache_creation_input_tokens"] == 0
    assert second["prompt_tokens_details"]["cached_tokens"] == second["cache_read_input_tokens"]
    assert second_reply["x_nanogpt_pricing"]["cacheReadInputTokens"] == second["cache_read_input_tokens"]
    short = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    chat(emulator, messages=short)
    assert usage(chat(emulator, messages=short, include_usage=True)[1])["cache_read_input_tokens"] == 0


def test_markers_do_not_make_an_implicit_model_write_explicitly(emulator: NanoGPTEmulator) -> None:
    first = usage(chat(emulator, messages=conversation("one?", marker=True), include_usage=True)[1])
    assert first["cache_creation_input_tokens"] == 0  # implicit caches report reads only


def test_claude_caches_only_what_is_marked(emulator: NanoGPTEmulator) -> None:
    claude = "anthropic/claude-sonnet-4.5"
    chat(emulator, claude, messages=conversation("one?"))
    unmarked = usage(chat(emulator, claude, messages=conversation("two?"), include_usage=True)[1])
    assert unmarked["cache_read_input_tokens"] == 0, "no implicit caching for Claude"
    first = usage(chat(emulator, claude, messages=conversation("one?", marker=True))[1])  # usage forced
    second = usage(chat(emulator, claude, messages=conversation("two?", marker=True))[1])
    assert first["cache_creation_input_tokens"] > 1000 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]


def test_no_caching_on_tee_models(emulator: NanoGPTEmulator) -> None:
    tee = "TEE/llama-3.3-70b-instruct"
    chat(emulator, tee, messages=conversation("one?"))
    again = usage(chat(emulator, tee, messages=conversation("two?", marker=True))[1])
    assert again["cache_read_input_tokens"] == again["cache_creation_input_tokens"] == 0


def test_sticky_prompt_cache_blocks_failover_with_the_documented_503(emulator: NanoGPTEmulator) -> None:
    claude = "anthropic/claude-sonnet-4.5"
    sticky = {"enabled": True, "stickyProvider": True}
    relaxed = {"enabled": True}
    written = usage(chat(emulator, claude, messages=conversation("one?"), prompt_caching=sticky)[1])
    assert written["cache_creation_input_tokens"] > 0 and emulator.last_provider == "anthropic"
    emulator.fail_provider("anthropic")
    status, body = chat(emulator, claude, messages=conversation("two?"), prompt_caching=sticky)
    assert status == 503
    error = body["error"]
    assert (error["code"], error["type"], error["status"]) == (
        "fallback_blocked_for_cache_consistency",
        "service_unavailable",
        503,
    )
    # Without stickyProvider the request fails over, and the other provider has no cache yet.
    moved = usage(chat(emulator, claude, messages=conversation("two?"), prompt_caching=relaxed)[1])
    assert emulator.last_provider == "amazon-bedrock"
    assert (moved["cache_read_input_tokens"], moved["cache_creation_input_tokens"]) == (
        0,
        written["cache_creation_input_tokens"],
    )
    emulator.restore_provider("anthropic")
    back = usage(chat(emulator, claude, messages=conversation("three?"), prompt_caching=sticky)[1])
    assert back["cache_read_input_tokens"] == written["cache_creation_input_tokens"]


def test_cache_capable_routing_is_sticky_per_key(emulator: NanoGPTEmulator) -> None:
    kimi = "moonshotai/kimi-k2-instruct"
    chat(emulator, kimi, caching=True, provider={"order": ["novita"]})
    assert emulator.last_provider == "novita"
    chat(emulator, kimi, caching=True)
    assert emulator.last_provider == "novita", "the provider recorded for this key is preferred"
    chat(emulator, kimi, caching=True, stickyprovider=False)
    assert emulator.last_provider == "moonshot"
    chat(emulator, f"{kimi}:caching", provider={"order": ["together"]})
    assert emulator.last_provider != "together", "together keeps no prompt cache"
    emulator.fail_provider("moonshot")
    emulator.fail_provider("novita")
    status, body = chat(emulator, kimi, caching=True)
    assert (status, body["error"]["code"]) == (503, "all_fallbacks_failed")
    assert "cache-capable" in body["error"]["message"]


# -- the documented 402 (miscellaneous/error-handling.mdx) ----------------------------------------------------


def test_insufficient_balance_is_the_documented_body(emulator: NanoGPTEmulator) -> None:
    emulator.inject(Fault.http_status(402))
    assert chat(emulator) == (
        402,
        {"error": "Insufficient balance", "requiredBalance": 0.0035, "status": 402},
    )
    emulator.inject(Fault.insufficient_balance(required_balance=0.25))
    assert chat(emulator)[1]["requiredBalance"] == 0.25
    emulator.inject(Fault.http_status(402, code="webSearch_balance_required"))
    assert chat(emulator)[1]["error"]["code"] == "webSearch_balance_required"


# -- default replies read naturally ---------------------------------------------------------------------


def structured(emu: NanoGPTEmulator, text: str, properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    fmt = {"type": "json_schema", "json_schema": {"name": "Out", "schema": schema}}
    reply = chat(emu, messages=[{"role": "user", "content": text}], response_format=fmt)[1]
    return dict(json.loads(reply["choices"][0]["message"]["content"]))


def test_structured_fields_get_plausible_distinct_values(emulator: NanoGPTEmulator) -> None:
    city = {"name": {"type": "string"}, "country": {"type": "string"}}
    assert structured(emulator, "Tell me about Lisbon.", city) == {"name": "Lisbon", "country": "Portugal"}
    assert structured(emulator, "Tell me about San Francisco.", {**city, "summary": {"type": "string"}}) == {
        "name": "San Francisco",
        "country": "United States",
        "summary": "A short summary about San Francisco.",
    }
    values = structured(
        emulator, "Describe Atlantis", {"name": {"type": "string"}, "ruler": {"type": "string"}}
    )
    assert values == {"name": "Atlantis", "ruler": "example ruler"}
    tool = {
        "type": "function",
        "function": {"name": "City", "parameters": {"type": "object", "properties": city}},
    }
    reply = chat(emulator, messages=[{"role": "user", "content": "Tell me about Oslo."}], tools=[tool],
                 tool_choice={"type": "function", "function": {"name": "City"}})[1]  # fmt: skip
    arguments = json.loads(reply["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"name": "Oslo", "country": "Norway"}


def test_retrieval_prompts_are_answered_from_their_context(emulator: NanoGPTEmulator) -> None:
    prompt = (
        "Context information is below.\n---------------------\nThe Eiffel Tower is 330 metres tall. "
        "It opened in 1889.\n---------------------\nGiven the context information and not prior knowledge, "
        "answer the query.\nQuery: How tall is the Eiffel Tower?\nAnswer: "
    )
    reply = chat(emulator, messages=[{"role": "user", "content": prompt}])[1]
    assert reply["choices"][0]["message"]["content"] == "The Eiffel Tower is 330 metres tall."
    cited = "Source 1:\nCats purr.\nSource 2:\nDogs bark loudly at night.\nQuestion: When do dogs bark?"
    reply = chat(emulator, messages=[{"role": "user", "content": cited}])[1]
    assert reply["choices"][0]["message"]["content"] == "Dogs bark loudly at night [2]."
    plain = chat(emulator, messages=[{"role": "user", "content": "Question: unrelated words here"}])[1]
    assert plain["choices"][0]["message"]["content"].startswith("Hello! You said:")


# -- the command line ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanogpt_integrations.testing", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_fixed_default_port_and_env_lines() -> None:
    assert build_parser().parse_args([]).port == DEFAULT_PORT == 8765
    assert env_lines("http://127.0.0.1:8765/api/v1", None) == [
        "export NANOGPT_BASE_URL=http://127.0.0.1:8765/api/v1",
        "export NANOGPT_API_KEY=emulator-key",
    ]
    assert env_lines("http://h/api/v1", "k", "powershell") == [
        '$env:NANOGPT_BASE_URL = "http://h/api/v1"',
        '$env:NANOGPT_API_KEY = "k"',
    ]


def test_print_env_for_a_running_emulator_and_when_none_runs() -> None:
    port = free_port()
    with NanoGPTEmulator(port=port):
        done = run_cli("--print-env", "--port", str(port))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"export NANOGPT_BASE_URL=http://127.0.0.1:{port}/api/v1",
        "export NANOGPT_API_KEY=emulator-key",
    ]
    missing = run_cli("--print-env", "--port", str(port), "--wait", "0")
    assert missing.returncode == 1 and missing.stdout == ""
    assert f"no emulator answers at http://127.0.0.1:{port}/api/v1" in missing.stderr


def test_cli_flags_reach_the_server_and_a_busy_port_is_explained() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nanogpt_integrations.testing", "--port", str(port), "--accept-any-model"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().strip() == f"http://127.0.0.1:{port}/api/v1"
        hint = process.stderr.readline() + process.stderr.readline() + process.stderr.readline()
        assert f"export NANOGPT_BASE_URL=http://127.0.0.1:{port}/api/v1" in hint
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        body = json.dumps({"model": "acme/anything", "messages": [{"role": "user", "content": "Hi"}]})
        conn.request("POST", "/api/v1/chat/completions", body, {"Authorization": "Bearer k"})
        assert conn.getresponse().status == 200
        conn.close()
        busy = run_cli("--port", str(port))
        assert busy.returncode == 2 and f"port {port} on 127.0.0.1 is in use" in busy.stderr
    finally:
        process.terminate()
        process.wait(timeout=5)
