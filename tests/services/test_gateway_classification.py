"""Every way a gateway call can end becomes a typed ApplicationError the workflow understands."""

from decimal import Decimal
from typing import NoReturn

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.gateway import GatewayActivities, classified
from db.engine import session_scope
from db.tables import SandboxOperation
from domain.contracts import ChargeRequest
from services.gateways.base import (
    GatewayMisconfigured,
    GatewayUnavailable,
    OutcomeUnknown,
    PaymentDeclined,
)
from services.gateways.sandbox import SandboxGateway
from tests.services.helpers import uid


def raising(error: Exception) -> NoReturn:
    raise error


@pytest.mark.parametrize(
    ("error", "kind", "final"),
    [
        (PaymentDeclined("card_declined", "Your card was declined."), "card_declined", True),
        (OutcomeUnknown("read timed out"), "outcome_unknown", True),
        (GatewayMisconfigured("Invalid API Key provided"), "gateway_misconfigured", True),
        (GatewayUnavailable("429"), "gateway_unavailable", False),
        (PermissionError("ours, before sending"), "gateway_request_not_sent", False),
        (KeyError("a bug of ours"), "gateway_request_not_sent", False),
    ],
)
def test_every_exception_is_classified(error: Exception, kind: str, final: bool) -> None:
    with pytest.raises(ApplicationError) as raised:
        classified(lambda: raising(error))
    assert (raised.value.type, raised.value.non_retryable) == (kind, final)


@pytest.mark.postgres
def test_a_token_too_long_for_the_book_is_our_error_and_books_nothing(postgres_url: str) -> None:
    """The frozen order of issue 6: PostgreSQL refuses the INSERT (DataError). The activity says
    `not sent`, which the engine retries a bounded number of times; nothing is on the book."""
    activities = GatewayActivities(SandboxGateway(postgres_url))
    request = ChargeRequest(
        payment_id=uid("pay"),
        idempotency_key=uid("charge"),
        amount=Decimal("10.00"),
        currency="USD",
        card_token="tok_" + "x" * 96,
        description="Order ORD-2026-000001",
    )
    with pytest.raises(ApplicationError) as raised:
        activities.charge(request)
    assert (raised.value.type, raised.value.non_retryable) == ("gateway_request_not_sent", False)
    with session_scope(postgres_url) as session:
        booked = session.scalars(
            select(SandboxOperation).where(
                SandboxOperation.idempotency_key == request.idempotency_key
            )
        ).all()
    assert booked == []
