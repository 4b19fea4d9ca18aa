"""Activities of refunds: the refund's row, its steps and its money; each idempotent by the
refund's id (and the step)."""

from temporalio import activity

from db.engine import session_scope
from domain.refund_contracts import PayoutReleased, RefundOpened, RefundReminder, RefundStep
from services import refunds


class RefundActivities:
    def __init__(self, database_url: str) -> None:
        self._url = database_url

    @activity.defn
    def open_refund(self, opened: RefundOpened) -> None:
        """The buyer's request, accepted by the order's workflow: the row, the timeline, the
        payout held, everyone told."""
        with session_scope(self._url) as session:
            refunds.open_refund(session, opened)

    @activity.defn
    def record_refund_step(self, step: RefundStep) -> None:
        """approved, processing or rejected: the row, the timeline, the notifications."""
        with session_scope(self._url) as session:
            refunds.record_step(session, step)

    @activity.defn
    def complete_refund(self, step: RefundStep) -> None:
        """The money went back: ledger, payment and order amounts, the credit note, in one
        transaction."""
        with session_scope(self._url) as session:
            refunds.complete(session, step)

    @activity.defn
    def remind_admins(self, reminder: RefundReminder) -> None:
        with session_scope(self._url) as session:
            refunds.remind_admins(session, reminder)

    @activity.defn
    def release_payout(self, released: PayoutReleased) -> None:
        with session_scope(self._url) as session:
            refunds.release_payout(session, released)
