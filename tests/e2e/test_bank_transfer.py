"""Paying by bank transfer: instructions, the invoice sent, an admin's confirmation."""

from datetime import datetime

from tests.e2e.conftest import Party, Stack
from tests.e2e.flows import list_item, place_order


async def test_bank_transfer_then_admin_confirms(stack: Stack, party: Party) -> None:
    seller, buyer, admin = party.seller, party.buyer, party.admin
    order = await place_order(buyer, (await list_item(seller))["id"])
    response = await buyer.post(
        "/api/payments/", json={"order_id": order["id"], "payment_method": "bank_transfer"}
    )
    assert response.status_code == 201, response.text
    payment = response.json()
    # The due date counts from the instant the request was recorded, not from the test's
    # clock (which may have passed midnight since).
    detail = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    [requested] = [e for e in detail["timeline"] if e["event"] == "bank_transfer_requested"]
    at = datetime.fromisoformat(requested["at"])
    due = (at + stack.settings.bank_transfer_timeout).date().isoformat()
    assert payment["status"] == "pending"
    assert payment["instructions"] == {
        "account": stack.settings.bank_account,
        "reference": order["order_number"],
        "amount": "1524.00",
        "currency": "USD",
        "due_date": due,
    }
    invoice = (await buyer.get(f"/api/invoices/{order['invoice_id']}/")).json()
    assert (invoice["status"], invoice["due_date"]) == ("viewed", due)
    assert invoice["sent_at"] is not None

    card = await buyer.post(
        "/api/payments/",
        json={
            "order_id": order["id"],
            "payment_method": "credit_card",
            "card_token": "tok_visa",
        },
    )
    assert card.status_code == 409
    assert card.json()["error"]["code"] == "payment_in_progress"

    confirmed = await admin.post(f"/api/orders/{order['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["payment"] == {
        "id": payment["id"],
        "status": "completed",
        "payment_method": "bank_transfer",
    }
    invoice = (await admin.get(f"/api/invoices/{order['invoice_id']}/")).json()
    assert invoice["status"] == "paid"
    again = await admin.post(f"/api/orders/{order['id']}/confirm/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


async def test_bank_transfer_takes_no_card_token(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    response = await buyer.post(
        "/api/payments/",
        json={
            "order_id": order["id"],
            "payment_method": "bank_transfer",
            "card_token": "tok_visa",
        },
    )
    assert response.status_code == 422
    assert (await buyer.get(f"/api/orders/{order['id']}/")).json()["payment"] is None
