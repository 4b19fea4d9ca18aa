"""Top-ups and payouts on the time-skipping server with the real activities and ledger
(API.md, Wallets): a card charge credits the wallet once, a declined card credits nothing, a
payout is paid, or fails and puts the money back; the ledger stays balanced throughout."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import ClassVar

import pytest
from sqlalchemy import func, select
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

import worker
from activities.wallets import WalletActivities
from db.engine import session_scope
from db.tables import LedgerEntry, Notification, Payout, TopUp
from domain.wallet_contracts import TopUpSettled, TopUpView
from services.notifications import ADMINS
from tests.workflows.shop import (
    BUYER,
    Shop,
    account,
    fund_wallet,
    gateway_book,
    ledger_check,
    open_shop,
)
from tests.workflows.wallet_steps import NO_ACCOUNT, PAID, top_up, withdraw


def balance(url: str, kind: str, user_id: str | None = None) -> Decimal:
    found = account(url, kind, user_id)
    return Decimal("0.00") if found is None else found.balance


def entries(url: str, user_id: str) -> int:
    wallet = account(url, "wallet", user_id)
    if wallet is None:
        return 0
    with session_scope(url) as session:
        count = select(func.count()).where(LedgerEntry.account_id == wallet.id)
        return session.scalar(count.select_from(LedgerEntry)) or 0


def kinds_notified(url: str, user_id: str) -> list[str]:
    with session_scope(url) as session:
        query = select(Notification.kind).where(Notification.user_id == user_id)
        return sorted(session.scalars(query))


class CreditTwice(WalletActivities):
    """The credit step commits, then its first attempt fails anyway (a worker lost before it
    reported): the engine runs it again."""

    failed: ClassVar[set[str]] = set()

    @activity.defn(name="settle_topup")
    def settle_topup(self, settled: TopUpSettled) -> TopUpView:
        view = super().settle_topup(settled)
        if settled.topup_id not in self.failed:
            self.failed.add(settled.topup_id)
            raise RuntimeError("lost after the commit")
        return view


@pytest.fixture
async def twice(
    time_env: WorkflowEnvironment, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Shop]:
    monkeypatch.setattr(worker, "WalletActivities", CreditTwice)
    async with open_shop(time_env, sqlite_url) as running:
        yield running


async def test_a_top_up_credits_once_though_its_credit_step_runs_twice(twice: Shop) -> None:
    run = await top_up(twice, "tok_visa")
    answer, final = run.answer, run.final

    assert (answer.status, final.status, final.error_code) == ("completed", "completed", None)
    assert balance(twice.url, "wallet", BUYER) == Decimal("100.00")
    assert balance(twice.url, "clearing") == Decimal("-100.00")
    assert entries(twice.url, BUYER) == 1
    assert CreditTwice.failed == {final.id}
    assert ledger_check(twice.url).balanced
    assert kinds_notified(twice.url, BUYER) == ["topup_completed"]
    assert "topup_completed" in kinds_notified(twice.url, ADMINS)


async def test_a_declined_top_up_credits_nothing(shop: Shop) -> None:
    run = await top_up(shop, "tok_chargeDeclined")
    answer, final = run.answer, run.final

    assert (final.status, final.error_code) == ("failed", "card_declined")
    assert answer.status == "failed"
    assert balance(shop.url, "wallet", BUYER) == Decimal("0.00")
    assert entries(shop.url, BUYER) == 0
    with session_scope(shop.url) as session:
        row = session.get(TopUp, final.id)
        assert row is not None
        assert (row.status, row.error_code) == ("failed", "card_declined")
    assert ledger_check(shop.url).balanced
    assert kinds_notified(shop.url, BUYER) == ["topup_failed"]


async def test_a_failed_payout_puts_the_money_back(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "100.00", key="funds")

    run = await withdraw(shop, "60.00", NO_ACCOUNT)
    debit, final = run.debit, run.final
    assert final is not None

    assert debit.payout is not None and debit.payout.status == "processing"
    assert (final.status, final.failure_code) == ("failed", "no_account")
    assert balance(shop.url, "wallet", BUYER) == Decimal("100.00")
    assert balance(shop.url, "payouts_in_transit") == Decimal("0.00")
    assert entries(shop.url, BUYER) == 3  # funds, the debit, the money back
    assert ledger_check(shop.url).balanced
    assert kinds_notified(shop.url, BUYER) == ["payout_failed", "payout_requested"]


async def test_a_payout_to_the_paying_account_is_paid(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "100.00", key="funds")

    run = await withdraw(shop, "60.00", PAID)
    debit, final = run.debit, run.final
    assert final is not None

    assert debit.payout is not None
    assert (final.status, final.failure_code) == ("paid", None)
    assert balance(shop.url, "wallet", BUYER) == Decimal("40.00")
    assert balance(shop.url, "payouts_in_transit") == Decimal("0.00")
    assert balance(shop.url, "clearing") == Decimal("60.00")
    with session_scope(shop.url) as session:
        row = session.get(Payout, final.id)
        assert row is not None
        assert (row.status, row.destination_last4) == ("paid", "6789")
        assert PAID not in row.destination_token
    assert ledger_check(shop.url).balanced


async def test_more_than_the_balance_is_refused_and_moves_nothing(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "50.00", key="funds")

    run = await withdraw(shop, "50.01", PAID)
    debit, final = run.debit, run.final

    assert (debit.refused, debit.payout, final) == ("insufficient_funds", None, None)
    assert balance(shop.url, "wallet", BUYER) == Decimal("50.00")
    with session_scope(shop.url) as session:
        assert session.scalar(select(func.count()).select_from(Payout)) == 0
    assert ledger_check(shop.url).balanced


@pytest.fixture
async def lossy(time_env: WorkflowEnvironment, sqlite_url: str) -> AsyncIterator[Shop]:
    """The sandbox books the first charge of each key and loses its answer."""
    async with open_shop(time_env, sqlite_url, sandbox_lost_answers=1) as running:
        yield running


async def test_a_top_up_whose_answer_is_lost_is_looked_up_not_charged_again(lossy: Shop) -> None:
    run = await top_up(lossy, "tok_visa")

    assert (run.final.status, run.final.error_code) == ("completed", None)
    [charge] = gateway_book(lossy.url, "charge")
    assert (charge.idempotency_key, charge.calls) == (f"topup:{run.final.id}", 1)
    assert balance(lossy.url, "wallet", BUYER) == Decimal("100.00")
    assert ledger_check(lossy.url).balanced
