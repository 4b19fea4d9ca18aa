"""An order paid from the buyer's wallet over HTTP (API.md, Payments: `wallet` debits the buyer's
wallet; short → failed `insufficient_funds`, the order stays pending), on SQLite and PostgreSQL."""

from tests.e2e.conftest import Party
from tests.e2e.flows import book, list_item, place_order
from tests.e2e.wallet_flows import balance_becomes, transactions, wallet


async def pay_from_wallet(party: Party, order_id: str) -> dict[str, object]:
    body = {"order_id": order_id, "payment_method": "wallet"}
    answer = await party.buyer.post("/api/payments/", json=body)
    assert answer.status_code == 201, answer.text
    paid: dict[str, object] = answer.json()
    return paid


async def test_a_wallet_pays_an_order_and_a_cancel_puts_it_back(each_party: Party) -> None:
    party = each_party
    buyer = party.buyer
    listing = await list_item(party.seller, price="100.00", fee="20.00")
    order = await place_order(buyer, listing["id"])
    topped = await buyer.post(
        "/api/wallets/my_wallet/top_up/", json={"amount": "100.00", "card_token": "tok_visa"}
    )
    assert topped.status_code == 202, topped.text
    await balance_becomes(buyer, "100.00")

    short = await pay_from_wallet(party, order["id"])
    assert (short["status"], short["error_code"], short["payment_method"]) == (
        "failed",
        "insufficient_funds",
        "wallet",
    )
    still = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert still["status"] == "pending"
    assert (await wallet(buyer))["balance"] == "100.00"

    adjusted = await party.admin.post(
        f"/api/wallets/{(await wallet(buyer))['id']}/adjust/",
        json={"amount": "20.00", "reason": "goodwill"},
    )
    assert adjusted.status_code == 200, adjusted.text
    retried = await buyer.post(f"/api/payments/{short['id']}/retry/", json={})
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "completed"
    mine = await wallet(buyer)
    assert (mine["balance"], mine["total_spent"]) == ("0.00", "120.00")
    assert (await transactions(buyer))[0] == ("debit", "120.00", "0.00")
    confirmed = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert (confirmed["status"], confirmed["payment"]["payment_method"]) == ("confirmed", "wallet")

    cancelled = await buyer.post(f"/api/orders/{order['id']}/cancel/", json={"reason": "oops"})
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["refunded_amount"]) == (
        "cancelled",
        "120.00",
    )
    await balance_becomes(buyer, "120.00")
    assert (await transactions(buyer))[0] == ("credit", "120.00", "120.00")
    # Only the top-up's card charge ever reached the gateway; the order's money never did.
    assert book(party.stack.settings.database_url, order["id"]) == []
    check = (await party.admin.get("/api/admin/ledger/check/")).json()
    assert (check["balanced"], check["drift"]) == (True, [])
