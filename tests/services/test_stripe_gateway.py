"""The Stripe gateway against a local server answering like Stripe (tests/fake_stripe.py)."""

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from domain.contracts import ChargeRequest, ChargeResult, RefundRequest
from services.gateways.base import (
    GatewayMisconfigured,
    GatewayUnavailable,
    OutcomeUnknown,
    PaymentDeclined,
)
from services.gateways.stripe_gateway import StripeGateway
from tests.fake_stripe import FakeStripe, free_port, running_fake_stripe


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeStripe, StripeGateway]]:
    with running_fake_stripe() as (server, url):
        yield server, StripeGateway("sk_test_fake", url)


def charge(token: str, amount: str = "1524.00") -> ChargeRequest:
    return ChargeRequest(
        payment_id=str(uuid.uuid4()),
        idempotency_key=f"key-{uuid.uuid4()}",
        amount=Decimal(amount),
        currency="USD",
        card_token=token,
        description="Order ORD-2026-000001",
    )


def refund_of(made: ChargeResult, amount: str) -> RefundRequest:
    return RefundRequest(
        payment_id="p",
        idempotency_key=f"refund-{uuid.uuid4()}",
        transaction_id=made.transaction_id,
        amount=Decimal(amount),
        currency="USD",
    )


def test_a_charge_succeeds_once_per_key(fake: tuple[FakeStripe, StripeGateway]) -> None:
    server, gateway = fake
    request = charge("tok_visa")
    first, again = gateway.charge(request), gateway.charge(request)
    assert first.transaction_id.startswith("pi_")
    assert again.transaction_id == first.transaction_id
    assert server.created[request.idempotency_key] == 1
    assert server.intents[first.transaction_id]["amount"] == 152400


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("tok_unknown", "invalid_request"),
    ],
)
def test_declines_are_mapped(fake: tuple[FakeStripe, StripeGateway], token: str, code: str) -> None:
    _, gateway = fake
    request = charge(token)
    with pytest.raises(PaymentDeclined) as declined:
        gateway.charge(request)
    assert declined.value.code == code
    if code != "invalid_request":
        lookup = gateway.find_charge(request.idempotency_key)
        assert (lookup.status, lookup.error_code) == ("declined", code)


def test_a_server_error_is_an_unknown_outcome_found_by_its_key(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    server, gateway = fake
    request = charge("tok_processingError")
    for _ in range(2):  # Stripe replays the saved 500 under the same key
        with pytest.raises(OutcomeUnknown):
            gateway.charge(request)
    assert server.created[request.idempotency_key] == 1
    found = gateway.find_charge(request.idempotency_key)
    assert found.status == "succeeded" and found.result is not None
    assert server.intents[found.result.transaction_id]["amount"] == 152400
    assert "client_secret" not in found.result.gateway_response


def test_the_client_secret_is_kept_nowhere(fake: tuple[FakeStripe, StripeGateway]) -> None:
    server, gateway = fake
    made = gateway.charge(charge("tok_visa"))
    assert "client_secret" in server.intents[made.transaction_id]
    assert "client_secret" not in made.gateway_response
    assert "pi_secret" not in repr(made)


def test_a_rejected_key_is_a_misconfiguration_not_a_decline(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    server, gateway = fake
    server.reject_key = True
    try:
        with pytest.raises(GatewayMisconfigured):
            gateway.charge(charge("tok_visa"))
        with pytest.raises(GatewayMisconfigured):
            gateway.find_charge("any")
    finally:
        server.reject_key = False


def test_a_concurrent_request_on_the_key_is_transient(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    server, gateway = fake
    request = charge("tok_visa")
    server.conflicts = 1
    with pytest.raises(GatewayUnavailable):
        gateway.charge(request)
    assert gateway.charge(request).transaction_id
    assert server.created[request.idempotency_key] == 1


def test_a_pending_refund_is_not_a_refund_until_stripe_says_so(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    server, gateway = fake
    made = gateway.charge(charge("tok_visa", "100.00"))
    refund = refund_of(made, "100.00")
    server.refund_status = "pending"
    try:
        taken = gateway.refund(refund)
    finally:
        server.refund_status = "succeeded"
    assert taken.status == "pending"
    assert gateway.find_refund(refund).status == "pending"
    server.settle_refund(taken.refund_id, "succeeded")
    settled = gateway.find_refund(refund)
    assert settled.status == "succeeded" and settled.result is not None
    assert settled.result.refund_id == taken.refund_id
    other = refund.model_copy(update={"idempotency_key": "never-sent"})
    assert gateway.find_refund(other).status == "not_found"
    failed = gateway.charge(charge("tok_visa", "5.00"))
    server.refund_status = "failed"
    try:
        with pytest.raises(PaymentDeclined) as refused:
            gateway.refund(refund_of(failed, "5.00"))
    finally:
        server.refund_status = "succeeded"
    assert refused.value.code == "refund_failed"


def test_find_charge_by_key(fake: tuple[FakeStripe, StripeGateway]) -> None:
    _, gateway = fake
    request = charge("tok_mastercard")
    assert gateway.find_charge(request.idempotency_key).status == "not_found"
    made = gateway.charge(request)
    found = gateway.find_charge(request.idempotency_key)
    assert found.status == "succeeded"
    assert found.result is not None and found.result.transaction_id == made.transaction_id


def test_refunds_once_per_key_and_never_above_the_charge(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    server, gateway = fake
    made = gateway.charge(charge("tok_visa", "100.00"))
    refund = refund_of(made, "60.00")
    first, again = gateway.refund(refund), gateway.refund(refund)
    assert first.refund_id == again.refund_id
    assert [
        r["amount"] for r in server.refunds.values() if r["payment_intent"] == made.transaction_id
    ] == [6000]
    with pytest.raises(PaymentDeclined):
        gateway.refund(refund.model_copy(update={"idempotency_key": f"more-{uuid.uuid4()}"}))


def test_a_key_reused_with_other_parameters_is_refused(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    _, gateway = fake
    request = charge("tok_visa")
    gateway.charge(request)
    with pytest.raises(PaymentDeclined) as refused:
        gateway.charge(request.model_copy(update={"amount": Decimal("1.00")}))
    assert refused.value.code == "idempotency_key_reused"


def test_a_refused_connection_was_never_sent() -> None:
    gateway = StripeGateway("sk_test_fake", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(GatewayUnavailable):
        gateway.charge(charge("tok_visa"))
