"""Webhook events are written in the transition's transaction: once per occurrence (a retried
step writes nothing twice), one delivery per listening endpoint (the order's seller's and the
admins', subscribed to the type), each queued in the outbox as `webhook-<delivery id>`; none
for other sellers, deleted endpoints, or when nobody listens."""

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from db.engine import session_scope
from db.tables import Order, OutboxItem, WebhookDelivery, WebhookEndpoint, WebhookEvent
from db.types import utcnow
from domain.contracts import PaymentAttempt, PaymentFailed, Transition
from services import fulfilment, payments, refunds, webhook_endpoints
from tests.services.helpers import admit, new_order, uid
from tests.services.refund_helpers import open_and_complete, opened, paid_order, step
from tests.support import make_listing

MASTER = "service-tests-jwt-secret"
TOTAL = Decimal("1524.00")


@pytest.fixture
def made(database_url: str) -> Iterator[list[str]]:
    """Endpoints a test makes; deleted afterwards, so that admin ones (which hear every order)
    do not follow other tests on the shared PostgreSQL database."""
    ids: list[str] = []
    yield ids
    with session_scope(database_url) as session:
        session.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)).values(deleted_at=utcnow())
        )


def endpoint(url: str, made: list[str], owner: str, role: str, events: list[str]) -> str:
    with session_scope(url) as session:
        row, _secret = webhook_endpoints.create(
            session,
            str(uuid.uuid4()),
            owner,
            role,
            "https://93.184.215.14/",
            events,
            MASTER,
            utcnow(),
        )
        made.append(row.id)
        return row.id


def events_of(url: str, order_id: str) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        rows = session.execute(
            select(WebhookEvent.id, WebhookEvent.type)
            .where(WebhookEvent.order_id == order_id)
            .order_by(WebhookEvent.created_at, WebhookEvent.id)
        )
        return [(event_id, event_type) for event_id, event_type in rows]


def deliveries_of(url: str, order_id: str) -> list[tuple[str, str]]:
    """(endpoint, event type) of each delivery, and each one's outbox row is there."""
    with session_scope(url) as session:
        rows = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookEvent.type)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookEvent.order_id == order_id)
        ).all()
        for delivery_id, _, _ in rows:
            queued = session.get(OutboxItem, f"webhook-{delivery_id}")
            assert queued is not None
            assert (queued.kind, queued.ref) == ("webhook", delivery_id)
        return sorted((endpoint_id, event_type) for _, endpoint_id, event_type in rows)


def ship(url: str, order_id: str) -> None:
    transition = Transition(
        order_id=order_id,
        status="shipped",
        event="shipped",
        actor="seller",
        at=utcnow(),
        tracking_number="1Z999",
    )
    with session_scope(url) as session:
        fulfilment.apply(session, transition)


def confirm_state(url: str, order_id: str) -> None:
    with session_scope(url) as session:
        session.execute(update(Order).where(Order.id == order_id).values(status="confirmed"))


def test_nothing_is_written_when_no_endpoint_listens(database_url: str) -> None:
    seller = uid("seller")
    new = new_order(make_listing(database_url, seller_id=seller))
    assert admit(database_url, new).accepted
    assert events_of(database_url, new.order_id) == []
    assert deliveries_of(database_url, new.order_id) == []


def test_the_sellers_and_admins_endpoints_hear_the_events_they_chose(
    database_url: str, made: list[str]
) -> None:
    seller, other = uid("seller"), uid("seller")
    mine = endpoint(database_url, made, seller, "seller", ["*"])
    shipped_only = endpoint(database_url, made, seller, "seller", ["order.shipped"])
    gone = endpoint(database_url, made, seller, "seller", ["*"])
    with session_scope(database_url) as session:
        assert webhook_endpoints.delete(session, seller, gone, utcnow())
    others = endpoint(database_url, made, other, "seller", ["*"])
    admins = endpoint(database_url, made, uid("admin"), "admin", ["order.shipped"])

    new = new_order(make_listing(database_url, seller_id=seller))
    assert admit(database_url, new).accepted
    order_id = new.order_id
    assert events_of(database_url, order_id) == [(f"order.created:{order_id}", "order.created")]
    assert deliveries_of(database_url, order_id) == [(mine, "order.created")]

    confirm_state(database_url, order_id)
    for _ in range(3):  # a retried step: the event and its deliveries once
        ship(database_url, order_id)
    assert events_of(database_url, order_id)[1] == (f"order.shipped:{order_id}", "order.shipped")
    assert len(events_of(database_url, order_id)) == 2
    assert deliveries_of(database_url, order_id) == sorted(
        [
            (mine, "order.created"),
            (mine, "order.shipped"),
            (shipped_only, "order.shipped"),
            (admins, "order.shipped"),
        ]
    )
    with session_scope(database_url) as session:
        heard = session.scalars(
            select(WebhookDelivery.endpoint_id).where(WebhookDelivery.endpoint_id == others)
        ).all()
        assert heard == []
        data = session.get(WebhookEvent, f"order.shipped:{order_id}")
        assert data is not None
        assert data.payload["status"] == "shipped"
        assert data.payload["tracking_number"] == "1Z999"
        assert data.payload["total_amount"] == "1524.00"
        assert data.payload["seller_id"] == seller


