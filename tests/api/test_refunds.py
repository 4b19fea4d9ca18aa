"""The Refunds section of API.md through the app, with the fake engine: the fields, who may ask
and decide (401, 403, 404), validation (422), the workflows' refusals as API.md codes them, a
closed order, list scoping, and an invoice's credit notes."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from db.engine import session_scope
from db.tables import Order
from db.types import utcnow
from domain.refund_contracts import (
    ApproveCommand,
    RefundAsk,
    RefundOpened,
    RefundStep,
    RejectCommand,
)
from services import refunds
from tests.api.conftest import Api
from tests.api.helpers import add_payment, seed_order

REFUND_FIELDS = {
    "id",
    "order_id",
    "payment_id",
    "refund_reason",
    "reason_description",
    "refund_amount",
    "refund_percentage",
    "status",
    "destination",
    "admin_notes",
    "requested_by",
    "requested_at",
    "approved_at",
    "completed_at",
    "rejected_at",
    "credit_note_id",
    "workflow_id",
}
BUYER, ADMIN = "buyer-1", "admin-1"


def paid_order(url: str, buyer: str = BUYER) -> tuple[str, str, str]:
    """A confirmed order paid by card: (order id, payment id, seller id)."""
    order_id, payment_id = seed_order(url, buyer), str(uuid.uuid4())
    add_payment(url, order_id, payment_id, "completed")
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        order.status = "confirmed"
        return order_id, payment_id, order.seller_id


def opened(order_id: str, payment_id: str, amount: str = "100.00", **extra: Any) -> RefundOpened:
    refund_id = extra.pop("refund_id", None) or str(uuid.uuid4())
    fields: dict[str, Any] = {
        "refund_id": refund_id,
        "order_id": order_id,
        "payment_id": payment_id,
        "reason": "damaged",
        "description": "cracked",
        "amount": Decimal(amount),
        "percentage": None,
        "destination": "original_method",
        "route": "gateway",
        "currency": "USD",
        "requested_by": BUYER,
        "at": utcnow(),
        "workflow_id": f"refund-{refund_id}",
    }
    return RefundOpened.model_validate({**fields, **extra})


def seed_refund(url: str, order_id: str, payment_id: str, status: str = "pending") -> str:
    refund = opened(order_id, payment_id)
    with session_scope(url) as session:
        refunds.open_refund(session, refund)
    if status != "pending":
        step = RefundStep(
            refund_id=refund.refund_id,
            order_id=order_id,
            status=status,  # type: ignore[arg-type]
            amount=refund.amount,
            actor=ADMIN,
            at=utcnow(),
            route="gateway" if status == "completed" else None,
        )
        with session_scope(url) as session:
            refunds.record_step(session, step)
    return refund.refund_id


def body(order_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "refund_reason": "damaged",
        "reason_description": "The bumper is cracked",
        **extra,
    }


def accept(order_id: str, payment_id: str) -> Any:
    """The order's workflow accepts every ask, before any row is written."""

    def reply(name: str, ask: Any) -> Any:
        assert name == "request_refund" and isinstance(ask, RefundAsk)
        return opened(order_id, payment_id, "1524.00", refund_id=ask.refund_id)

    return reply


async def test_the_buyer_asks_and_gets_the_refund_as_api_md_shows_it(api: Api) -> None:
    order_id, payment_id, _ = paid_order(api.settings.database_url)
    api.engine.reply = accept(order_id, payment_id)
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post(
            "/api/refunds/", json=body(order_id), headers={"Idempotency-Key": "r1"}
        )
    assert answer.status_code == 201, answer.text
    refund = answer.json()
    assert set(refund) == REFUND_FIELDS
    assert (refund["status"], refund["refund_amount"], refund["destination"]) == (
        "pending",
        "1524.00",
        "original_method",
    )
    [(workflow_id, update, ask, update_id)] = api.engine.calls
    assert (workflow_id, update) == (f"order-{order_id}", "request_refund")
    assert (ask.amount, ask.percentage, ask.actor, ask.refund_id) == (
        None,
        None,
        BUYER,
        refund["id"],
    )
    assert update_id is not None and update_id.startswith("refund:")


