"""The default "brain": deterministic chat replies when no reply is scripted.

Rules, in order:

1. Tool call, when `tools` are present, `tool_choice` is not `"none"` and the last message is a user
   message (not a tool result): the forced tool (`{"type":"function","function":{"name"}}` or a bare
   name); else every tool whose exact name appears in the last user text (in order of appearance; only
   the first when `parallel_tool_calls` is false); else the first tool a significant word of whose name
   appears in the text (`get_weather` ← "weather"); else the first tool when `tool_choice` is
   `required`/`any` or the text asks for a tool ("use the tool", "call"). Arguments come from the
   tool's JSON schema (`schemas.ValueSource`, "tool" mode); ids are `call_<sha256 of content>`.
2. `response_format` `json_schema` → JSON generated from the schema; `json_object` → from a JSON schema
   found in the prompt, else from quoted key names when the text mentions "keys"/"fields", else
   `{"answer": <echo>}`.
3. Last message(s) are tool results → `The result is <content>.` (`The results are a and b.`).
4. A retrieval prompt (context, then a last `Query:` / `Question:` line, as LlamaIndex query engines
   and most RAG templates write it) → the context sentence sharing the most words with the question,
   with its `[n]` when the context is numbered `Source n:` (citation engines).
5. Otherwise `Hello! You said: <last user text> [2 images, 1 file]` (capped at 500 characters).

Reasoning text (`Let me think about this: ...`, plus `reasoning_details`) is added for model ids with
"thinking", "reason", "deepseek-r1", "o3"/"o4", or any `reasoning_effort` other than `none`. `stop`
cuts the text before the first stop string; `max_tokens` cuts it to `max_tokens * 4` characters with
finish reason `length`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .accounting import count_tokens
from .prompt import (
    attachment_counts,
    content_text,
    describe_attachments,
    is_tool_result_message,
    last_user_message,
    messages_of,
    quoted_in,
    trailing_tool_results,
)
from .replies import ChatReply, ToolCallSpec
from .schemas import ValueSource, example_from_schema

_ECHO_LIMIT = 500
_REASONING_MODEL = re.compile(r"thinking|reason|deepseek-r1|(?:^|[/:_-])o[34](?:$|[/:_-])", re.IGNORECASE)
_ASKS_FOR_TOOL = re.compile(
    r"\b(?:use|using|call|calling|invoke|run)\b(?:\W+\w+){0,2}\W+tools?\b|\bcall\b", re.I
)
_GENERIC_NAME_TOKENS = frozenset(
    {"get", "set", "the", "tool", "function", "call", "run", "fetch", "find", "make"}
)
# Words that say nothing about a question's subject (rule 4 matching).
_COMMON_WORDS = frozenset(
    {"the", "and", "for", "are", "was", "what", "when", "where", "which", "who", "why", "how", "does",
     "did", "with", "about", "tell", "this", "that", "from", "into", "information", "context", "answer",
     "query", "question", "given", "provided", "source", "sources", "based", "prior", "knowledge"}
)  # fmt: skip
_KEY_LIST_WORDS = re.compile(r"\b(?:keys?|fields?|properties|attributes)\b", re.IGNORECASE)
_FENCED_JSON = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)


def chat_reply(body: dict[str, Any]) -> ChatReply:
    """Answer a chat completion request deterministically (rules in the module docstring)."""
    messages = messages_of(body)
    last = messages[-1] if messages else {}
    user = last_user_message(messages)
    user_text = content_text(user.get("content")) if user else ""
    reasoning = _reasoning(body, user_text)
    details = [{"type": "reasoning.text", "text": reasoning}] if reasoning else None

    if last.get("role") == "user" and not is_tool_result_message(last):
        calls = _tool_calls(body, user_text)
        if calls:
            if reasoning:
                reasoning = f"{reasoning} I should call {', '.join(call.name for call in calls)}."
                details = [{"type": "reasoning.text", "text": reasoning}]
            return ChatReply(reasoning=reasoning, reasoning_details=details, tool_calls=calls)

    text = _structured_content(body, messages, user_text)
    if text is None:
        results = trailing_tool_results(messages)
        if len(results) == 1:
            text = f"The result is {results[0]}."
        elif results:
            text = f"The results are {', '.join(results[:-1])} and {results[-1]}."
        else:
            text = grounded_answer(user_text) or echo(user)
    text, finish_reason = apply_limits(text, body)
    return ChatReply(
        content=text, reasoning=reasoning, reasoning_details=details, finish_reason=finish_reason
    )


def echo(message: dict[str, Any] | None) -> str:
    """`Hello! You said: <text> [1 image]`."""
    if message is None:
        return "Hello!"
    text = content_text(message.get("content")).strip()
    if len(text) > _ECHO_LIMIT:
        text = text[:_ECHO_LIMIT] + "…"
    attachments = describe_attachments(attachment_counts(message.get("content")))
    said = " ".join(piece for piece in (text, attachments) if piece)
    return f"Hello! You said: {said}" if said else "Hello!"


_QUESTION_LINE = re.compile(
    r"^[ \t]*(?:query|question)[ \t]*:[ \t]*(\S.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_SOURCE_LABEL = re.compile(r"^\s*source\s+(\d+)\s*:\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CONTEXT_LABEL = re.compile(r"^\s*(?:context|sources?|documents?)\s*:\s*", re.IGNORECASE)
_METADATA_LINE = re.compile(r"^\s*[a-z_]{2,24}:\s")  # `title: ...`, `url: ...` node metadata


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _COMMON_WORDS}


def grounded_answer(text: str) -> str | None:
    """Rule 4: answer a retrieval prompt from its own context, else None."""
    questions = list(_QUESTION_LINE.finditer(text))
    if not questions:
        return None
    question = questions[-1]
    start = questions[-2].end() if len(questions) > 1 else 0  # skip a worked example before it
    wanted = _words(question.group(1))
    best: tuple[int, str, str | None] | None = None
    source: str | None = None
    for line in text[start : question.start()].splitlines():
        label = _SOURCE_LABEL.match(line)
        if label:
            source, line = label.group(1), line[label.end() :]
        line = _CONTEXT_LABEL.sub("", line)
        if line.lstrip().lower().startswith("answer:") or _METADATA_LINE.match(line):
            continue
        for sentence in _SENTENCE_END.split(line.strip()):
            score = len(wanted & _words(sentence))
            if score and not sentence.endswith(":") and (best is None or score > best[0]):
                best = (score, sentence, source)
    if best is None:
        return None
    _, sentence, number = best
    if number is None:
        return sentence
    stem, dot = (sentence[:-1], sentence[-1]) if sentence[-1] in ".!?" else (sentence, "")
    return f"{stem} [{number}]{dot}"


def apply_limits(text: str, body: dict[str, Any]) -> tuple[str, str]:
    """Cut `text` at the first `stop` string, then to `max_tokens` * 4 characters."""
    stops = body.get("stop")
    stop_list = [stops] if isinstance(stops, str) else stops if isinstance(stops, list) else []
    positions = [text.find(stop) for stop in stop_list if isinstance(stop, str) and stop and stop in text]
    if positions:
        text = text[: min(positions)]
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and count_tokens(text) > max_tokens:
        return text[: max_tokens * 4], "length"
    return text, "stop"


def wants_reasoning(body: dict[str, Any]) -> bool:
    """Reasoning models (by id) and any `reasoning_effort` other than `none` (ref §4)."""
    reasoning = body.get("reasoning")
    effort = body.get("reasoning_effort")
    if effort is None and isinstance(reasoning, dict):
        effort = reasoning.get("effort")
    if effort == "none":
        return False
    if effort is not None:
        return True
    model = str(body.get("model") or "").replace(":reasoning-exclude", "")
    return bool(_REASONING_MODEL.search(model))


def _reasoning(body: dict[str, Any], user_text: str) -> str | None:
    if not wants_reasoning(body):
        return None
    topic = " ".join(user_text.split())[:80] or "the request"
    stop = "" if topic.endswith((".", "!", "?")) else "."
    return f"Let me think about this: {topic}{stop} The user wants a short, direct answer."


# -- tool calls ---------------------------------------------------------------------------------


def _tool_specs(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, parameters schema) of each tool, in OpenAI (ref §2.5) or Anthropic-like shape."""
    specs: list[tuple[str, dict[str, Any]]] = []
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        nested = tool.get("function")
        function: dict[str, Any] = nested if isinstance(nested, dict) else tool
        name = function.get("name")
        if isinstance(name, str) and name:
            params = function.get("parameters", function.get("input_schema"))
            specs.append((name, params if isinstance(params, dict) else {}))
    return specs


