"""Outbound webhook endpoints (API.md, Outbound webhooks): a seller's or admin's own, made
with a secret shown once; their delivery log. (Inbound Stripe events: routes/webhooks.py.)"""

import socket

from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import in_transaction, reading
from api.deps import KeyedDep, PrincipalDep, SettingsDep
from api.errors import ApiError, forbidden, not_found
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import Page
from api.webhook_schemas import (
    WebhookDeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointCreatedOut,
    WebhookEndpointOut,
)
from db.types import utcnow
from services import webhook_endpoints
from services.webhook_addresses import AddressRefused, Resolver, ResolveTimeout, check_url_within

# How names are resolved (tests put a resolver of their own here).
resolve_host: Resolver = socket.getaddrinfo

router = SlashRouter(tags=["webhook-endpoints"])
RESOLVE_WITHIN = 5.0


def _url_refused(reason: str) -> ApiError:
    return ApiError(
        422,
        "validation_error",
        "The request is not valid",
        [{"loc": ["body", "url"], "msg": reason, "type": "url_refused"}],
    )


def _role_of(me: Principal) -> str:
    if me.is_admin:
        return "admin"
    if "seller" in me.roles:
        return "seller"
    raise forbidden("Webhook endpoints are for sellers and admins")


@router.post("/api/webhook-endpoints/", status_code=201, response_model=WebhookEndpointCreatedOut)
async def create_endpoint(
    body: WebhookEndpointCreate, me: PrincipalDep, settings: SettingsDep, keyed: KeyedDep
) -> WebhookEndpointCreatedOut:
    role = _role_of(me)
    try:
        # A courtesy now (resolving the name on the resolvers' own threads, bounded); the real
        # check is at every delivery.
        await check_url_within(
            body.url, settings.webhook_allow_loopback, RESOLVE_WITHIN, resolve_host
        )
    except AddressRefused as refused:
        raise _url_refused(refused.reason) from None
    except ResolveTimeout as slow:
        raise _url_refused(str(slow)) from None

    def write(session: Session) -> WebhookEndpointCreatedOut:
        endpoint, secret = webhook_endpoints.create(
            session,
            keyed.id_for("webhook-endpoint"),
            me.user_id,
            role,
            body.url,
            body.events,
            settings.jwt_secret,
            utcnow(),
        )
        shown = WebhookEndpointOut.model_validate(endpoint, from_attributes=True)
        return WebhookEndpointCreatedOut(**shown.model_dump(), secret=secret)

    return await in_transaction(settings.database_url, write)


@router.get("/api/webhook-endpoints/", response_model=Page[WebhookEndpointOut])
async def list_endpoints(
    me: PrincipalDep, settings: SettingsDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        rows, next_cursor = webhook_endpoints.list_owned(session, me.user_id, limit, cursor)
        return {
            "items": [WebhookEndpointOut.model_validate(e, from_attributes=True) for e in rows],
            "next_cursor": next_cursor,
        }

    return await reading(settings.database_url, read)


@router.delete("/api/webhook-endpoints/{endpoint_id}/", status_code=204)
async def delete_endpoint(endpoint_id: str, me: PrincipalDep, settings: SettingsDep) -> None:
    def write(session: Session) -> bool:
        return webhook_endpoints.delete(session, me.user_id, endpoint_id, utcnow())

    if not await in_transaction(settings.database_url, write):
        raise not_found("webhook endpoint")


@router.get(
    "/api/webhook-endpoints/{endpoint_id}/deliveries/", response_model=Page[WebhookDeliveryOut]
)
async def list_deliveries(
    endpoint_id: str,
    me: PrincipalDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object] | None:
        # A deleted endpoint's log stays readable by its owner (why did it stop?).
        if webhook_endpoints.find_owned(session, me.user_id, endpoint_id, True) is None:
            return None
        rows, next_cursor = webhook_endpoints.deliveries(session, endpoint_id, limit, cursor)
        items = [
            WebhookDeliveryOut(
                id=row.id,
                event_id=row.event_id,
                event_type=event_type,
                status=row.status,
                attempts=row.attempts,
                last_status_code=row.last_status_code,
                created_at=row.created_at,
                delivered_at=row.delivered_at,
            )
            for row, event_type in rows
        ]
        return {"items": items, "next_cursor": next_cursor}

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("webhook endpoint")
    return found