async def test_the_answer_is_read_back_from_the_row_once_it_is_written(api: Api) -> None:
    url = api.settings.database_url
    order_id, payment_id, _ = paid_order(url)

    def reply(name: str, ask: Any) -> Any:
        accepted = opened(order_id, payment_id, "50.00", refund_id=ask.refund_id, percentage=50)
        with session_scope(url) as session:
            refunds.open_refund(session, accepted)
        return accepted

    api.engine.reply = reply
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post("/api/refunds/", json=body(order_id, refund_percentage="50"))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["refund_amount"], answer.json()["refund_percentage"]) == (
        "50.00",
        "50.00",
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"refund_amount": "10.00", "refund_percentage": "10"},
        {"refund_amount": "-5.00"},
        {"refund_amount": "0.00"},
        {"refund_amount": "1.005"},
        {"refund_amount": 10},
        {"refund_percentage": "100.01"},
        {"refund_percentage": "0"},
        {"refund_percentage": "-1"},
        {"refund_reason": "bored"},
        {"reason_description": ""},
        {"destination": "cash"},
        {"status": "completed"},
    ],
)
async def test_a_bad_request_is_422_and_reaches_no_engine(api: Api, extra: dict[str, Any]) -> None:
    order_id, _, _ = paid_order(api.settings.database_url)
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post("/api/refunds/", json=body(order_id, **extra))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"
    assert api.engine.calls == []


async def test_a_stranger_gets_404_a_seller_403_and_no_token_401(api: Api) -> None:
    order_id, _, seller = paid_order(api.settings.database_url)
    async with api.client("stranger", "buyer") as http:
        stranger = await http.post("/api/refunds/", json=body(order_id))
    async with api.client(seller, "seller") as http:
        by_seller = await http.post("/api/refunds/", json=body(order_id))
    async with api.client() as http:
        anonymous = await http.post("/api/refunds/", json=body(order_id))
    assert (stranger.status_code, by_seller.status_code, anonymous.status_code) == (404, 403, 401)
    assert api.engine.calls == []


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        ("refund_already_open", 409),
        ("refund_window_closed", 409),
        ("amount_exceeds_refundable", 422),
        ("invalid_transition", 409),
    ],
)
async def test_the_order_workflows_refusals_are_api_md_codes(
    api: Api, refusal: str, status: int
) -> None:
    order_id, _, _ = paid_order(api.settings.database_url)

    def reply(name: str, ask: Any) -> Any:
        raise WorkflowUpdateFailedError(ApplicationError("refused", type=refusal))

    api.engine.reply = reply
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post("/api/refunds/", json=body(order_id, refund_amount="9999.00"))
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == refusal


@pytest.mark.parametrize(
    ("payout", "status", "code"),
    [("paid", "delivered", "refund_window_closed"), (None, "cancelled", "invalid_transition")],
)
async def test_an_order_whose_workflow_ended_is_closed_to_refunds(
    api: Api, payout: str | None, status: str, code: str
) -> None:
    url = api.settings.database_url
    order_id, _, _ = paid_order(url)
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        order.status, order.payout_status = status, payout
        if payout:
            order.payout_amount = order.payout_fee = Decimal("1.00")

    def reply(name: str, ask: Any) -> Any:
        raise RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b"")

    api.engine.reply = reply
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post("/api/refunds/", json=body(order_id))
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == code


async def test_lists_and_details_are_scoped_like_orders(api: Api) -> None:
    url = api.settings.database_url
    mine, payment, seller = paid_order(url)
    other, other_payment, _ = paid_order(url, buyer="buyer-2")
    pending = seed_refund(url, mine, payment)
    rejected = seed_refund(url, other, other_payment, "rejected")

    async def ids(user: str, role: str, query: str = "") -> set[str]:
        async with api.client(user, role) as http:
            answer = await http.get(f"/api/refunds/{query}")
        assert answer.status_code == 200, answer.text
        return {item["id"] for item in answer.json()["items"]}

    assert await ids(BUYER, "buyer") == {pending}
    assert await ids(seller, "seller") == {pending}
    assert await ids("stranger", "buyer") == set()
    assert await ids(ADMIN, "admin") >= {pending, rejected}
    assert await ids(ADMIN, "admin", "?status=rejected") == {rejected}
    async with api.client(seller, "seller") as http:
        seen = await http.get(f"/api/refunds/{pending}")
    async with api.client("buyer-2", "buyer") as http:
        hidden = await http.get(f"/api/refunds/{pending}/")
    assert (seen.status_code, hidden.status_code) == (200, 404)
    assert set(seen.json()) == REFUND_FIELDS


