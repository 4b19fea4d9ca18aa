from decimal import Decimal

from tests.e2e.conftest import Party
from tests.e2e.flows import book, list_item, pay, place_order
from workflows.order import OrderWorkflow


async def test_purchase_from_listing_to_delivery(each_party: Party) -> None:
    party = each_party
    stack = party.stack
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller)
    order = await place_order(buyer, listing["id"])
    assert order["status"] == "pending"
    assert order["order_number"].startswith("ORD-")
    assert (order["subtotal"], order["shipping"], order["total_amount"]) == (
        "1499.00",
        "25.00",
        "1524.00",
    )
    assert Decimal(order["tax"]) == 0

    payment = await pay(buyer, order["id"])
    assert payment["status"] == "completed"
    assert payment["amount"] == "1524.00"
    assert "gateway_response" not in payment
    seen = (await party.admin.get(f"/api/payments/{payment['id']}/")).json()
    assert seen["gateway_response"]["status"] == "succeeded"
    assert seen["gateway_response"]["amount"] == "1524.00"

    assert order["deadline"]["kind"] == "payment" and order["payout"] is None
    confirmed = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["deadline"]["kind"] == "ship"
    assert confirmed["payment"]["status"] == "completed"
    invoice = (await buyer.get(f"/api/invoices/{confirmed['invoice_id']}/")).json()
    assert invoice["status"] == "paid" and invoice["amount_due"] == "0.00"

    shipped = await seller.post(
        f"/api/orders/{order['id']}/ship/", json={"tracking_number": "1Z999", "carrier": "UPS"}
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["tracking_number"] == "1Z999"
    assert shipped.json()["deadline"]["kind"] == "delivery"

    delivered = await buyer.post(f"/api/orders/{order['id']}/deliver/")
    assert delivered.status_code == 200, delivered.text
    detail = delivered.json()
    assert detail["status"] == "delivered"
    # ESCROW_HOLD after delivery the seller is paid: total - 5 % (API.md, Orders).
    assert detail["deadline"]["kind"] == "payout"
    assert detail["payout"] == {
        "status": "scheduled",
        "amount": "1447.80",
        "fee": "76.20",
        "at": detail["deadline"]["at"],
    }
    assert [e["event"] for e in detail["timeline"]] == [
        "created",
        "confirmed",
        "shipped",
        "delivered",
    ]

    handle = stack.env.client.get_workflow_handle_for(OrderWorkflow.run, order["workflow_id"])
    result = await handle.result()
    assert result.status == "delivered"
    paid = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert (paid["payout"]["status"], paid["payout"]["amount"], paid["deadline"]) == (
        "paid",
        "1447.80",
        None,
    )
    assert paid["timeline"][-1]["event"] == "paid_out"
    earned = (await seller.get("/api/wallets/my_wallet/")).json()
    assert (earned["balance"], earned["total_earned"]) == ("1447.80", "1447.80")
    moves = (await seller.get("/api/wallets/my_wallet/transactions/")).json()["items"]
    assert [(t["transaction_type"], t["amount"], t["order_id"]) for t in moves] == [
        ("credit", "1447.80", order["id"])
    ]
    check = (await party.admin.get("/api/admin/ledger/check/")).json()
    assert (check["balanced"], check["drift"]) == (True, [])
    description = await handle.describe()
    attributes = {k.name: v for k, v in description.typed_search_attributes}
    assert attributes["OrderStatus"] == "delivered"
    assert attributes["OrderNumber"] == order["order_number"]
    assert attributes["BuyerId"] == party.buyer_id and attributes["SellerId"] == party.seller_id
    assert attributes["OrderTotal"] == 1524.0
    assert attributes["PaymentStatus"] == "completed"

    # The gateway's own book: one charge of exactly the total, under this payment's key;
    # shipping and delivering moved no money.
    [charge] = book(stack.settings.database_url, order["id"])
    assert (charge.kind, charge.amount, charge.status) == (
        "charge",
        Decimal("1524.00"),
        "succeeded",
    )
    assert charge.idempotency_key.startswith(f"order-{order['id']}:charge:{payment['id']}:")
    assert detail["refunded_amount"] == "0.00"

    notes = (await buyer.get("/api/notifications/")).json()["items"]
    assert {n["kind"] for n in notes if n["order_id"] == order["id"]} == {
        "created",
        "confirmed",
        "shipped",
        "delivered",
    }
