"""The OpenAPI document as API.md has it: one error envelope, and for each operation every status it
can answer, read from its dependencies where they tell (a token → 401, the Temporal client → 503,
a body → 400/413/422, ...) and from `REFUSALS` where only the route's own code knows. Also the 405
answer, which names every method the path takes, not only those of the first route that matched.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import get_client, get_principal, limit_payment_attempts
from api.errors import envelope

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": "Every error of the API, validation included (API.md, Conventions).",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string"},
                "details": {"anyOf": [{"type": "object"}, {"type": "array"}, {"type": "null"}]},
            },
        }
    },
}

DESCRIPTIONS = {
    400: "Malformed body (`malformed_body`)",
    401: "No token, or one that is not valid",
    403: "Authenticated but not allowed",
    404: "Unknown, or not visible to the caller",
    409: "State conflict (`invalid_transition`, `out_of_stock`, `idempotency_key_reused`, ...)",
    413: "Body over `MAX_BODY_BYTES` (`payload_too_large`)",
    422: "Well-formed but invalid (`validation_error`, ...)",
    429: "Rate limited: retry after `Retry-After` seconds",
    503: "A dependency did not answer in time (`engine_unavailable`): try again",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
IDEMPOTENCY_KEY = {
    "name": "idempotency-key",
    "in": "header",
    "required": False,
    "description": "Same caller, key and request within 24 h: the first answer again",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

# What a route refuses in its own code, beyond what its dependencies say (see `statuses`).
REFUSALS: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/listings/"): {403},
    ("PATCH", "/api/listings/{listing_id}/"): {403},
    # 404 listing, 409 stock or own listing, 429 open unpaid orders or the order rate.
    ("POST", "/api/orders/"): {403, 404, 409, 429},
    ("PATCH", "/api/orders/{order_id}/"): {409},
    ("PUT", "/api/orders/{order_id}/"): {409},
    ("DELETE", "/api/orders/{order_id}/"): {403, 409},
    ("POST", "/api/orders/{order_id}/confirm/"): {403},
    ("POST", "/api/orders/{order_id}/ship/"): {403},
    ("POST", "/api/orders/{order_id}/deliver/"): {403},
    ("POST", "/api/orders/{order_id}/cancel/"): {403},
    # 429: the payment attempts' limit, counted with the order's read (api/payment_flow.py).
    ("POST", "/api/payments/"): {403, 404, 429},
    ("POST", "/api/payments/{payment_id}/retry/"): {403},
    ("POST", "/api/payments/{payment_id}/resolve/"): {403},
    ("POST", "/api/webhooks/stripe/"): {400},
    # 409 insufficient_funds (withdraw, adjust) is among the POSTs' 409s already.
    ("POST", "/api/wallets/{wallet_id}/adjust/"): {403},
    ("GET", "/api/admin/ledger/check/"): {403},
    # 404 order; 409 refund_already_open, refund_window_closed; 422 amount_exceeds_refundable.
    ("POST", "/api/refunds/"): {403, 404},
    ("POST", "/api/refunds/{refund_id}/approve/"): {403},
    ("POST", "/api/refunds/{refund_id}/reject/"): {403},
    ("POST", "/api/refunds/{refund_id}/complete/"): {403},
    ("POST", "/api/discounts/"): {403},  # 409 discount_code_taken is among the POSTs' 409s
    ("GET", "/api/discounts/{discount_id}/"): {403},
    ("PATCH", "/api/discounts/{discount_id}/"): {403},
    # 404 order; 409 invalid_transition, payment_in_progress; 422 discount_invalid.
    ("POST", "/api/discounts/apply/"): {403, 404},
    ("POST", "/api/webhook-endpoints/"): {403},  # a pure buyer
    # 403 the buyer; 409 a draft or cancelled invoice, email_unavailable; 429 sent too often.
    ("POST", "/api/invoices/{invoice_id}/send/"): {403, 409, 429},
}


def is_idempotent(method: str, path: str) -> bool:
    """The POSTs the Idempotency-Key middleware looks after (api/idempotency.py)."""
    return method == "POST" and path.startswith("/api/") and not path.startswith("/api/webhooks/")


def _dependants(root: Dependant) -> Iterator[Dependant]:
    stack = [root]
    while stack:
        dependant = stack.pop()
        yield dependant
        stack.extend(dependant.dependencies)


def statuses(route: APIRoute, method: str) -> set[int]:
    """Every error status the operation can answer."""
    # path_format: the path as documented, without converters ({discount_id:discount_id})
    found = set(REFUSALS.get((method, route.path_format), set()))
    calls: set[Callable[..., Any]] = set()
    has_params = route.body_field is not None
    for dependant in _dependants(route.dependant):
        if dependant.call is not None:
            calls.add(dependant.call)
        has_params = has_params or bool(
            dependant.path_params or dependant.query_params or dependant.header_params
        )
    if get_principal in calls:
        found.add(401)
    if get_client in calls:
        found.add(503)
    if limit_payment_attempts in calls:
        found.add(429)
    if route.body_field is not None:
        found |= {400, 413}
    if has_params:
        found.add(422)
    if "{" in route.path_format:
        found.add(404)
    if is_idempotent(method, route.path_format):
        found |= {409, 422}  # the key reused or still running; a key of the wrong length
    return found


def _document(operation: dict[str, Any], route: APIRoute, method: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code in statuses(route, method):
        responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
    operation["responses"] = responses = dict(sorted(responses.items()))
    for key, response in responses.items():
        if key.isdigit() and int(key) >= 400:
            response["content"] = {"application/json": {"schema": ERROR_REF}}
            if key == "429":
                response["headers"] = RETRY_AFTER
            if key == "401":
                response["headers"] = WWW_AUTHENTICATE
            if response.get("description") == "Validation Error":
                response["description"] = DESCRIPTIONS[422]
    if is_idempotent(method, route.path_format):
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
            parameters.append(IDEMPOTENCY_KEY)


def build_schema(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    paths = schema.get("paths", {})
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(context.path_format or route.path_format, {}).get(method.lower())
            if operation is not None:
                _document(operation, route, method)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    return schema


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route takes at this path (SlashRouter registers each path twice)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        regex = getattr(context, "path_regex", None)
        if regex is not None and regex.match(path) and context.methods:
            methods |= context.methods
    return sorted(methods)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    async def method_not_allowed(request: Request, _error: Exception) -> JSONResponse:
        allow = ", ".join(allowed_methods(app, request.url.path))
        return envelope(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed here; allowed: {allow}",
            {"allowed": allow.split(", ") if allow else []},
            headers={"Allow": allow},
        )

    # Starlette looks up a handler by status before one by exception class (api/errors.py).
    app.add_exception_handler(405, method_not_allowed)