async def test_only_admins_decide_and_each_decision_is_an_update_of_the_refund(api: Api) -> None:
    url = api.settings.database_url
    order_id, payment_id, seller = paid_order(url)
    refund_id = seed_refund(url, order_id, payment_id)
    api.engine.reply = lambda _name, _arg: None
    for user, role in ((BUYER, "buyer"), (seller, "seller")):
        async with api.client(user, role) as http:
            answer = await http.post(f"/api/refunds/{refund_id}/approve/", json={})
        assert answer.status_code == 403
    async with api.client(ADMIN, "admin") as http:
        approved = await http.post(
            f"/api/refunds/{refund_id}/approve/",
            json={"refund_amount": "80.00", "admin_notes": "partly"},
        )
        rejected = await http.post(f"/api/refunds/{refund_id}/reject", json={"admin_notes": "no"})
        completed = await http.post(f"/api/refunds/{refund_id}/complete/")
        unknown = await http.post(f"/api/refunds/{uuid.uuid4()}/approve/", json={})
        bare_reject = await http.post(f"/api/refunds/{refund_id}/reject/", json={})
    assert [a.status_code for a in (approved, rejected, completed)] == [200, 200, 200]
    assert (unknown.status_code, bare_reject.status_code) == (404, 422)
    assert set(approved.json()) == REFUND_FIELDS
    names = [(workflow_id, name) for workflow_id, name, _, _ in api.engine.calls]
    assert names == [(f"refund-{refund_id}", n) for n in ("approve", "reject", "complete")]
    approve, reject = api.engine.calls[0][2], api.engine.calls[1][2]
    assert isinstance(approve, ApproveCommand) and approve.amount == Decimal("80.00")
    assert isinstance(reject, RejectCommand) and reject.actor == ADMIN


@pytest.mark.parametrize(
    "failure",
    [
        WorkflowUpdateFailedError(ApplicationError("no", type="invalid_transition")),
        RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b""),
    ],
)
async def test_a_decision_the_refund_refuses_is_409(api: Api, failure: Exception) -> None:
    url = api.settings.database_url
    order_id, payment_id, _ = paid_order(url)
    refund_id = seed_refund(url, order_id, payment_id, "rejected")

    def reply(name: str, arg: Any) -> Any:
        raise failure

    api.engine.reply = reply
    async with api.client(ADMIN, "admin") as http:
        answer = await http.post(f"/api/refunds/{refund_id}/approve/", json={})
        both = await http.post(
            f"/api/refunds/{refund_id}/approve/",
            json={"refund_amount": "1.00", "refund_percentage": "1"},
        )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "invalid_transition"
    assert both.status_code == 422


async def test_the_invoice_shows_what_refunds_gave_back(api: Api) -> None:
    url = api.settings.database_url
    order_id, payment_id, _ = paid_order(url)
    refund_id = seed_refund(url, order_id, payment_id, "completed")
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        invoice_id = order.invoice_id
    async with api.client(BUYER, "buyer") as http:
        invoice = (await http.get(f"/api/invoices/{invoice_id}/")).json()
        listed = (await http.get("/api/invoices/")).json()["items"]
    assert invoice["amount_refunded"] == "100.00"
    [note] = invoice["credit_notes"]
    assert set(note) == {"id", "credit_note_number", "refund_id", "amount", "created_at"}
    assert (note["refund_id"], note["amount"]) == (refund_id, "100.00")
    assert note["credit_note_number"].startswith("CN-")
    assert [i["credit_notes"] for i in listed if i["id"] == invoice_id] == [[note]]
