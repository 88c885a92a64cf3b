"""JSON Schema → a deterministic example value (tool arguments, structured output)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from .prompt import key_phrase, numbers_in, quoted_in

Mode = Literal["tool", "structured"]

_DEFAULT_NUMBER = 3
_MAX_DEPTH = 8
# Meaningful placeholders for well-known property names (structured output and tool fallbacks).
_NAME_HINTS: dict[str, str] = {
    "setup": "Why did the chicken cross the road?",
    "punchline": "To get to the other side!",
    "joke": "Why did the chicken cross the road? To get to the other side!",
}
_FORMAT_EXAMPLES: dict[str, str] = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


class ValueSource:
    """Where example values come from.

    `tool` mode (tool-call arguments): numbers in order from the prompt text, starting at offset `focus`
    (e.g. where the tool is named), then 3; strings from quoted
    text (except quoted names in `skip`, e.g. the schema's own property names), else a key phrase of
    the text. `structured` mode: numbers likewise, strings are placeholders
    (`"example <name>"`, or a hint for names like `setup`).
    """

    def __init__(
        self, text: str = "", mode: Mode = "tool", skip: frozenset[str] = frozenset(), focus: int = 0
    ) -> None:
        self.mode: Mode = mode
        self._numbers: Iterator[int | float] = iter(numbers_in(text[focus:]) + numbers_in(text[:focus]))
        self._quoted: Iterator[str] = iter(q for q in quoted_in(text) if q not in skip)
        self._phrase = key_phrase(text)

    def number(self) -> int | float:
        """The next number of the text, or 3."""
        return next(self._numbers, _DEFAULT_NUMBER)

    def string(self, name: str | None) -> str:
        """A string for a property called `name`."""
        hint = _NAME_HINTS.get((name or "").lower())
        if self.mode == "structured":
            return hint or f"example {name or 'value'}"
        quoted = next(self._quoted, None)
        if quoted is not None:
            return quoted
        if hint is not None:
            return hint
        return self._phrase or f"example {name or 'value'}"


def example_from_schema(schema: Any, source: ValueSource, *, name: str | None = None) -> Any:
    """A value satisfying the common subset of JSON Schema (types, enum/const, $ref, anyOf, required)."""
    root = schema if isinstance(schema, dict) else {}
    return _value(schema, source, name, root, 0)


def _value(schema: Any, source: ValueSource, name: str | None, root: dict[str, Any], depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None if depth > _MAX_DEPTH else source.string(name)
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return _value(_first_non_null(options, root), source, name, root, depth + 1)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged: dict[str, Any] = {}
        for part in all_of:
            if isinstance(part, dict):
                merged.update(_resolve(part, root))
        return _value(merged, source, name, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, source, root, depth)
    if kind == "array":
        return _array(schema, source, name, root, depth)
    if kind == "integer":
        return round(_clamp(source.number(), schema))
    if kind == "number":
        return _clamp(source.number(), schema)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[fmt]
    return source.string(name)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        target: Any = root
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) and part else target
        extra = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**(target if isinstance(target, dict) else {}), **extra}
        seen += 1
    return schema


def _first_non_null(options: list[Any], root: dict[str, Any]) -> Any:
    for option in options:
        if isinstance(option, dict) and _type_of(_resolve(option, root)) != "null":
            return option
    return options[0]


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _object(schema: dict[str, Any], source: ValueSource, root: dict[str, Any], depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = schema.get("required")
    names = [n for n in properties if n in required] if isinstance(required, list) else list(properties)
    return {name: _value(properties[name], source, name, root, depth + 1) for name in names}


def _array(
    schema: dict[str, Any], source: ValueSource, name: str | None, root: dict[str, Any], depth: int
) -> list[Any]:
    min_items = schema.get("minItems")
    count = min_items if isinstance(min_items, int) and min_items > 0 else 0
    if source.mode == "structured":
        count = max(count, 1)
    items = schema.get("items", {})
    return [_value(items, source, name, root, depth + 1) for _ in range(count)]


def _clamp(value: int | float, schema: dict[str, Any]) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, (int, float)) and value < low:
        value = low + (1 if "minimum" not in schema else 0)
    if isinstance(high, (int, float)) and value > high:
        value = high - (1 if "maximum" not in schema else 0)
    return value
