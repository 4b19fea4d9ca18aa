"""Activities that write the order's read model; each is idempotent by its business key."""

from temporalio import activity

from activities.outbox import DatabaseActivities
from db.types import utcnow
from domain.contracts import (
    AdminAlert,
    Admission,
    BankTransferRequested,
    Cancellation,
    CancelRequested,
    DiscountApplied,
    GatewayEventSeen,
    InvoiceOverdue,
    NewOrder,
    OutcomeUnknown,
    PaymentAttempt,
    PaymentCompleted,
    PaymentFailed,
    PaymentOutcome,
    PayoutDue,
    RefundSettled,
    Transition,
    WalletCharge,
)
from services import (
    admission,
    fulfilment,
    notifications,
    order_discounts,
    payments,
    seller_payouts,
    wallet_payments,
)


class OrderActivities(DatabaseActivities):
    @activity.defn
    def admit_order(self, new: NewOrder) -> Admission:
        with self._tx() as session:
            return admission.admit_order(session, new, utcnow())

    @activity.defn
    def begin_payment_attempt(self, attempt: PaymentAttempt) -> None:
        with self._tx() as session:
            payments.begin_attempt(session, attempt)

    @activity.defn
    def request_bank_transfer(self, request: BankTransferRequested) -> None:
        with self._tx() as session:
            payments.request_bank_transfer(session, request)

    @activity.defn
    def mark_invoice_overdue(self, overdue: InvoiceOverdue) -> None:
        with self._tx() as session:
            payments.mark_overdue(session, overdue)

    @activity.defn
    def note_unknown_outcome(self, unknown: OutcomeUnknown) -> None:
        with self._tx() as session:
            payments.note_unknown_outcome(session, unknown)

    @activity.defn
    def record_gateway_event(self, seen: GatewayEventSeen) -> None:
        with self._tx() as session:
            payments.record_gateway_event(session, seen)

    @activity.defn
    def complete_payment(self, done: PaymentCompleted) -> None:
        with self._tx() as session:
            payments.complete(session, done)

    @activity.defn
    def apply_discount(self, applied: DiscountApplied) -> Admission:
        """The code's use reserved and the pending order re-totalled, or the refusal."""
        with self._tx() as session:
            return order_discounts.apply_to_pending(session, applied)

    @activity.defn
    def pay_from_wallet(self, charge: WalletCharge) -> PaymentOutcome:
        with self._tx() as session:
            return wallet_payments.pay_from_wallet(session, charge)

    @activity.defn
    def pay_out(self, due: PayoutDue) -> None:
        with self._tx() as session:
            seller_payouts.pay_out(session, due)

    @activity.defn
    def fail_payment(self, failed: PaymentFailed) -> None:
        with self._tx() as session:
            payments.fail(session, failed)

    @activity.defn
    def record_transition(self, transition: Transition) -> None:
        with self._tx() as session:
            fulfilment.apply(session, transition)

    @activity.defn
    def cancel_order(self, cancellation: Cancellation) -> None:
        with self._tx() as session:
            fulfilment.cancel(session, cancellation)

    @activity.defn
    def note_cancel_requested(self, request: CancelRequested) -> None:
        with self._tx() as session:
            fulfilment.note_cancel_requested(session, request)

    @activity.defn
    def settle_refund(self, settled: RefundSettled) -> None:
        with self._tx() as session:
            payments.settle_refund(session, settled)

    @activity.defn
    def alert_admins(self, alert: AdminAlert) -> None:
        with self._tx() as session:
            notifications.alert_admins(session, alert)
