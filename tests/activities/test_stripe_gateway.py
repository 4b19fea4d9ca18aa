"""The Stripe gateway against a local server answering like Stripe (tests/fake_stripe.py)."""

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from services.gateways.base import GatewayUnavailable, OutcomeUnknown, PaymentDeclined
from services.gateways.stripe_gateway import StripeGateway
from tests.fake_stripe import FakeStripe, free_port, running_fake_stripe
from workflows.contracts import ChargeRequest, RefundRequest


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


def test_server_errors_are_transient_and_the_key_makes_the_retry_safe(
    fake: tuple[FakeStripe, StripeGateway],
) -> None:
    server, gateway = fake
    request = charge("tok_processingError")
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            gateway.charge(request)
    assert gateway.charge(request).transaction_id
    assert server.created[request.idempotency_key] == 1


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
    refund = RefundRequest(
        payment_id="p",
        idempotency_key=f"refund-{uuid.uuid4()}",
        transaction_id=made.transaction_id,
        amount=Decimal("60.00"),
        currency="USD",
    )
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


def test_no_answer_is_an_unknown_outcome() -> None:
    gateway = StripeGateway("sk_test_fake", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(OutcomeUnknown):
        gateway.charge(charge("tok_visa"))
