"""Cancelling: a paid order is refunded exactly once and its stock comes back."""

from decimal import Decimal

from sqlalchemy import select

from db.engine import session_scope
from db.tables import SandboxOperation
from tests.e2e.conftest import Stack
from tests.e2e.flows import list_item, pay, place_order, users


async def test_cancel_paid_order_refunds_once_and_restocks(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        listing = await list_item(seller)
        order = await place_order(buyer, listing["id"])
        assert (await seller.get(f"/api/listings/{listing['id']}/")).json()["status"] == "sold_out"
        payment = await pay(buyer, order["id"])

        cancelled = await buyer.post(
            f"/api/orders/{order['id']}/cancel/", json={"reason": "found a cheaper one"}
        )
        assert cancelled.status_code == 200, cancelled.text
        body = cancelled.json()
        assert body["status"] == "cancelled"
        assert body["cancel_reason"] == "found a cheaper one"
        assert body["refunded_amount"] == "1524.00"
        assert body["payment"]["status"] == "refunded"

        twice = await buyer.post(f"/api/orders/{order['id']}/cancel/", json={"reason": "again"})
        assert twice.status_code == 409
        assert twice.json()["error"]["code"] == "invalid_transition"

        restocked = (await seller.get(f"/api/listings/{listing['id']}/")).json()
        assert (restocked["quantity_available"], restocked["status"]) == (1, "active")
        with session_scope(stack.settings.database_url) as session:
            refunds = session.scalars(
                select(SandboxOperation).where(
                    SandboxOperation.kind == "refund",
                    SandboxOperation.idempotency_key.contains(order["id"]),
                )
            ).all()
        assert [(r.amount, r.calls) for r in refunds] == [(Decimal("1524.00"), 1)]
        assert payment["id"]


async def test_delete_unpaid_order_cancels_it(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
    ):
        listing = await list_item(seller)
        order = await place_order(buyer, listing["id"])
        assert (await buyer.delete(f"/api/orders/{order['id']}/")).status_code == 204
        gone = (await buyer.get(f"/api/orders/{order['id']}/")).json()
        assert gone["status"] == "cancelled"
        invoice = (await buyer.get(f"/api/invoices/{gone['invoice_id']}/")).json()
        assert invoice["status"] == "cancelled"
        assert (await seller.get(f"/api/listings/{listing['id']}/")).json()[
            "quantity_available"
        ] == 1


async def test_seller_cannot_cancel_after_shipping_but_admin_can(stack: Stack) -> None:
    seller_id, buyer_id = users()
    async with (
        stack.client(seller_id, "seller") as seller,
        stack.client(buyer_id, "buyer") as buyer,
        stack.client("admin-1", "admin") as admin,
    ):
        order = await place_order(buyer, (await list_item(seller))["id"])
        await pay(buyer, order["id"])
        await seller.post(f"/api/orders/{order['id']}/ship/", json={"tracking_number": "T1"})
        refused = await seller.post(f"/api/orders/{order['id']}/cancel/", json={"reason": "x"})
        assert refused.status_code == 409
        assert (await seller.get(f"/api/orders/{order['id']}/")).json()["status"] == "shipped"
        allowed = await admin.post(
            f"/api/orders/{order['id']}/cancel/", json={"reason": "lost in transit"}
        )
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["status"] == "cancelled"
        assert allowed.json()["payment"]["status"] == "refunded"
