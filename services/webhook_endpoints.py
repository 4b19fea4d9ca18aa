"""Webhook endpoints of sellers and admins: made with a secret shown once, listed, deleted
(kept as deleted: their deliveries' log stays readable, and pending ones give up)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.tables import WebhookDelivery, WebhookEndpoint, WebhookEvent
from domain.webhooks import normalized_events
from services.pagination import page
from services.webhook_secrets import new_secret, seal, unseal


def create(
    session: Session,
    endpoint_id: str,
    owner_id: str,
    owner_role: str,
    url: str,
    events: Sequence[str],
    master_key: str,
    at: datetime,
) -> tuple[WebhookEndpoint, str]:
    """The endpoint and its secret in clear (shown to its maker only: the stored form is
    sealed). `endpoint_id` comes from the request's Idempotency-Key when there is one: a request
    repeated after a failure gets the endpoint its first try made, not a second one."""
    made = session.get(WebhookEndpoint, endpoint_id)
    if made is not None and made.owner_id == owner_id:
        return made, unseal(made.secret, master_key)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        owner_id=owner_id,
        owner_role=owner_role,
        url=url,
        events=normalized_events(events),
        secret=seal(secret, master_key),
        created_at=at,
    )
    session.add(endpoint)
    return endpoint, secret


def owned(owner_id: str, with_deleted: bool = False) -> Select[Any]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.owner_id == owner_id)
    return query if with_deleted else query.where(WebhookEndpoint.deleted_at.is_(None))


def find_owned(
    session: Session, owner_id: str, endpoint_id: str, with_deleted: bool = False
) -> WebhookEndpoint | None:
    """The caller's endpoint; a deleted one only when asked (its delivery log stays readable)."""
    query = owned(owner_id, with_deleted).where(WebhookEndpoint.id == endpoint_id)
    return session.scalar(query)


def list_owned(
    session: Session, owner_id: str, limit: int, cursor: str | None
) -> tuple[list[WebhookEndpoint], str | None]:
    return page(
        session, owned(owner_id), WebhookEndpoint.created_at, WebhookEndpoint.id, limit, cursor
    )


def delete(session: Session, owner_id: str, endpoint_id: str, at: datetime) -> bool:
    """False when the caller has no such endpoint; deleting one twice is deleting it once."""
    endpoint = find_owned(session, owner_id, endpoint_id, with_deleted=True)
    if endpoint is None:
        return False
    endpoint.deleted_at = endpoint.deleted_at or at
    return True


def deliveries(
    session: Session, endpoint_id: str, limit: int, cursor: str | None
) -> tuple[list[tuple[WebhookDelivery, str]], str | None]:
    """The endpoint's deliveries, newest first, each with its event's type."""
    rows, next_cursor = page(
        session,
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id),
        WebhookDelivery.created_at,
        WebhookDelivery.id,
        limit,
        cursor,
    )
    ids = {row.event_id for row in rows}
    found = session.execute(
        select(WebhookEvent.id, WebhookEvent.type).where(WebhookEvent.id.in_(ids))
    )
    types: dict[str, str] = {event_id: event_type for event_id, event_type in found}
    return [(row, types.get(row.event_id, "")) for row in rows], next_cursor
