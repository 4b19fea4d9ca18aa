"""Steps of a purchase over HTTP, shared by the end-to-end tests."""

import asyncio
from decimal import Decimal
from typing import Any, NamedTuple

import httpx
from sqlalchemy import select, update

from db.engine import session_scope
from db.tables import IdempotencyRecord, Order, Payment, SandboxOperation
from db.types import utcnow

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


async def list_item(
    seller: httpx.AsyncClient, quantity: int = 1, price: str = "1499.00", fee: str = "25.00"
) -> dict[str, Any]:
    response = await seller.post(
        "/api/listings/",
        json={
            "listing_type": "car",
            "title": "1998 Mazda MX-5",
            "description": "Red, 120k km",
            "unit_price": price,
            "shipping_fee": fee,
            "quantity_available": quantity,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def place_order(buyer: httpx.AsyncClient, listing_id: str, **extra: Any) -> dict[str, Any]:
    response = await buyer.post(
        "/api/orders/", json={"listing_id": listing_id, "shipping_address": ADDRESS, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def pay(buyer: httpx.AsyncClient, order_id: str, token: str = "tok_visa") -> dict[str, Any]:
    response = await buyer.post(
        "/api/payments/",
        json={"order_id": order_id, "payment_method": "credit_card", "card_token": token},
    )
    assert response.status_code == 201, response.text
    return response.json()


class Booked(NamedTuple):
    """One line of the sandbox gateway's book: what money really moved."""

    kind: str
    amount: Decimal
    status: str
    idempotency_key: str
    calls: int


def book(database_url: str, order_id: str, kind: str | None = None) -> list[Booked]:
    """The sandbox's charges and refunds of one order, oldest first: what its keys name, and
    the refunds of its charges (a refund's key names the refund, `refund-{id}`)."""
    charges = select(SandboxOperation.transaction_id).where(
        SandboxOperation.idempotency_key.contains(order_id), SandboxOperation.kind == "charge"
    )
    query = select(SandboxOperation).where(
        SandboxOperation.idempotency_key.contains(order_id)
        | SandboxOperation.charge_id.in_(charges.scalar_subquery())
    )
    if kind is not None:
        query = query.where(SandboxOperation.kind == kind)
    with session_scope(database_url, read_only=True) as session:
        return [
            Booked(op.kind, op.amount, op.status, op.idempotency_key, op.calls)
            for op in session.scalars(query.order_by(SandboxOperation.created_at))
        ]


def charged_and_refunded(
    database_url: str, order_id: str, payment_id: str, total: str
) -> list[Booked]:
    """The book of a paid order cancelled in full: one charge of the total, then one refund of
    the total under the cancel's key. Returns it for further checks."""
    booked = book(database_url, order_id)
    assert [(b.kind, b.amount, b.status) for b in booked] == [
        ("charge", Decimal(total), "succeeded"),
        ("refund", Decimal(total), "succeeded"),
    ], booked
    assert booked[0].idempotency_key.startswith(f"order-{order_id}:charge:{payment_id}:")
    assert booked[1].idempotency_key == f"order-{order_id}:cancel-refund"
    refunded_in_full(database_url, order_id, payment_id, total)
    return booked


def refunded_in_full(database_url: str, order_id: str, payment_id: str, total: str) -> None:
    """The order's and the payment's rows say the whole total went back."""
    with session_scope(database_url, read_only=True) as session:
        order = session.get(Order, order_id)
        payment = session.get(Payment, payment_id)
        assert order is not None and payment is not None
        assert (order.status, order.refunded_amount) == ("cancelled", Decimal(total))
        assert (payment.status, payment.amount, payment.refunded_amount) == (
            "refunded",
            Decimal(total),
            Decimal(total),
        )


async def lose_answers(database_url: str, user_id: str) -> None:
    """As if the API had died after acting, before recording its answers to this user's keys:
    the claims stay (with their generation), unanswered, their lease over. The API (on this
    event loop) records an answer just after sending it, so that is waited for first."""
    recording = (
        IdempotencyRecord.user_id == user_id,
        IdempotencyRecord.status_code.is_(None),
        IdempotencyRecord.locked_until > utcnow(),
    )
    for _ in range(100):
        with session_scope(database_url, read_only=True) as session:
            if session.scalar(select(IdempotencyRecord.key).where(*recording)) is None:
                break
        await asyncio.sleep(0.05)
    with session_scope(database_url) as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id)
            .values(status_code=None, content_type=None, body=None, locked_until=utcnow())
        )
