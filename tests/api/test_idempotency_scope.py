"""Idempotency (API.md): one fingerprint with or without the trailing slash; ids derived from a
key scoped to the caller and the object; "try again" answers not remembered; a repeated
create-with-payment whose first run died before paying pays."""

import json
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.idempotency import derived_id
from db.engine import session_scope
from db.tables import IdempotencyRecord, Listing
from db.types import utcnow
from domain.contracts import PaymentOutcome
from tests.api.conftest import Api
from tests.api.helpers import add_payment, order_body, rows, seed_order
from tests.support import died_mid_request, make_listing

LISTING = {"listing_type": "part", "title": "Brake pads", "unit_price": "10.00"}


async def test_the_trailing_slash_does_not_change_the_fingerprint(api: Api) -> None:
    async with api.client("seller-1", "seller") as http:
        first = await http.post("/api/listings/", json=LISTING, headers={"Idempotency-Key": "k"})
        again = await http.post("/api/listings", json=LISTING, headers={"Idempotency-Key": "k"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert rows(api.settings.database_url, Listing) == 1


async def test_payment_in_progress_is_not_remembered_under_the_key(api: Api) -> None:
    order_id = seed_order(api.settings.database_url, "buyer-1")
    answers = iter(["busy", "ok"])

    def reply(name: str, arg: Any) -> Any:
        if next(answers) == "busy":
            cause = ApplicationError("A charge is in flight", type="payment_in_progress")
            raise WorkflowUpdateFailedError(cause)
        return PaymentOutcome(payment_id=arg.payment_id, status="failed", error_code="x")

    api.engine.reply = reply
    body = {"order_id": order_id, "payment_method": "credit_card", "card_token": "tok_visa"}
    async with api.client("buyer-1", "buyer") as http:
        busy = await http.post("/api/payments/", json=body, headers={"Idempotency-Key": "p"})
        again = await http.post("/api/payments/", json=body, headers={"Idempotency-Key": "p"})
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "payment_in_progress"
    assert "Idempotent-Replayed" not in again.headers
    assert len(api.engine.calls) == 2  # the repeat ran again instead of replaying the 409


async def test_an_admins_confirm_key_names_a_payment_per_order(api: Api) -> None:
    url = api.settings.database_url
    orders = [seed_order(url, "buyer-1"), seed_order(url, "buyer-1")]
    api.engine.reply = lambda _name, _arg: None
    async with api.client("admin-1", "admin") as http:
        for order_id in orders:
            response = await http.post(
                f"/api/orders/{order_id}/confirm/", headers={"Idempotency-Key": "same"}
            )
            assert response.status_code == 200, response.text
            _expire_keys(url)  # the same key, used again after its 24 h
    (_, _, first, first_update), (_, _, second, second_update) = api.engine.calls
    assert first.payment_id != second.payment_id
    assert first_update != second_update


async def test_a_repeated_create_with_payment_pays_when_the_first_run_did_not(api: Api) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url)
    payment = {"payment_method": "credit_card", "card_token": "tok_visa"}
    body = json.dumps(order_body(listing_id, payment=payment)).encode()
    # The first run claimed the key, admitted the order and died before handing the payment
    # over: its claim is left unanswered, with the generation that named the order.
    died_mid_request(url, "buyer-1", "create-1", "/api/orders", body, generation="g1")
    order_id = derived_id("buyer-1", "create-1", f"order:{listing_id}", "g1")
    seed_order(url, "buyer-1", listing_id, order_id=order_id)
    api.engine.reply = lambda _name, arg: PaymentOutcome(
        payment_id=arg.payment_id, status="processing"
    )
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post(
            "/api/orders/",
            content=body,
            headers={"Idempotency-Key": "create-1", "Content-Type": "application/json"},
        )
    assert response.status_code == 201, response.text
    assert response.json()["id"] == order_id
    [(workflow_id, update, command, update_id)] = api.engine.calls
    assert (workflow_id, update) == (f"order-{order_id}", "pay")
    assert command.payment_id == derived_id(
        "buyer-1", "create-1", f"order-payment:{order_id}", "g1"
    )
    assert update_id is not None


async def test_a_key_reused_after_its_24_h_for_another_listing_names_a_new_order(
    api: Api,
) -> None:
    url = api.settings.database_url
    old_listing, new_listing = make_listing(url), make_listing(url)
    old = derived_id("buyer-1", "reused", f"order:{old_listing}")
    seed_order(url, "buyer-1", old_listing, order_id=old)  # made with this key days ago

    def down(_name: str, _arg: object) -> None:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    api.engine.reply = down
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post(
            "/api/orders/", json=order_body(new_listing), headers={"Idempotency-Key": "reused"}
        )
    assert response.status_code == 503  # it went on to create, instead of answering the old
    assert response.json()["error"]["details"]["order_id"] not in ("", old)


def _expire_keys(url: str) -> None:
    with session_scope(url) as session:
        session.query(IdempotencyRecord).update({"expires_at": utcnow()})


async def test_a_keyed_retry_repeated_after_a_lost_answer_asks_the_workflow(api: Api) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "buyer-1")
    add_payment(url, order_id, "pay-1", "completed")  # the first run of the retry charged
    api.engine.reply = lambda _name, arg: PaymentOutcome(
        payment_id=arg.payment_id, status="completed"
    )
    retry = {"card_token": "tok_visa"}
    async with api.client("buyer-1", "buyer") as http:
        keyed = await http.post(
            "/api/payments/pay-1/retry/", json=retry, headers={"Idempotency-Key": "r"}
        )
        unkeyed = await http.post("/api/payments/pay-1/retry/", json=retry)
    assert (keyed.status_code, keyed.json()["status"]) == (200, "completed")
    # The workflow dedups by the update id; without a key there is none, so the route refuses.
    [(_, update, _, update_id)] = api.engine.calls
    with session_scope(url) as session:
        record = session.get(IdempotencyRecord, ("buyer-1", "r"))
        assert record is not None and record.generation
        generation = record.generation
    assert (update, update_id) == (
        "pay",
        f"retry:pay-1-{derived_id('buyer-1', 'r', 'retry:pay-1', generation)}",
    )
    assert unkeyed.status_code == 409


async def test_a_key_reused_after_its_24_h_for_the_same_listing_names_a_new_order(
    api: Api,
) -> None:
    listing_id = make_listing(api.settings.database_url)

    def down(_name: str, _arg: object) -> None:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    api.engine.reply = down
    key = {"Idempotency-Key": "same-listing"}
    async with api.client("buyer-1", "buyer") as http:
        first = await http.post("/api/orders/", json=order_body(listing_id), headers=key)
        again = await http.post("/api/orders/", json=order_body(listing_id), headers=key)
        _expire_keys(api.settings.database_url)
        later = await http.post("/api/orders/", json=order_body(listing_id), headers=key)
    ids = [r.json()["error"]["details"]["order_id"] for r in (first, again, later)]
    # Within its 24 h the retry names the same order; after them, a new one.
    assert [r.status_code for r in (first, again, later)] == [503, 503, 503]
    assert ids[0] == ids[1] != ids[2]
