from decimal import Decimal

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.gateway import GatewayActivities
from db.engine import session_scope
from db.tables import SandboxOperation
from domain.contracts import ChargeRequest, ChargeResult, RefundRequest
from services.gateways.base import GatewayUnavailable, OutcomeUnknown, PaymentDeclined
from services.gateways.sandbox import SandboxGateway
from tests.services.helpers import uid


def charge_request(
    token: str = "tok_visa", amount: str = "1524.00", key: str = ""
) -> ChargeRequest:
    return ChargeRequest(
        payment_id=uid("pay"),
        idempotency_key=key or uid("charge"),
        amount=Decimal(amount),
        currency="USD",
        card_token=token,
        description="Order ORD-2026-000001",
    )


def refund_request(charge: ChargeResult, amount: str = "1524.00", key: str = "") -> RefundRequest:
    return RefundRequest(
        payment_id=uid("pay"),
        idempotency_key=key or uid("refund"),
        transaction_id=charge.transaction_id,
        amount=Decimal(amount),
        currency="USD",
    )


def book(url: str, key: str) -> SandboxOperation:
    with session_scope(url) as session:
        op = session.get(SandboxOperation, key)
        assert op is not None
        return op


def test_charge_with_one_key_charges_once(database_url: str) -> None:
    gateway, request = SandboxGateway(database_url), charge_request()
    first = gateway.charge(request)
    second = gateway.charge(request)
    assert first == second
    assert first.transaction_id.startswith("ch_sandbox_")
    assert first.gateway_response["amount"] == "1524.00"
    op = book(database_url, request.idempotency_key)
    assert (op.kind, op.status, op.calls, op.amount) == (
        "charge",
        "succeeded",
        2,
        Decimal("1524.00"),
    )
    with session_scope(database_url) as session:
        ids = session.scalars(
            select(SandboxOperation.transaction_id).where(
                SandboxOperation.transaction_id == first.transaction_id
            )
        ).all()
    assert ids == [first.transaction_id]


def test_different_keys_are_different_charges(database_url: str) -> None:
    gateway = SandboxGateway(database_url)
    assert (
        gateway.charge(charge_request()).transaction_id
        != gateway.charge(charge_request()).transaction_id
    )


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("tok_nonsense", "invalid_card_token"),
    ],
)
def test_declined_cards(database_url: str, token: str, code: str) -> None:
    gateway, request = SandboxGateway(database_url), charge_request(token)
    for _ in range(2):
        with pytest.raises(PaymentDeclined) as raised:
            gateway.charge(request)
        assert raised.value.code == code
    op = book(database_url, request.idempotency_key)
    assert (op.status, op.calls, op.transaction_id) == ("declined", 2, None)


def test_processing_error_is_transient_twice_then_succeeds(database_url: str) -> None:
    gateway, request = SandboxGateway(database_url), charge_request("tok_processingError")
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            gateway.charge(request)
        assert book(database_url, request.idempotency_key).status == "errored"
    result = gateway.charge(request)
    assert gateway.charge(request) == result
    op = book(database_url, request.idempotency_key)
    assert (op.status, op.calls, op.transaction_id) == ("succeeded", 4, result.transaction_id)


def test_refund_with_one_key_refunds_once(database_url: str) -> None:
    gateway = SandboxGateway(database_url)
    charge = gateway.charge(charge_request())
    request = refund_request(charge)
    first = gateway.refund(request)
    assert gateway.refund(request) == first
    assert first.refund_id.startswith("re_sandbox_")
    assert first.gateway_response["charge"] == charge.transaction_id
    with session_scope(database_url) as session:
        refunds = session.scalars(
            select(SandboxOperation).where(
                SandboxOperation.kind == "refund",
                SandboxOperation.charge_id == charge.transaction_id,
            )
        ).all()
        assert [(r.calls, r.amount) for r in refunds] == [(2, Decimal("1524.00"))]


@pytest.mark.parametrize("transaction_id", ["ch_sandbox_ghost", ""])
def test_refund_of_an_unknown_charge_is_refused(database_url: str, transaction_id: str) -> None:
    gateway = SandboxGateway(database_url)
    request = refund_request(ChargeResult(transaction_id=transaction_id, gateway_response={}))
    with pytest.raises(PaymentDeclined) as raised:
        gateway.refund(request)
    assert raised.value.code == "charge_not_found"
    with session_scope(database_url) as session:
        assert session.get(SandboxOperation, request.idempotency_key) is None


