"""Top-ups, payouts and adjustments in the ledger, on SQLite and PostgreSQL: each step may run
twice and moves money once; a short wallet moves nothing; the ledger stays balanced."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.engine import session_scope
from db.tables import Notification, Payout
from domain.ledger import InsufficientFunds
from domain.wallet_contracts import PayoutSettled, PayoutStart, TopUpBegun, TopUpSettled
from services import topups, wallet_payouts, wallets
from services.notifications import ADMINS
from services.order_queries import Viewer
from tests.services.helpers import uid
from tests.services.ledger_helpers import balance, checked, fresh_currency, open_wallet

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def begin_topup(url: str, user: str, currency: str, amount: str) -> str:
    topup_id = str(uuid.uuid4())
    begun = TopUpBegun(
        topup_id=topup_id,
        user_id=user,
        amount=Decimal(amount),
        currency=currency,
        gateway="sandbox",
        at=AT,
    )
    for _ in range(2):
        with session_scope(url) as session:
            assert topups.begin(session, begun).status == "processing"
    return topup_id


def settle_topup(url: str, settled: TopUpSettled) -> str:
    with session_scope(url) as session:
        return topups.settle(session, settled).status


def start_payout(url: str, user: str, currency: str, amount: str) -> tuple[str, PayoutStart]:
    start = PayoutStart(
        payout_id=str(uuid.uuid4()),
        user_id=user,
        amount=Decimal(amount),
        currency=currency,
        destination_token="ba_sandbox_test",
        destination_last4="6789",
        at=AT,
    )
    with session_scope(url) as session:
        debit = wallet_payouts.debit(session, start)
    return debit.refused or (debit.payout.status if debit.payout else "?"), start


def settle_payout(url: str, payout_id: str, status: str, code: str | None = None) -> str:
    settled = PayoutSettled(
        payout_id=payout_id,
        status=status,  # type: ignore[arg-type]
        failure_code=code,
        at=AT,
    )
    with session_scope(url) as session:
        return wallet_payouts.settle(session, settled).status


def notified(url: str, user: str) -> list[str]:
    with session_scope(url, read_only=True) as session:
        return sorted(
            session.scalars(select(Notification.kind).where(Notification.user_id == user))
        )


def test_a_completed_top_up_credits_once_however_often_it_is_settled(database_url: str) -> None:
    currency, user = fresh_currency(), uid("buyer")
    wallet_id = open_wallet(database_url, user, currency)
    topup_id = begin_topup(database_url, user, currency, "100.00")
    done = TopUpSettled(topup_id=topup_id, status="completed", transaction_id="ch_1", at=AT)

    assert [settle_topup(database_url, done) for _ in range(2)] == ["completed", "completed"]

    assert balance(database_url, wallet_id) == Decimal("100.00")
    assert checked(database_url, currency).balanced
    assert notified(database_url, user) == ["topup_completed"]


def test_a_failed_top_up_credits_nothing(database_url: str) -> None:
    currency, user = fresh_currency(), uid("buyer")
    wallet_id = open_wallet(database_url, user, currency)
    topup_id = begin_topup(database_url, user, currency, "100.00")
    failed = TopUpSettled(topup_id=topup_id, status="failed", error_code="card_declined", at=AT)

    assert settle_topup(database_url, failed) == "failed"

    assert balance(database_url, wallet_id) == Decimal("0.00")
    assert checked(database_url, currency).balanced


@pytest.mark.parametrize(("outcome", "left"), [("paid", "40.00"), ("failed", "100.00")])
def test_a_payout_debits_once_then_is_paid_or_comes_back(
    database_url: str, outcome: str, left: str
) -> None:
    currency, user = fresh_currency(), uid("seller")
    wallet_id = open_wallet(database_url, user, currency, funded="100.00")
    status, start = start_payout(database_url, user, currency, "60.00")
    with session_scope(database_url) as session:  # the first step, run again
        assert wallet_payouts.debit(session, start).payout is not None
    assert status == "processing"
    assert balance(database_url, wallet_id) == Decimal("40.00")

    code = None if outcome == "paid" else "no_account"
    for _ in range(2):
        assert settle_payout(database_url, start.payout_id, outcome, code) == outcome

    assert balance(database_url, wallet_id) == Decimal(left)
    assert checked(database_url, currency).balanced
    # Told when the money left the wallet, then how it ended.
    assert sorted(notified(database_url, user)) == sorted(["payout_requested", f"payout_{outcome}"])
    assert f"payout_{outcome}" in notified(database_url, ADMINS)


def test_a_payout_of_more_than_the_balance_is_refused_and_leaves_no_payout(
    database_url: str,
) -> None:
    currency, user = fresh_currency(), uid("seller")
    wallet_id = open_wallet(database_url, user, currency, funded="50.00")

    status, start = start_payout(database_url, user, currency, "50.01")

    assert status == "insufficient_funds"
    assert balance(database_url, wallet_id) == Decimal("50.00")
    with session_scope(database_url, read_only=True) as session:
        count = select(func.count()).where(Payout.id == start.payout_id)
        assert session.scalar(count.select_from(Payout)) == 0


def test_payouts_are_their_owners_and_every_admins(database_url: str) -> None:
    currency, owner = fresh_currency(), uid("seller")
    open_wallet(database_url, owner, currency, funded="30.00")
    _, first = start_payout(database_url, owner, currency, "10.00")
    _, second = start_payout(database_url, owner, currency, "10.00")
    with session_scope(database_url, read_only=True) as session:
        mine, _ = wallet_payouts.list_payouts(session, Viewer(owner, False), 50, None)
        assert {p.id for p in mine} == {first.payout_id, second.payout_id}
        page, cursor = wallet_payouts.list_payouts(session, Viewer(owner, False), 1, None)
        rest, _ = wallet_payouts.list_payouts(session, Viewer(owner, False), 1, cursor)
        assert {page[0].id, rest[0].id} == {first.payout_id, second.payout_id}
        assert (
            wallet_payouts.find_payout(session, Viewer("someone", False), first.payout_id) is None
        )
        assert wallet_payouts.find_payout(session, Viewer("admin", True), first.payout_id)
        theirs, _ = wallet_payouts.list_payouts(session, Viewer(uid("other"), False), 50, None)
        assert theirs == []


def test_an_adjustment_moves_money_either_way_never_below_zero(database_url: str) -> None:
    currency, user = fresh_currency(), uid("buyer")
    wallet_id = open_wallet(database_url, user, currency)

    def adjust(amount: str, key: str) -> Decimal:
        adjustment = wallets.Adjustment(
            key=key,
            wallet_id=wallet_id,
            amount=Decimal(amount),
            reason="goodwill",
            actor="a",
            at=AT,
        )
        with session_scope(database_url) as session:
            wallet = wallets.adjust(session, adjustment)
            assert wallet is not None
            return wallet.balance

    assert adjust("25.00", f"adjustment:{uuid.uuid4()}") == Decimal("25.00")
    assert adjust("-10.00", f"adjustment:{uuid.uuid4()}") == Decimal("15.00")
    with pytest.raises(InsufficientFunds):
        adjust("-15.01", f"adjustment:{uuid.uuid4()}")
    assert balance(database_url, wallet_id) == Decimal("15.00")
    assert checked(database_url, currency).balanced
    assert notified(database_url, user) == ["wallet_adjusted", "wallet_adjusted"]
