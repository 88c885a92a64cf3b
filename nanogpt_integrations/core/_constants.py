"""Constants that must be importable without httpx (adapters read them at import time)."""

__all__ = ["API_HOST_BASE_URL", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "https://nano-gpt.com/api/v1"

#: The dedicated API host that ``api-reference/endpoint/responses.mdx`` recommends for Responses
#: clients (32 MiB bodies; the website host has a smaller ingress limit) and
#: ``api-reference/endpoint/batches.mdx`` names for the Batch API; used only while the base URL is
#: the default (see ``ClientConfig.api_host_url``).
API_HOST_BASE_URL = "https://api.nano-gpt.com/api/v1"
