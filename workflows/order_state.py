"""Where one order stands: everything OrderWorkflow knows, carried whole into a continued run,
and mirrored into the Temporal UI (search attributes, the current details line)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.contracts import (
        Admission,
        CancelCommand,
        CarriedState,
        Deadline,
        DeadlineKind,
        PaymentCompleted,
        PayoutPlan,
        RefundRequest,
    )
    from domain.order_states import OrderStatus
    from domain.summary import order_summary
    from workflows import search_attributes as sa

# Gateway event ids remembered to drop repeats: enough for any order, bounded for the history.
SEEN_EVENTS = 200
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class OrderState:
    admission: Admission | None = None
    status: OrderStatus | None = None
    # The next durable timer of the phase the order is in.
    deadline: datetime = NEVER
    attempts: dict[str, int] = field(default_factory=dict)
    paid: PaymentCompleted | None = None
    # The payment id of a bank transfer the buyer asked for, until it is confirmed.
    bank_transfer: str | None = None
    gateway_events: dict[str, None] = field(default_factory=dict)
    # A refund the gateway accepted but has not sent yet.
    refund_pending: RefundRequest | None = None
    # Delivered: what the seller is paid when the escrow hold ends (None: a run from before
    # payouts, which ends at delivery).
    payout: PayoutPlan | None = None
    # What refunds gave back so far, and the refund that is open (one at a time).
    refunded: Decimal = Decimal("0.00")
    open_refund: str | None = None
    # Every refund this order started, so that a repeated request never starts one twice.
    refunds_asked: list[str] = field(default_factory=list)
    # The seller was paid: the refund window is closed.
    paid_out: bool = False
    # The bank transfer's invoice went overdue: the order waits out its grace, then is cancelled.
    overdue: bool = False
    # Only while a charge runs: neither is ever carried into a continued run.
    charging: bool = False
    cancel_request: CancelCommand | None = None

    @property
    def admitted(self) -> Admission:
        assert self.admission is not None, "the order is not admitted yet"
        return self.admission

    @property
    def current(self) -> OrderStatus:
        assert self.status is not None, "the order is not admitted yet"
        return self.status

    def enter(self, status: OrderStatus, deadline: Deadline | None) -> None:
        """The order moves on; the phase it enters waits until `deadline`."""
        self.status = status
        if deadline is not None:
            self.deadline = deadline.at

    def next_attempt(self, payment_id: str) -> int:
        attempt = self.attempts.get(payment_id, 0) + 1
        self.attempts[payment_id] = attempt
        return attempt

    def first_sight(self, event_id: str) -> bool:
        """True the first time a gateway event id is seen (of the last SEEN_EVENTS)."""
        if event_id in self.gateway_events:
            return False
        self.gateway_events[event_id] = None
        while len(self.gateway_events) > SEEN_EVENTS:
            del self.gateway_events[next(iter(self.gateway_events))]
        return True

    def carry(self) -> CarriedState:
        return CarriedState(
            admission=self.admitted,
            status=self.current.value,
            deadline=self.deadline,
            attempts=self.attempts,
            paid=self.paid,
            bank_transfer=self.bank_transfer,
            gateway_events=list(self.gateway_events),
            refund_pending=self.refund_pending,
            payout=self.payout,
            refunded=self.refunded,
            open_refund=self.open_refund,
            refunds_asked=self.refunds_asked,
            overdue=self.overdue,
        )

    @classmethod
    def restored(cls, carried: CarriedState) -> "OrderState":
        return cls(
            admission=carried.admission,
            status=OrderStatus(carried.status),
            deadline=carried.deadline,
            attempts=dict(carried.attempts),
            paid=carried.paid,
            bank_transfer=carried.bank_transfer,
            gateway_events=dict.fromkeys(carried.gateway_events),
            refund_pending=carried.refund_pending,
            payout=carried.payout,
            refunded=carried.refunded,
            open_refund=carried.open_refund,
            refunds_asked=list(carried.refunds_asked),
            overdue=carried.overdue,
        )

    def publish(self) -> None:
        """Mirror the order into its search attributes so ops can find it in the UI."""
        admission = self.admitted
        workflow.upsert_search_attributes(
            [
                sa.ORDER_STATUS.value_set(self.current.value),
                sa.ORDER_NUMBER.value_set(admission.order_number or ""),
                sa.BUYER_ID.value_set(admission.buyer_id),
                sa.SELLER_ID.value_set(admission.seller_id),
                sa.ORDER_TOTAL.value_set(float(admission.total_amount)),
            ]
        )
        self.describe()

    def describe(self) -> None:
        """The order's line in the UI (current details): set, not a command, so the history and
        its replay are untouched."""
        admission = self.admitted
        line = order_summary(
            admission.order_number, admission.total_amount, admission.currency, admission.item_name
        )
        workflow.set_current_details(f"{line}\n\nstatus: {self.current.value}")


def due_in(kind: DeadlineKind, lasts: timedelta) -> Deadline:
    """The timer of a phase that starts now."""
    return Deadline(kind=kind, at=workflow.now() + lasts)
