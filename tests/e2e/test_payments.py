"""Card payments over HTTP: declines, retries, transient gateway errors."""

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from db.engine import session_scope
from db.tables import SandboxOperation
from tests.e2e.conftest import Party, Stack
from tests.e2e.flows import book, list_item, pay, place_order


def charges_for(stack: Stack, payment_id: str) -> int:
    with session_scope(stack.settings.database_url) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(SandboxOperation)
                .where(
                    SandboxOperation.kind == "charge",
                    SandboxOperation.status == "succeeded",
                    SandboxOperation.idempotency_key.contains(payment_id),
                )
            )
            or 0
        )


async def test_decline_then_retry_succeeds(stack: Stack, party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    failed = await pay(buyer, order["id"], "tok_chargeDeclined")
    assert (failed["status"], failed["error_code"]) == ("failed", "card_declined")
    still = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert still["status"] == "pending"
    assert still["payment"] == {
        "id": failed["id"],
        "status": "failed",
        "payment_method": "credit_card",
    }

    retried = await buyer.post(
        f"/api/payments/{failed['id']}/retry/", json={"card_token": "tok_mastercard"}
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "completed"
    assert retried.json()["attempts"] == 2
    assert (await buyer.get(f"/api/orders/{order['id']}/")).json()["status"] == "confirmed"
    assert charges_for(stack, failed["id"]) == 1

    again = await buyer.post(
        f"/api/payments/{failed['id']}/retry/", json={"card_token": "tok_visa"}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


async def test_insufficient_funds_is_reported(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    failed = await pay(buyer, order["id"], "tok_chargeDeclinedInsufficientFunds")
    assert (failed["status"], failed["error_code"]) == ("failed", "insufficient_funds")
    assert failed["error_message"]


async def test_transient_errors_are_carried_by_the_engine(stack: Stack, party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    payment = await pay(buyer, order["id"], "tok_processingError")
    assert payment["status"] == "completed"
    assert payment["attempts"] == 1  # one attempt of ours; the engine retried the call
    with session_scope(stack.settings.database_url) as session:
        calls = session.scalars(
            select(SandboxOperation.calls).where(
                SandboxOperation.idempotency_key.contains(payment["id"])
            )
        ).all()
    assert calls == [3]
    assert charges_for(stack, payment["id"]) == 1


async def test_payment_in_the_create_call(each_party: Party) -> None:
    party = each_party
    stack = party.stack
    seller, buyer = party.seller, party.buyer
    listing = await list_item(seller, price="1234.56", fee="10.01")
    order = await place_order(
        buyer, listing["id"], payment={"payment_method": "debit_card", "card_token": "tok_visa"}
    )
    assert order["status"] == "confirmed"
    assert order["total_amount"] == "1244.57"
    assert order["payment"]["status"] == "completed"
    payment = (await buyer.get(f"/api/payments/{order['payment']['id']}/")).json()
    assert (payment["amount"], payment["status"]) == ("1244.57", "completed")
    [charge] = book(stack.settings.database_url, order["id"])
    assert (charge.kind, charge.amount, charge.status, charge.calls) == (
        "charge",
        Decimal("1244.57"),
        "succeeded",
        1,
    )
    assert charge.idempotency_key.startswith(f"order-{order['id']}:charge:{payment['id']}:")


async def test_card_numbers_are_refused(party: Party) -> None:
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    response = await buyer.post(
        "/api/payments/",
        json={
            "order_id": order["id"],
            "payment_method": "credit_card",
            "card_token": "4242424242424242",
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "4242424242424242" not in response.text
    number = await buyer.post(
        "/api/payments/",
        json={
            "order_id": order["id"],
            "payment_method": "credit_card",
            "card_number": "4242424242424242",
        },
    )
    assert number.status_code == 422
    assert (await buyer.get(f"/api/orders/{order['id']}/")).json()["payment"] is None


async def test_twenty_concurrent_retries_charge_once(each_party: Party) -> None:
    party = each_party
    stack = party.stack
    seller, buyer = party.seller, party.buyer
    order = await place_order(buyer, (await list_item(seller))["id"])
    failed = await pay(buyer, order["id"], "tok_chargeDeclined")
    responses = await asyncio.gather(
        *(
            buyer.post(f"/api/payments/{failed['id']}/retry/", json={"card_token": "tok_visa"})
            for _ in range(20)
        )
    )
    codes = sorted(r.status_code for r in responses)
    # One retry charges; the others find a payment in progress or done (409), or the
    # per-user limit on payment attempts (429). None charges a second time.
    assert codes.count(200) == 1, [r.text for r in responses]
    assert set(codes) <= {200, 409, 429}
    assert (await buyer.get(f"/api/orders/{order['id']}/")).json()["status"] == "confirmed"
    assert charges_for(stack, failed["id"]) == 1
    # The whole book: the declined first attempt and one charge of the total, nothing else.
    booked = book(stack.settings.database_url, order["id"])
    assert [(b.kind, b.amount, b.status, b.calls) for b in booked] == [
        ("charge", Decimal("1524.00"), "declined", 1),
        ("charge", Decimal("1524.00"), "succeeded", 1),
    ]
