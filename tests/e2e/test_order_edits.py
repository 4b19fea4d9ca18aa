"""Editing an order's addresses and notes, and the admin's offline confirmation."""

from tests.e2e.conftest import Party
from tests.e2e.flows import ADDRESS, list_item, pay, place_order

NEW_ADDRESS = {**ADDRESS, "line1": "2 Elm St", "city": "Shelbyville"}


async def test_buyer_and_seller_edit_their_own_fields(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    path = f"/api/orders/{order['id']}/"
    edited = await buyer.patch(
        path, json={"shipping_address": NEW_ADDRESS, "buyer_notes": "ring twice"}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["shipping_address"]["city"] == "Shelbyville"
    assert edited.json()["buyer_notes"] == "ring twice"
    noted = await seller.put(path, json={"seller_notes": "keys in the glovebox"})
    assert noted.json()["seller_notes"] == "keys in the glovebox"

    not_mine = await seller.patch(path, json={"buyer_notes": "x"})
    assert not_mine.status_code == 422
    price = await buyer.patch(path, json={"total_amount": "1.00"})
    assert price.status_code == 422
    status = await buyer.patch(path, json={"status": "delivered"})
    assert status.status_code == 422
    detail = (await buyer.get(path)).json()
    assert (detail["status"], detail["total_amount"]) == ("pending", "1524.00")
    assert detail["buyer_notes"] == "ring twice"

    await pay(buyer, order["id"])
    await seller.post(f"/api/orders/{order['id']}/ship/", json={"tracking_number": "T"})
    late = await buyer.patch(path, json={"buyer_notes": "too late"})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "invalid_transition"


async def test_admin_confirms_an_offline_payment(party: Party) -> None:
    seller, buyer, admin = party.seller, party.buyer, party.admin
    order = await place_order(buyer, (await list_item(seller))["id"])
    confirmed = await admin.post(f"/api/orders/{order['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "confirmed"
    assert body["payment"]["payment_method"] == "bank_transfer"
    assert body["payment"]["status"] == "completed"
    invoice = (await admin.get(f"/api/invoices/{body['invoice_id']}/")).json()
    assert invoice["status"] == "paid"
    assert invoice["amount_paid"] == invoice["total"] == "1524.00"
    assert (await admin.get("/api/orders/", params={"status": "confirmed"})).status_code == 200


async def test_lists_paginate_newest_first(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, quantity=3)
    ids = [(await place_order(buyer, listing["id"]))["id"] for _ in range(3)]
    first = (await buyer.get("/api/orders/", params={"limit": 2})).json()
    assert [o["id"] for o in first["items"]] == ids[::-1][:2]
    rest = (
        await buyer.get("/api/orders/", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [o["id"] for o in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    as_seller = (await seller.get("/api/orders/", params={"role": "seller"})).json()
    assert {o["id"] for o in as_seller["items"]} == set(ids)
    assert (await seller.get("/api/orders/", params={"role": "buyer"})).json()["items"] == []
