"""The base of every wire model (kept apart from :mod:`.types` so that modules needing only the base,
such as the catalogue, do not build every chat model on import)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["WireModel"]


class WireModel(BaseModel):
    """Base for wire objects: unknown keys kept, populated by field name or alias."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=(), defer_build=True)
