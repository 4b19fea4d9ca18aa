"""Refund records and money on SQLite and PostgreSQL: each step may run twice and changes
things once; the money leaves escrow once per refund; a cancel after partial refunds gives back
only the rest; credit notes are numbered without gaps."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from db.engine import session_scope
from db.tables import CreditNote, Invoice, LedgerTransfer, Order, OrderEvent, Payment, Refund
from domain.contracts import Cancellation, PayoutPlan, RefundResult
from domain.ledger import CLEARING, ESCROW
from domain.refund_contracts import PayoutReleased, RefundReminder
from services import fulfilment, refunds
from services.notifications import ADMINS
from tests.services.helpers import count, fresh_year
from tests.services.ledger_helpers import account_id, balance, checked, open_wallet
from tests.services.refund_helpers import (
    AT,
    TOTAL,
    notices,
    open_and_complete,
    opened,
    order_row,
    paid_order,
    refund_row,
    step,
)
from tests.services.test_ledger_race import race


def test_a_request_opened_twice_is_one_row_one_line_and_holds_the_payout(
    database_url: str,
) -> None:
    paid = paid_order(database_url)
    with session_scope(database_url) as session:
        held = session.get(Order, paid.order_id)
        assert held is not None
        held.payout_status, held.deadline_kind, held.deadline_at = "scheduled", "payout", AT
    refund = opened(paid, "500.00")
    for _ in range(2):
        with session_scope(database_url) as session:
            refunds.open_refund(session, refund)

    assert count(database_url, Refund, Refund.order_id == paid.order_id) == 1
    row = refund_row(database_url, refund.refund_id)
    assert (row.status, row.refund_amount, row.route, row.workflow_id) == (
        "pending",
        Decimal("500.00"),
        "gateway",
        f"refund-{refund.refund_id}",
    )
    order = order_row(database_url, paid.order_id)
    assert (order.payout_status, order.deadline_kind) == ("held", None)
    lines = _timeline(database_url, paid.order_id, "refund_requested")
    assert lines == [f"500.00 {paid.currency} asked (damaged)"]
    assert notices(database_url, refund.refund_id) == sorted(
        [
            ("refund_requested", paid.buyer_id),
            ("refund_requested", paid.seller_id),
            ("refund_requested", ADMINS),
        ]
    )


def test_a_completion_run_twice_moves_the_money_and_numbers_a_credit_note_once(
    database_url: str,
) -> None:
    paid = paid_order(database_url)
    refund = opened(paid, "600.00")
    with session_scope(database_url) as session:
        refunds.open_refund(session, refund)
    for _ in range(2):  # the admin lowers it; the step runs twice
        with session_scope(database_url) as session:
            refunds.record_step(session, step(refund, "approved", "500.00", notes="half"))
    for late in (timedelta(0), timedelta(minutes=5)):
        with session_scope(database_url) as session:
            refunds.complete(session, step(refund, "completed", "500.00", at=AT + late))

    row = refund_row(database_url, refund.refund_id)
    assert (row.status, row.refund_amount, row.completed_at, row.gateway_refund_id) == (
        "completed",
        Decimal("500.00"),
        AT,
        "re_1",
    )
    assert (row.approved_at, row.admin_notes) == (AT, "half")
    key = LedgerTransfer.key == f"refund:{refund.refund_id}"
    assert count(database_url, LedgerTransfer, key) == 1
    assert balance(database_url, account_id(database_url, ESCROW, paid.currency)) == Decimal(
        "1024.00"
    )
    assert balance(database_url, account_id(database_url, CLEARING, paid.currency)) == -Decimal(
        "1024.00"
    )
    with session_scope(database_url, read_only=True) as session:
        payment = session.get(Payment, paid.payment_id)
        assert payment is not None
        assert (payment.status, payment.refunded_amount) == (
            "partially_refunded",
            Decimal("500.00"),
        )
        notes = list(session.scalars(select(CreditNote).where(CreditNote.refund_id == row.id)))
        assert len(notes) == 1 and notes[0].id == row.credit_note_id
        assert re.fullmatch(r"CN-2026-\d{6}", notes[0].credit_note_number)
        assert notes[0].amount == Decimal("500.00")
        invoice = session.get(Invoice, notes[0].invoice_id)
        assert invoice is not None
        assert (invoice.amount_refunded, invoice.status, invoice.total) == (
            Decimal("500.00"),
            "paid",
            TOTAL,
        )
    order = order_row(database_url, paid.order_id)
    assert (order.status, order.refunded_amount) == ("confirmed", Decimal("500.00"))
    assert _timeline(database_url, paid.order_id, "refund_completed") == [
        "500.00 " + paid.currency + " refunded (to the original payment method)"
    ]
    assert [n for n in notices(database_url, refund.refund_id) if n[0] != "refund_requested"] == (
        sorted(
            [
                (kind, user)
                for kind in ("refund_approved", "refund_completed")
                for user in (paid.buyer_id, paid.seller_id, ADMINS)
            ]
        )
    )
    assert checked(database_url, paid.currency).balanced


def test_a_full_refund_refunds_the_order(database_url: str) -> None:
    paid = paid_order(database_url)
    wallet = open_wallet(database_url, paid.buyer_id, paid.currency)
    refund = opened(paid, "1524.00", route="wallet")
    open_and_complete(database_url, refund)

    order = order_row(database_url, paid.order_id)
    assert (order.status, order.refunded_amount, order.deadline_kind) == (
        "refunded",
        TOTAL,
        None,
    )
    with session_scope(database_url, read_only=True) as session:
        payment = session.get(Payment, paid.payment_id)
        assert payment is not None and payment.status == "refunded"
        event = session.scalars(
            select(OrderEvent).where(OrderEvent.key == f"refund_completed:{refund.refund_id}")
        ).one()
        assert (event.status, event.event) == ("refunded", "refund_completed")
    assert balance(database_url, wallet) == TOTAL
    assert checked(database_url, paid.currency).balanced


def test_two_partial_refunds_then_a_cancel_give_back_only_the_rest(database_url: str) -> None:
    paid = paid_order(database_url)
    wallet = open_wallet(database_url, paid.buyer_id, paid.currency)
    open_and_complete(database_url, opened(paid, "100.00", route="wallet"))
    open_and_complete(database_url, opened(paid, "200.00"))
    escrow = account_id(database_url, ESCROW, paid.currency)
    assert balance(database_url, escrow) == Decimal("1224.00")

    cancel = Cancellation(
        order_id=paid.order_id,
        reason="seller_did_not_ship",
        actor="system",
        at=AT,
        refund=RefundResult(refund_id="re_rest", gateway_response={}),
        refunded_amount=TOTAL,
    )
    for _ in range(2):
        with session_scope(database_url) as session:
            fulfilment.cancel(session, cancel)

    assert balance(database_url, escrow) == Decimal("0.00")
    assert balance(database_url, wallet) == Decimal("100.00")
    with session_scope(database_url, read_only=True) as session:
        back = session.scalars(
            select(LedgerTransfer.amount).where(
                LedgerTransfer.key == f"order:{paid.order_id}:escrow-return"
            )
        ).one()
    assert back == Decimal("1224.00")
    assert checked(database_url, paid.currency).balanced


def test_a_rejection_moves_nothing_and_a_late_approval_does_not_undo_it(
    database_url: str,
) -> None:
    paid = paid_order(database_url)
    refund = opened(paid, "300.00")
    with session_scope(database_url) as session:
        refunds.open_refund(session, refund)
    for status in ("rejected", "rejected", "approved"):
        with session_scope(database_url) as session:
            refunds.record_step(session, step(refund, status, notes="used, not damaged"))

    row = refund_row(database_url, refund.refund_id)
    assert (row.status, row.rejected_at, row.approved_at, row.admin_notes) == (
        "rejected",
        AT,
        None,
        "used, not damaged",
    )
    assert count(database_url, LedgerTransfer, LedgerTransfer.refund_id == refund.refund_id) == 0
    assert ("refund_rejected", paid.buyer_id) in notices(database_url, refund.refund_id)


def test_processing_keeps_the_admins_words_on_the_timeline_and_tells_no_one(
    database_url: str,
) -> None:
    paid = paid_order(database_url)
    refund = opened(paid, "300.00")
    notes = "the gateway refused: refund by hand, then complete"
    with session_scope(database_url) as session:
        refunds.open_refund(session, refund)
    for status in ("approved", "processing", "processing"):
        with session_scope(database_url) as session:
            refunds.record_step(session, step(refund, status, notes=notes))

    row = refund_row(database_url, refund.refund_id)
    assert (row.status, row.admin_notes) == ("processing", notes)
    assert _timeline(database_url, paid.order_id, "refund_processing") == [
        f"300.00 {paid.currency} being refunded: {notes}"
    ]
    assert not [n for n in notices(database_url, refund.refund_id) if "processing" in n[0]]


def test_reminders_are_one_admin_notification_per_count(database_url: str) -> None:
    paid = paid_order(database_url)
    refund = opened(paid, "300.00")
    with session_scope(database_url) as session:
        refunds.open_refund(session, refund)
    for n in (1, 1, 2):
        reminder = RefundReminder(
            refund_id=refund.refund_id, order_id=paid.order_id, count=n, at=AT
        )
        with session_scope(database_url) as session:
            refunds.remind_admins(session, reminder)

    reminders = [n for n in notices(database_url, refund.refund_id) if "reminder" in n[0]]
    assert reminders == [("refund_review_reminder", ADMINS)] * 2


def test_a_released_payout_is_scheduled_again_or_cleared(database_url: str) -> None:
    paid = paid_order(database_url)
    with session_scope(database_url) as session:
        refunds.open_refund(session, opened(paid, "300.00"))
    plan = PayoutPlan(
        amount=Decimal("1162.80"), fee=Decimal("61.20"), currency=paid.currency, at=AT
    )
    with session_scope(database_url) as session:
        refunds.release_payout(session, PayoutReleased(order_id=paid.order_id, plan=plan, at=AT))
    order = order_row(database_url, paid.order_id)
    assert (order.payout_status, order.payout_amount, order.payout_fee, order.payout_at) == (
        "scheduled",
        Decimal("1162.80"),
        Decimal("61.20"),
        AT,
    )
    assert (order.deadline_kind, order.deadline_at) == ("payout", AT)
    with session_scope(database_url) as session:
        refunds.release_payout(session, PayoutReleased(order_id=paid.order_id, plan=None, at=AT))
    order = order_row(database_url, paid.order_id)
    assert (order.payout_status, order.payout_amount, order.deadline_kind) == (None, None, None)


def test_twenty_concurrent_completions_get_twenty_consecutive_numbers(postgres_url: str) -> None:
    at = datetime(fresh_year(), 6, 1, tzinfo=UTC)
    asked = []
    for _ in range(20):
        refund = opened(paid_order(postgres_url), "10.00", refund_id=str(uuid.uuid4()))
        with session_scope(postgres_url) as session:
            refunds.open_refund(session, refund)
        asked.append(refund)

    def complete(n: int) -> None:
        with session_scope(postgres_url) as session:
            refunds.complete(session, step(asked[n], "completed", at=at))

    race(20, complete)

    with session_scope(postgres_url, read_only=True) as session:
        numbers = sorted(
            session.scalars(
                select(CreditNote.credit_note_number).where(
                    CreditNote.refund_id.in_([r.refund_id for r in asked])
                )
            )
        )
        total = session.scalar(
            select(func.count()).select_from(Refund).where(Refund.status == "completed")
        )
    assert numbers == [f"CN-{at.year}-{n:06d}" for n in range(1, 21)]
    assert total is not None and total >= 20


def _timeline(url: str, order_id: str, event: str) -> list[str | None]:
    with session_scope(url, read_only=True) as session:
        query = select(OrderEvent.note).where(
            OrderEvent.order_id == order_id, OrderEvent.event == event
        )
        return list(session.scalars(query))