def test_each_failed_payment_attempt_is_its_own_event(database_url: str, made: list[str]) -> None:
    seller = uid("seller")
    mine = endpoint(database_url, made, seller, "seller", ["payment.failed"])
    new = new_order(make_listing(database_url, seller_id=seller))
    assert admit(database_url, new).accepted
    payment_id = uid("pay")
    for number in (1, 1, 2):
        with session_scope(database_url) as session:
            payments.begin_attempt(
                session,
                PaymentAttempt(
                    order_id=new.order_id,
                    payment_id=payment_id,
                    payment_method="credit_card",
                    gateway="sandbox",
                    amount=TOTAL,
                    currency="USD",
                    attempt=number,
                ),
            )
        with session_scope(database_url) as session:
            payments.fail(
                session,
                PaymentFailed(
                    order_id=new.order_id,
                    payment_id=payment_id,
                    attempt=number,
                    error_code="card_declined",
                    error_message="declined",
                    at=utcnow(),
                ),
            )
    assert [event_id for event_id, _ in events_of(database_url, new.order_id)] == [
        f"payment.failed:{payment_id}:1",
        f"payment.failed:{payment_id}:2",
    ]
    assert deliveries_of(database_url, new.order_id) == [
        (mine, "payment.failed"),
        (mine, "payment.failed"),
    ]
    with session_scope(database_url) as session:
        event = session.get(WebhookEvent, f"payment.failed:{payment_id}:2")
        assert event is not None
        assert event.payload["payment"]["error_code"] == "card_declined"
        assert event.payload["payment"]["attempt"] == 2


def test_refund_events_and_the_order_refunded_once(database_url: str, made: list[str]) -> None:
    paid = paid_order(database_url)
    mine = endpoint(database_url, made, paid.seller_id, "seller", ["*"])
    rejected = opened(paid, "500.00")
    for _ in range(2):
        with session_scope(database_url) as session:
            refunds.open_refund(session, rejected)
    with session_scope(database_url) as session:
        refunds.record_step(session, step(rejected, "rejected", notes="no damage on the photos"))
    full = opened(paid, "1524.00")
    open_and_complete(database_url, full)
    with session_scope(database_url) as session:  # a repeat of the last step
        refunds.complete(session, step(full, "completed"))

    assert set(events_of(database_url, paid.order_id)) == {
        (f"refund.requested:{rejected.refund_id}", "refund.requested"),
        (f"refund.rejected:{rejected.refund_id}", "refund.rejected"),
        (f"refund.requested:{full.refund_id}", "refund.requested"),
        (f"refund.completed:{full.refund_id}", "refund.completed"),
        (f"order.refunded:{paid.order_id}", "order.refunded"),
    }
    assert len(events_of(database_url, paid.order_id)) == 5
    assert sorted(t for _, t in deliveries_of(database_url, paid.order_id)) == sorted(
        ["refund.requested"] * 2 + ["refund.rejected", "refund.completed", "order.refunded"]
    )
    assert {e for e, _ in deliveries_of(database_url, paid.order_id)} == {mine}
    with session_scope(database_url) as session:
        done = session.get(WebhookEvent, f"refund.completed:{full.refund_id}")
        assert done is not None
        assert done.payload["refund"] == {
            "id": full.refund_id,
            "amount": "1524.00",
            "currency": paid.currency,
            "status": "completed",
            "reason": "damaged",
            "destination": "original_method",
        }
        whole = session.get(WebhookEvent, f"order.refunded:{paid.order_id}")
        assert whole is not None
        assert (whole.payload["status"], whole.payload["refunded_amount"]) == (
            "refunded",
            "1524.00",
        )
        no = session.get(WebhookEvent, f"refund.rejected:{rejected.refund_id}")
        assert no is not None and no.payload["refund"]["status"] == "rejected"