def _forced_name(choice: Any) -> str | None:
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
        if isinstance(choice.get("name"), str):
            return str(choice["name"])
    if isinstance(choice, str) and choice not in ("auto", "none", "required", "any"):
        return choice
    return None


def _name_position(name: str, text: str) -> int:
    match = re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.IGNORECASE)
    return match.start() if match else -1


def _token_match(name: str, text: str) -> bool:
    tokens = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ").lower().split()
    words = set(re.findall(r"\w+", text.lower()))
    return any(len(token) >= 4 and token not in _GENERIC_NAME_TOKENS and token in words for token in tokens)


def _tool_calls(body: dict[str, Any], user_text: str) -> list[ToolCallSpec]:
    specs = _tool_specs(body)
    choice = body.get("tool_choice")
    if not specs or choice == "none":
        return []
    schemas = dict(specs)
    forced = _forced_name(choice)
    if forced is not None:
        chosen = [forced]
    else:
        positions = sorted((pos, name) for name, _ in specs if (pos := _name_position(name, user_text)) >= 0)
        named = [name for _, name in positions]
        if named:
            chosen = named if body.get("parallel_tool_calls") is not False else named[:1]
        elif matched := [name for name, _ in specs if _token_match(name, user_text)]:
            chosen = matched[:1]
        elif choice in ("required", "any") or _ASKS_FOR_TOOL.search(user_text):
            chosen = [specs[0][0]]
        else:
            return []
    calls = []
    for index, name in enumerate(chosen):
        position = max(_name_position(name, user_text), 0)
        schema = schemas.get(name, {})
        properties = schema.get("properties")
        skip = frozenset(properties) if isinstance(properties, dict) else frozenset()
        arguments = example_from_schema(schema, ValueSource(user_text, "tool", skip, focus=position))
        spec = ToolCallSpec(name, arguments if isinstance(arguments, dict) else {})
        calls.append(ToolCallSpec(spec.name, spec.arguments, spec.call_id(index, user_text)))
    return calls