def test_charge_key_reused_with_another_amount(database_url: str) -> None:
    gateway, request = SandboxGateway(database_url), charge_request(amount="10.00")
    gateway.charge(request)
    with pytest.raises(PaymentDeclined) as raised:
        gateway.charge(charge_request(amount="10.01", key=request.idempotency_key))
    assert raised.value.code == "idempotency_key_reused"
    assert book(database_url, request.idempotency_key).calls == 1


def test_refund_key_reused_with_another_amount_or_kind(database_url: str) -> None:
    gateway = SandboxGateway(database_url)
    charge_req = charge_request()
    charge = gateway.charge(charge_req)
    refund = refund_request(charge, amount="100.00")
    gateway.refund(refund)
    for reused in (
        refund_request(charge, amount="200.00", key=refund.idempotency_key),
        refund_request(charge, key=charge_req.idempotency_key),
    ):
        with pytest.raises(PaymentDeclined) as raised:
            gateway.refund(reused)
        assert raised.value.code == "idempotency_key_reused"
    assert book(database_url, refund.idempotency_key).calls == 1


def test_activity_turns_a_decline_into_a_non_retryable_error(database_url: str) -> None:
    activities = GatewayActivities(SandboxGateway(database_url))
    with pytest.raises(ApplicationError) as raised:
        activities.charge(charge_request("tok_chargeDeclinedInsufficientFunds"))
    assert (raised.value.type, raised.value.non_retryable) == ("insufficient_funds", True)
    with pytest.raises(ApplicationError) as transient:
        activities.charge(charge_request("tok_processingError"))
    assert (transient.value.type, transient.value.non_retryable) == ("gateway_unavailable", False)


def test_lost_before_booking_is_unknown_and_never_on_the_book(database_url: str) -> None:
    gateway = SandboxGateway(database_url, lost_before_booking=1)
    request = charge_request()
    with pytest.raises(OutcomeUnknown):
        gateway.charge(request)
    assert gateway.find_charge(request.idempotency_key).status == "not_found"
    assert gateway.charge(request).transaction_id
    assert book(database_url, request.idempotency_key).calls == 1


def test_pending_lookups_answer_pending_then_the_truth(database_url: str) -> None:
    gateway = SandboxGateway(database_url, pending_lookups=2)
    request = charge_request()
    charged = gateway.charge(request)
    statuses = [gateway.find_charge(request.idempotency_key).status for _ in range(3)]
    assert statuses == ["pending", "pending", "succeeded"]
    assert gateway.find_charge(request.idempotency_key).result == charged


def test_find_refund_by_its_key(database_url: str) -> None:
    gateway = SandboxGateway(database_url)
    charge = gateway.charge(charge_request(amount="10.00"))
    refund = refund_request(charge, amount="10.00")
    assert gateway.find_refund(refund).status == "not_found"
    made = gateway.refund(refund)
    found = gateway.find_refund(refund)
    assert (found.status, found.result) == ("succeeded", made)


def test_refund_above_the_charged_amount_is_refused(database_url: str) -> None:
    gateway = SandboxGateway(database_url)
    charge = gateway.charge(charge_request(amount="10.00"))
    gateway.refund(refund_request(charge, amount="6.00"))
    with pytest.raises(PaymentDeclined) as raised:
        gateway.refund(refund_request(charge, amount="6.00"))
    assert raised.value.code == "amount_too_large"


def test_find_charge_tells_what_the_gateway_knows(database_url: str) -> None:
    gateway = SandboxGateway(database_url)
    request = charge_request("tok_visa")
    assert gateway.find_charge(request.idempotency_key).status == "not_found"
    charged = gateway.charge(request)
    found = gateway.find_charge(request.idempotency_key)
    assert (found.status, found.result) == ("succeeded", charged)
    declined = charge_request("tok_chargeDeclined")
    with pytest.raises(PaymentDeclined):
        gateway.charge(declined)
    lookup = gateway.find_charge(declined.idempotency_key)
    assert (lookup.status, lookup.error_code) == ("declined", "card_declined")
