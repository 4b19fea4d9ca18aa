"""Stripe webhooks: signature checked by the stripe library, each event id handled once, and
the events about a payment moved into its order's workflow as a signal."""

from datetime import UTC, datetime
from typing import Any

import stripe
from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.service import RPCError, RPCStatusCode

from api.db import in_transaction, reading
from api.deps import ClientDep, SettingsDep
from api.errors import ApiError
from db.tables import InboundEvent, Payment
from domain.contracts import GatewayEvent
from domain.workflow_ids import order_workflow_id
from services.inbound_events import first_time
from workflows.order import OrderWorkflow

router = APIRouter(tags=["webhooks"])
HANDLED = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    # A refund Stripe took as `pending` is settled by these (succeeded or failed).
    "refund.updated",
    "charge.refund.updated",
    "charge.dispute.created",
)
# Stripe's own default: a signature older than this is refused (replay protection).
TOLERANCE_SECONDS = 300


@router.post("/api/webhooks/stripe/")
@router.post("/api/webhooks/stripe", include_in_schema=False)
async def stripe_webhook(
    request: Request, settings: SettingsDep, client: ClientDep
) -> dict[str, Any]:
    payload = await request.body()
    if not settings.stripe_webhook_secret:
        raise ApiError(400, "invalid_signature", "Stripe webhooks are not configured here")
    try:
        event = stripe.Webhook.construct_event(
            payload,
            request.headers.get("Stripe-Signature"),
            settings.stripe_webhook_secret,
            tolerance=TOLERANCE_SECONDS,
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise ApiError(400, "invalid_signature", f"The event is not from Stripe: {error}") from None
    url = settings.database_url
    if await reading(url, lambda s: s.get(InboundEvent, event.id) is not None):
        return {"received": True, "duplicate": True}
    if event.type in HANDLED:
        await _forward(client, url, event)
    # Recorded once forwarded: an event that could not be forwarded is retried by Stripe.
    await in_transaction(url, lambda s: first_time(s, "stripe", event.id, event.type))
    return {"received": True, "duplicate": False}


async def _forward(client: ClientDep, url: str, event: Any) -> None:
    subject: dict[str, Any] = event.to_dict().get("data", {}).get("object", {})
    intent_id = (
        subject.get("id")
        if subject.get("object") == "payment_intent"
        else (subject.get("payment_intent"))
    )
    metadata = subject.get("metadata") or {}
    order_id = metadata.get("order_id") or await reading(url, lambda s: _order_of(s, intent_id))
    if not order_id:
        return  # not one of our payments
    signal = GatewayEvent(
        event_id=event.id,
        type=event.type,
        object_id=str(
            subject.get("id")
            if subject.get("object") in ("refund", "dispute")
            else intent_id or subject.get("id") or ""
        ),
        at=datetime.fromtimestamp(event.created, UTC),
        status=subject.get("status"),
        # What the admins read: a dispute's reason, a refund's failure reason.
        detail=subject.get("reason") or subject.get("failure_reason"),
    )
    try:
        await client.get_workflow_handle(order_workflow_id(order_id)).signal(
            OrderWorkflow.gateway_event, signal
        )
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:  # a finished order has nothing to wake
            raise ApiError(503, "engine_unavailable", "Try again later") from None


def _order_of(session: Session, intent_id: str | None) -> str | None:
    if not intent_id:
        return None
    return session.scalar(select(Payment.order_id).where(Payment.transaction_id == intent_id))
