"""The rules of domain/order_rules.py as the routes answer them: the field-naming refusals are
422 `validation_error` with one detail per field, the state's refusals 409 `invalid_transition`,
and nothing reaches the engine or the database."""

from typing import Any

import pytest

from db.engine import session_scope
from db.tables import Order
from tests.api.conftest import Api
from tests.api.helpers import ADDRESS_JSON, add_payment, seed_order


def set_status(url: str, order_id: str, status: str) -> None:
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        order.status = status


def seller_of(url: str, order_id: str) -> str:
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.seller_id


def notes(url: str, order_id: str) -> tuple[str | None, str | None]:
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.buyer_notes, order.seller_notes


@pytest.mark.parametrize(
    ("who", "changes", "message", "details"),
    [
        (
            "buyer",
            {"shipping_address": None},
            "shipping_address cannot be removed",
            [{"loc": ["body", "shipping_address"], "msg": "must not be null"}],
        ),
        (
            "buyer",
            {"seller_notes": "mine now", "buyer_notes": "ok"},
            "You may not change these fields",
            [{"loc": ["body", "seller_notes"], "msg": "not editable by you"}],
        ),
        (
            "seller",
            {"shipping_address": ADDRESS_JSON, "buyer_notes": "x"},
            "You may not change these fields",
            [
                {"loc": ["body", "buyer_notes"], "msg": "not editable by you"},
                {"loc": ["body", "shipping_address"], "msg": "not editable by you"},
            ],
        ),
    ],
)
async def test_an_edit_naming_fields_the_caller_may_not_set_is_422(
    api: Api, who: str, changes: dict[str, Any], message: str, details: list[Any]
) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    user = "payer" if who == "buyer" else seller_of(url, order_id)
    async with api.client(user, who) as http:
        response = await http.patch(f"/api/orders/{order_id}/", json=changes)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": message,
        "details": details,
    }
    assert notes(url, order_id) == (None, None)


async def test_the_buyers_details_are_fixed_once_shipped_the_sellers_notes_are_not(
    api: Api,
) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    set_status(url, order_id, "shipped")
    async with api.client("payer", "buyer") as http:
        refused = await http.put(f"/api/orders/{order_id}/", json={"buyer_notes": "late"})
    async with api.client(seller_of(url, order_id), "seller") as http:
        taken = await http.patch(f"/api/orders/{order_id}/", json={"seller_notes": "sent"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "invalid_transition"
    assert refused.json()["error"]["message"] == (
        "Addresses and notes are fixed once the order is shipped"
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["seller_notes"] == "sent"
    assert notes(url, order_id) == (None, "sent")


@pytest.mark.parametrize("payment", ["processing", "completed"])
async def test_a_paid_or_paying_order_is_not_deleted(api: Api, payment: str) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    add_payment(url, order_id, "pay-1", payment)
    async with api.client("payer", "buyer") as http:
        response = await http.delete(f"/api/orders/{order_id}/")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Only a pending, unpaid order can be deleted"
    assert api.engine.calls == []


async def test_the_seller_may_not_delete_an_order(api: Api) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    async with api.client(seller_of(url, order_id), "seller") as http:
        response = await http.delete(f"/api/orders/{order_id}/")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only the buyer may delete an order"
    assert api.engine.calls == []


async def test_a_failed_payment_deleted_order_is_cancelled_by_its_workflow(api: Api) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    add_payment(url, order_id, "pay-1", "failed")
    api.engine.reply = lambda name, arg: "cancelled"
    async with api.client("payer", "buyer") as http:
        response = await http.delete(f"/api/orders/{order_id}/")
    assert response.status_code == 204, response.text
    [(workflow_id, update, command, update_id)] = api.engine.calls
    assert (workflow_id, update, update_id) == (f"order-{order_id}", "cancel", None)
    assert (command.reason, command.actor, command.unpaid_only) == (
        "deleted by buyer",
        "payer",
        True,
    )


@pytest.mark.parametrize(
    ("payment", "order"), [("completed", "confirmed"), ("failed", "cancelled")]
)
async def test_only_a_failed_payment_of_a_pending_order_is_retried(
    api: Api, payment: str, order: str
) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    add_payment(url, order_id, "pay-1", payment)
    set_status(url, order_id, order)
    async with api.client("payer", "buyer") as http:
        response = await http.post("/api/payments/pay-1/retry/", json={"card_token": "tok_visa"})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "invalid_transition",
        "message": "Only a failed payment of a pending order can be retried",
        "details": None,
    }
    assert api.engine.calls == []
