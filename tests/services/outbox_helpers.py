"""A bank transfer asked for on an admitted order (its invoice issued and mailed at that step),
and a Temporal client that records the workflows it is asked to start."""

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from db.engine import session_scope
from db.types import utcnow
from domain.contracts import BankTransferRequested, Deadline, PaymentAttempt
from services import user_emails
from tests.services.helpers import admit, new_order
from tests.support import make_listing


class RecordingClient:
    def __init__(self) -> None:
        self.started: list[str] = []

    async def start_workflow(self, workflow: Any, arg: Any, **kwargs: Any) -> None:
        self.started.append(kwargs["id"])


def transfer_asked(url: str) -> tuple[PaymentAttempt, BankTransferRequested, str]:
    new = new_order(make_listing(url))
    admit(url, new)
    with session_scope(url) as session:
        user_emails.remember(session, new.buyer_id, "ada@buyers.test", utcnow())
    payment_id = str(uuid.uuid4())
    attempt = PaymentAttempt(
        order_id=new.order_id,
        payment_id=payment_id,
        payment_method="bank_transfer",
        gateway="offline",
        amount="1524.00",
        currency="USD",
        attempt=1,
    )
    due = utcnow() + timedelta(days=3)
    request = BankTransferRequested(
        order_id=new.order_id,
        payment_id=payment_id,
        account="IBAN X",
        due=due,
        actor=new.buyer_id,
        at=utcnow(),
        deadline=Deadline(
            kind="bank_transfer", at=datetime.combine(due.date(), time(23, 59, 59), UTC)
        ),
    )
    return attempt, request, new.order_id
