"""Twenty buyers race for one car: exactly one order, the others a clean 409."""

import asyncio

from tests.e2e.conftest import Party
from tests.e2e.flows import ADDRESS, list_item


async def test_twenty_buyers_one_car(party: Party) -> None:
    listing = await list_item(party.seller, quantity=1)
    buyers = [party.another(f"racer-{i}", "buyer") for i in range(20)]
    responses = await asyncio.gather(
        *(
            buyer.post(
                "/api/orders/", json={"listing_id": listing["id"], "shipping_address": ADDRESS}
            )
            for buyer in buyers
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code >= 500]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "out_of_stock"
    }
    admin = party.admin
    orders = (await admin.get("/api/orders/", params={"limit": 200})).json()["items"]
    assert len([o for o in orders if o["listing_id"] == listing["id"]]) == 1
    after = (await admin.get(f"/api/listings/{listing['id']}/")).json()
    assert (after["quantity_available"], after["status"]) == (0, "sold_out")
