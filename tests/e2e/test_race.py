"""Twenty buyers race for one car: exactly one order, the others a clean 409."""

import asyncio

from tests.e2e.conftest import Stack
from tests.e2e.flows import ADDRESS, list_item, users


async def test_twenty_buyers_one_car(stack: Stack) -> None:
    seller_id, _ = users()
    async with stack.client(seller_id, "seller") as seller:
        listing = await list_item(seller, quantity=1)
    buyers = [stack.client(f"racer-{i}-{seller_id}", "buyer") for i in range(20)]
    try:
        responses = await asyncio.gather(
            *(
                buyer.post(
                    "/api/orders/", json={"listing_id": listing["id"], "shipping_address": ADDRESS}
                )
                for buyer in buyers
            )
        )
    finally:
        await asyncio.gather(*(buyer.aclose() for buyer in buyers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code >= 500]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "out_of_stock"
    }
    async with stack.client("admin-race", "admin") as admin:
        orders = (await admin.get("/api/orders/", params={"limit": 200})).json()["items"]
        assert len([o for o in orders if o["listing_id"] == listing["id"]]) == 1
        after = (await admin.get(f"/api/listings/{listing['id']}/")).json()
        assert (after["quantity_available"], after["status"]) == (0, "sold_out")
