"""Activities of refunds: the refund's row, its steps and its money; each idempotent by the
refund's id (and the step)."""

from temporalio import activity

from activities.outbox import DatabaseActivities
from domain.refund_contracts import PayoutReleased, RefundOpened, RefundReminder, RefundStep
from services import refunds


class RefundActivities(DatabaseActivities):
    @activity.defn
    def open_refund(self, opened: RefundOpened) -> None:
        """The buyer's request, accepted by the order's workflow: the row, the timeline, the
        payout held, everyone told."""
        with self._tx() as session:
            refunds.open_refund(session, opened)

    @activity.defn
    def record_refund_step(self, step: RefundStep) -> None:
        """approved, processing or rejected: the row, the timeline, the notifications."""
        with self._tx() as session:
            refunds.record_step(session, step)

    @activity.defn
    def complete_refund(self, step: RefundStep) -> None:
        """The money went back: ledger, payment and order amounts, the credit note, in one
        transaction."""
        with self._tx() as session:
            refunds.complete(session, step)

    @activity.defn
    def remind_admins(self, reminder: RefundReminder) -> None:
        with self._tx() as session:
            refunds.remind_admins(session, reminder)

    @activity.defn
    def release_payout(self, released: PayoutReleased) -> None:
        with self._tx() as session:
            refunds.release_payout(session, released)