# -- structured output --------------------------------------------------------------------------


def _structured_content(body: dict[str, Any], messages: list[dict[str, Any]], user_text: str) -> str | None:
    """JSON content for `response_format` json_schema / json_object (ref §2.6), else None."""
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        value = example_from_schema(schema or {"type": "object"}, ValueSource(user_text, "structured"))
        return json.dumps(value, ensure_ascii=False)
    if kind == "json_object":
        prompt_text = "\n".join(content_text(message.get("content")) for message in messages)
        return json.dumps(_json_object(prompt_text, user_text), ensure_ascii=False)
    return None


def _json_object(prompt_text: str, user_text: str) -> Any:
    schema = _schema_in_text(prompt_text)
    source = ValueSource(user_text, "structured")
    if schema is not None:
        return example_from_schema(schema, source)
    if _KEY_LIST_WORDS.search(user_text):
        keys = [key for key in quoted_in(user_text) if re.fullmatch(r"\w+", key)]
        if keys:
            return {key: source.string(key) for key in dict.fromkeys(keys)}
    return {"answer": echo({"content": user_text})}


def _schema_in_text(text: str) -> dict[str, Any] | None:
    """A JSON Schema embedded in the prompt (fenced, or the first `{...}` with `properties`)."""
    candidates = [match.group(1) for match in _FENCED_JSON.finditer(text)]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            return value
    start = text.find("{")
    attempts = 0
    while start >= 0 and attempts < 50:
        attempts += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            return value
        start = text.find("{", start + 1)
    return None
