"""NanoGPT catalogue entries → LangChain ``ModelProfile`` (pure), plus a process-wide catalogue memo.

Constructing a chat model never does network I/O: the profile is filled from a catalogue that was
already fetched in this process (``ChatNanoGPT.load_profile()`` fetches one), else left ``None``.
"""

from __future__ import annotations

import threading

from langchain_core.language_models import ModelProfile

from ..core import ModelCatalogue, ModelInfo

__all__ = ["known_catalogue", "profile_from_info", "remember_catalogue"]

_catalogues: dict[str, ModelCatalogue] = {}
_lock = threading.Lock()


def profile_from_info(info: ModelInfo) -> ModelProfile:
    """What the catalogue says about a model, in LangChain's profile vocabulary."""
    caps = info.capabilities
    modalities = set(info.input_modalities)
    vision = caps.vision or "image" in modalities
    profile = ModelProfile(
        name=info.name or info.id,
        text_inputs=True,
        text_outputs=True,
        image_inputs=vision,
        image_url_inputs=vision,
        image_tool_message=vision,
        pdf_inputs=caps.pdf_upload or "file" in modalities,
        audio_inputs=caps.audio_input or "audio" in modalities,
        video_inputs=caps.video_input or "video" in modalities,
        reasoning_output=caps.reasoning,
        tool_calling=caps.tool_calling,
        tool_choice=caps.tool_calling,
        tool_call_streaming=caps.tool_calling,
        structured_output=caps.structured_output,
    )
    if info.context_length:
        profile["max_input_tokens"] = info.context_length
    if info.max_output_tokens:
        profile["max_output_tokens"] = info.max_output_tokens
    if info.reasoning_efforts:
        profile["reasoning_effort_levels"] = list(info.reasoning_efforts)
    return profile


def remember_catalogue(base_url: str, catalogue: ModelCatalogue) -> None:
    with _lock:
        _catalogues[base_url] = catalogue


def known_catalogue(base_url: str) -> ModelCatalogue | None:
    """The catalogue fetched earlier for ``base_url`` if it is still fresh, else None."""
    with _lock:
        catalogue = _catalogues.get(base_url)
    return catalogue if catalogue is not None and catalogue.is_fresh() else None
