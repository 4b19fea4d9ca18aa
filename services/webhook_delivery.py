"""A webhook delivery's records: each attempt counted in its own transaction before it is
sent, its outcome after; the body rebuilt byte for byte from the stored event."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db.tables import WebhookDelivery, WebhookEndpoint, WebhookEvent
from services.webhook_addresses import AddressRefused, parse
from services.webhook_secrets import SecretUnreadable, unseal


@dataclass(frozen=True)
class Attempt:
    """What one attempt sends: the body's exact bytes, signed with the endpoint's secret."""

    url: str
    secret: str
    body: bytes
    number: int


@dataclass(frozen=True)
class Over:
    """Nothing to send: the delivery ended (`status`), or it cannot go on (`reason`)."""

    status: str
    reason: str | None = None


def body_of(event: WebhookEvent) -> bytes:
    """The same bytes on every attempt (sorted keys, no spaces): what the signature covers."""
    envelope = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def receiver_of(session: Session, delivery_id: str) -> str:
    """Who receives the delivery: its URL's host and port (several endpoints, one receiver)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if endpoint is None:
        return ""
    try:
        _, host, port, _ = parse(endpoint.url)
    except AddressRefused:
        return endpoint.url
    return f"{host}:{port}"


def begin_attempt(session: Session, delivery_id: str, master_key: str) -> Attempt | Over:
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        return Over("failed", f"delivery {delivery_id} does not exist")
    if delivery.status != "pending":
        return Over(delivery.status)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    event = session.get(WebhookEvent, delivery.event_id)
    if endpoint is None or event is None or endpoint.deleted_at is not None:
        return _fail(delivery, "the endpoint was deleted")
    try:
        secret = unseal(endpoint.secret, master_key)
    except SecretUnreadable as error:
        return _fail(delivery, str(error))
    delivery.attempts += 1
    return Attempt(endpoint.url, secret, body_of(event), delivery.attempts)


def _fail(delivery: WebhookDelivery, reason: str) -> Over:
    delivery.status = "failed"
    delivery.last_error = reason
    return Over("failed", reason)


def record_outcome(
    session: Session,
    delivery_id: str,
    status_code: int | None,
    error: str | None,
    at: datetime,
) -> str:
    """A 2xx is success; anything else is kept as the last outcome (the engine retries)."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        return "failed"
    if delivery.status != "pending":
        return delivery.status
    delivery.last_status_code = status_code
    delivery.last_error = error
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = "succeeded"
        delivery.delivered_at = at
    return delivery.status


def give_up(session: Session, delivery_id: str, reason: str | None) -> str:
    """No more attempts (3 days of retries, or refused): `failed`, unless it already ended."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        return "failed"
    if delivery.status == "pending":
        delivery.status = "failed"
        if reason:
            delivery.last_error = reason
    return delivery.status
