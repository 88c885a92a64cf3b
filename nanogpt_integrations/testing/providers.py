"""`GET /api/models/{canonicalId}/providers`: provider discovery
(api-reference/miscellaneous/provider-selection.mdx, openapi.json `ModelProvidersResponse`).

Served only at the site's `/api/models/...` path (not under `/api/v1`), with the id's `/` encoded as
`%2F`; the unencoded form has an extra path segment and is an unknown route (404), as the docs warn.
An unknown id is 400 in the OpenAPI `Error` shape (`{"error": 400, "message": ...}`). Prices are USD
per 1K tokens; `available` is false for a provider the test has failed
(:meth:`NanoGPTEmulator.fail_provider`). Models without provider selection answer
`supportsProviderSelection: false` and no providers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .catalogue import ModelSpec, Route, lookup
from .errors import ApiError
from .recording import RecordedRequest
from .responses import Response, json_response

if TYPE_CHECKING:
    from .state import EmulatorState

PREFIX = "/api/models/"
SUFFIX = "/providers"


def is_providers_path(path: str) -> bool:
    """`/api/models/<one segment>/providers`."""
    if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
        return False
    middle = path[len(PREFIX) : -len(SUFFIX)]
    return bool(middle) and "/" not in middle


def _price(route: Route) -> dict[str, float]:
    return {"inputPer1kTokens": route.input_per_1k, "outputPer1kTokens": route.output_per_1k}


def providers_payload(spec: ModelSpec, state: EmulatorState) -> dict[str, Any]:
    """The discovery answer for one model."""
    default = spec.routes[0]
    rows = [
        {
            "provider": route.provider,
            "available": not state.routes.is_down(route.provider, spec.id),
            "pricing": _price(route),
        }
        for route in spec.routes
        if spec.provider_selection and route.selectable
    ]
    return {
        "canonicalId": spec.id,
        "displayName": spec.display_name,
        "supportsProviderSelection": spec.provider_selection,
        "defaultPrice": _price(default),
        "providers": rows,
    }


def handle_providers(call: RecordedRequest, state: EmulatorState) -> Response:
    """Provider discovery for the model named (URL-encoded) in the path."""
    model = unquote(call.path[len(PREFIX) : -len(SUFFIX)])
    spec = lookup(model)
    if spec is None:
        raise ApiError(400, f"Invalid model ID: {model}", envelope="openapi")
    return json_response(providers_payload(spec, state))
