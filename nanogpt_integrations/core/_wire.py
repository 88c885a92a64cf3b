"""The base of every wire model, and lenient number parsing (kept apart from :mod:`.types` so that
modules needing only the base, such as the catalogue, do not build every chat model on import)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["WireModel", "lenient_int"]


class WireModel(BaseModel):
    """Base for wire objects: unknown keys kept, populated by field name or alias."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=(), defer_build=True)


def lenient_int(value: Any) -> int:
    """A token count from whatever an upstream sent: floats and numeric strings coerced, else 0."""
    if type(value) is int:
        return value
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return int(float(str(value)))
    except ValueError:
        return 0
