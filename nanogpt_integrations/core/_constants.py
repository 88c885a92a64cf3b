"""Constants that must be importable without httpx (adapters read them at import time)."""

__all__ = ["DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "https://nano-gpt.com/api/v1"
