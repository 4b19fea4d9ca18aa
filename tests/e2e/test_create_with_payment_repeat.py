"""A create-with-payment whose first run died after the order was admitted but before the
payment was handed over: the repeat (same Idempotency-Key, answer never recorded) pays it,
once, on the real workflow (API.md, Idempotency)."""

import json
from decimal import Decimal

from api import order_flow
from api.idempotency import derived_id
from domain.contracts import Address, NewOrder
from tests.e2e.conftest import Party
from tests.e2e.flows import ADDRESS, book, list_item
from tests.support import died_mid_request


async def test_the_repeat_of_a_create_that_died_before_paying_pays_once(
    each_party: Party,
) -> None:
    party = each_party
    stack = party.stack
    url = stack.settings.database_url
    buyer_id = party.buyer_id
    key = f"create-{buyer_id}"
    listing = await list_item(party.seller, quantity=1)
    body = {
        "listing_id": listing["id"],
        "shipping_address": ADDRESS,
        "payment": {"payment_method": "credit_card", "card_token": "tok_visa"},
    }
    sent = json.dumps(body).encode()
    # The first run: claimed the key, was admitted (order written, stock reserved), then the
    # API died, leaving its claim unanswered.
    died_mid_request(url, buyer_id, key, "/api/orders", sent, generation="first-run")
    order_id = derived_id(buyer_id, key, f"order:{listing['id']}", "first-run")
    await order_flow.start_order(
        stack.env.client,
        stack.settings,
        NewOrder(
            order_id=order_id,
            buyer_id=buyer_id,
            listing_id=listing["id"],
            quantity=1,
            shipping_address=Address(**ADDRESS),
            tax_rate=stack.settings.tax_rate,
        ),
        repeatable=True,
    )
    buyer = party.buyer
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    repeat = await buyer.post("/api/orders/", content=sent, headers=headers)
    assert repeat.status_code == 201, repeat.text
    assert (repeat.json()["id"], repeat.json()["status"]) == (order_id, "confirmed")
    again = await buyer.post("/api/orders/", content=sent, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"

    charges = book(url, order_id, "charge")
    assert [(c.amount, c.status, c.calls) for c in charges] == [
        (Decimal("1524.00"), "succeeded", 1)
    ]
