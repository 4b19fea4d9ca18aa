"""Bad input gets the error envelope and changes nothing; no input gives a 500."""

import pytest

from tests.e2e.conftest import Party, Stack
from tests.e2e.flows import ADDRESS, list_item, pay, place_order


async def test_unknown_fields_are_rejected(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller)
    response = await buyer.post(
        "/api/orders/",
        json={"listing_id": listing["id"], "shipping_address": ADDRESS, "total_amount": "1.00"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(d["loc"][-1] == "total_amount" for d in error["details"])
    assert (await buyer.get("/api/orders/")).json()["items"] == []
    assert (await seller.get(f"/api/listings/{listing['id']}/")).json()["quantity_available"] == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'"text"',
        b'{"listing_id": 5}',
        b"",
        b'{"quantity": 1e309}',
    ],
)
async def test_malformed_bodies(stack: Stack, body: bytes) -> None:
    async with stack.client("malformed", "buyer") as buyer:
        response = await buyer.post(
            "/api/orders/", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("malformed_body", "validation_error")


async def test_money_is_never_a_float(stack: Stack) -> None:
    async with stack.client("float-seller", "seller") as seller:
        response = await seller.post(
            "/api/listings/", json={"listing_type": "car", "title": "x", "unit_price": 1499.99}
        )
        assert response.status_code == 422
        listing = await list_item(seller, price="1499.99")
        assert listing["unit_price"] == "1499.99"


async def test_invalid_transitions_get_409(party: Party) -> None:
    seller, buyer, admin = party.seller, party.buyer, party.admin
    order = await place_order(buyer, (await list_item(seller))["id"])
    early = await seller.post(f"/api/orders/{order['id']}/ship/", json={"tracking_number": "1"})
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "invalid_transition"
    assert (await buyer.post(f"/api/orders/{order['id']}/deliver/")).status_code == 409
    await pay(buyer, order["id"])
    again = await admin.post(f"/api/orders/{order['id']}/confirm/")
    assert again.status_code == 409
    paid_delete = await buyer.delete(f"/api/orders/{order['id']}/")
    assert paid_delete.status_code == 409
    detail = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert detail["status"] == "confirmed"
    assert [e["event"] for e in detail["timeline"]] == ["created", "confirmed"]


async def test_paths_work_without_trailing_slash(stack: Stack) -> None:
    async with stack.client("slash-seller", "seller") as seller:
        created = await seller.post(
            "/api/listings",
            json={"listing_type": "part", "title": "Oil filter", "unit_price": "12.50"},
        )
        assert created.status_code == 201
        got = await seller.get(f"/api/listings/{created.json()['id']}")
        assert got.status_code == 200 and got.json()["title"] == "Oil filter"


async def test_bad_queries(stack: Stack) -> None:
    async with stack.client("query-user", "buyer") as buyer:
        for params in ({"limit": 0}, {"limit": 201}, {"cursor": "%%%"}, {"status": "lost"}):
            response = await buyer.get("/api/orders/", params=params)
            assert response.status_code == 422, params
            assert response.json()["error"]["code"] == "validation_error"
        assert (await buyer.get("/api/orders/not-a-uuid/")).status_code == 404
        assert (await buyer.get("/api/nothing-here/")).json()["error"]["code"] == "not_found"
