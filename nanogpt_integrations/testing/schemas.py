"""JSON Schema → a deterministic example value (tool arguments, structured output)."""

from __future__ import annotations

import re
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


# Property names that name the subject of the request: they get its key phrase ("Lisbon").
_SUBJECT_NAMES = frozenset(
    {"name", "city", "title", "topic", "subject", "location", "place", "query", "q", "term", "keyword",
     "search", "question", "input", "text", "prompt", "entity", "item", "destination"}
)  # fmt: skip
# Property names that want a sentence about the subject.
_SENTENCE_NAMES = frozenset(
    {"description", "summary", "explanation", "answer", "reason", "reasoning", "details", "content",
     "body", "message", "comment", "notes", "overview", "response", "result"}
)  # fmt: skip
# A tiny gazetteer so that city records read naturally: city → (country, continent, is capital).
_CITIES: dict[str, tuple[str, str, bool]] = {
    "lisbon": ("Portugal", "Europe", True), "porto": ("Portugal", "Europe", False),
    "paris": ("France", "Europe", True), "london": ("United Kingdom", "Europe", True),
    "berlin": ("Germany", "Europe", True), "madrid": ("Spain", "Europe", True),
    "rome": ("Italy", "Europe", True), "oslo": ("Norway", "Europe", True),
    "amsterdam": ("Netherlands", "Europe", True), "vienna": ("Austria", "Europe", True),
    "dublin": ("Ireland", "Europe", True), "stockholm": ("Sweden", "Europe", True),
    "athens": ("Greece", "Europe", True), "zurich": ("Switzerland", "Europe", False),
    "tokyo": ("Japan", "Asia", True), "seoul": ("South Korea", "Asia", True),
    "beijing": ("China", "Asia", True), "mumbai": ("India", "Asia", False),
    "san francisco": ("United States", "North America", False),
    "new york": ("United States", "North America", False), "toronto": ("Canada", "North America", False),
    "mexico city": ("Mexico", "North America", True), "sydney": ("Australia", "Oceania", False),
    "cairo": ("Egypt", "Africa", True), "nairobi": ("Kenya", "Africa", True),
    "buenos aires": ("Argentina", "South America", True),
}  # fmt: skip
_CAPITALS = {country.lower(): city.title() for city, (country, _, capital) in _CITIES.items() if capital}


def _name_words(name: str | None) -> str:
    """`population_millions` / `populationMillions` → "population millions"."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name or "value").replace("_", " ").replace("-", " ")
    return " ".join(spaced.lower().split()) or "value"


def _fact(subject: str, key: str) -> str | None:
    """What the gazetteer knows about `subject` for a property called `key`."""
    city = _CITIES.get(subject.lower())
    if city is not None and key in ("country", "continent", "region"):
        return city[0] if key == "country" else city[1]
    if key == "capital":
        return _CAPITALS.get(subject.lower())
    return None


class ValueSource:
    """Where example values come from (deterministic; the same request gives the same values).

    Numbers: in order from the prompt text, starting at offset `focus` (e.g. where the tool is
    named), then 3. Strings, per property name: in `tool` mode the next quoted string of the text
    (except quoted names in `skip`, e.g. the schema's own property names) comes first; then a hint
    for names like `setup`/`punchline`; a subject name (`name`, `city`, `title`, `query`, ...) gets
    the text's key phrase ("Lisbon"); `country`/`continent`/`capital` come from a small gazetteer of
    well-known cities ("Portugal"); description-like names get a sentence ("A short summary about
    Lisbon."); the first other string gets the key phrase if no field took it yet; the rest are
    `"example <name>"`. So `City(name, country)` for "Tell me about Lisbon." is Lisbon / Portugal.
    """

    def __init__(
        self, text: str = "", mode: Mode = "tool", skip: frozenset[str] = frozenset(), focus: int = 0
    ) -> None:
        self.mode: Mode = mode
        self._numbers: Iterator[int | float] = iter(numbers_in(text[focus:]) + numbers_in(text[:focus]))
        self._quoted: Iterator[str] = iter(q for q in quoted_in(text) if q not in skip)
        self._phrase = key_phrase(text)
        self._phrase_used = False

    def number(self) -> int | float:
        """The next number of the text, or 3."""
        return next(self._numbers, _DEFAULT_NUMBER)

    def string(self, name: str | None) -> str:
        """A string for a property called `name` (rules in the class docstring)."""
        key = (name or "").lower()
        if self.mode == "tool":
            quoted = next(self._quoted, None)
            if quoted is not None:
                return quoted
        hint = _NAME_HINTS.get(key)
        if hint is not None:
            return hint
        words = _name_words(name)
        subject = self._phrase
        last = words.split()[-1]
        if subject and (key in _SUBJECT_NAMES or last in _SUBJECT_NAMES):
            self._phrase_used = True
            return subject
        fact = _fact(subject, last) if subject else None
        if fact is not None:
            return fact
        if key in _SENTENCE_NAMES or last in _SENTENCE_NAMES:
            return f"A short {words} about {subject}." if subject else f"A short {words}."
        if subject and not self._phrase_used:
            self._phrase_used = True
            return subject
        return f"example {words}"


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
