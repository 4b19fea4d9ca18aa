"""The ledger on SQLite and PostgreSQL: transfers post once, wallets never go below zero,
entries are never changed, and the check sees what does not add up."""

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import session_scope
from db.tables import LedgerEntry, LedgerTransfer
from domain.ledger import ESCROW, InsufficientFunds, TransferKeyReused
from services.ledger import platform_account, post, wallet
from services.ledger_queries import check, transactions
from services.pagination import BadCursor
from tests.services.helpers import count, uid
from tests.services.ledger_helpers import (
    account_id,
    account_row,
    balance,
    checked,
    fresh_currency,
    open_wallet,
    top_up,
    transfers,
)


def test_a_wallet_is_made_once_per_user_and_currency(database_url: str) -> None:
    currency, user = fresh_currency(), uid("user")
    with session_scope(database_url) as session:
        first = wallet(session, user, currency)
        assert wallet(session, user, currency).id == first.id
        assert wallet(session, user, fresh_currency()).id != first.id
        assert platform_account(session, ESCROW, currency).id == (
            platform_account(session, ESCROW, currency).id
        )
    row = account_row(database_url, first.id)
    assert (row.balance, row.total_earned, row.total_spent) == (Decimal("0.00"),) * 3
    assert (row.kind, row.user_id, row.currency) == ("wallet", user, currency)


def test_posting_one_key_twice_moves_the_money_once(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "100.00")
    escrow, key = account_id(database_url, ESCROW, currency), uid("pay")
    with session_scope(database_url) as session:
        first = post(
            session, key, buyer, escrow, Decimal("30.00"), currency, "order", order_id="o1"
        )
    with session_scope(database_url) as session:
        again = post(
            session, key, buyer, escrow, Decimal("30.00"), currency, "order", order_id="o1"
        )
    assert again == first
    assert balance(database_url, buyer) == Decimal("70.00")
    assert balance(database_url, escrow) == Decimal("30.00")
    assert len(transfers(database_url, currency)) == 2  # the funding and the payment
    assert count(database_url, LedgerEntry, LedgerEntry.transfer_id == first) == 2
    row = account_row(database_url, buyer)
    assert (row.total_earned, row.total_spent) == (Decimal("100.00"), Decimal("30.00"))


@pytest.mark.parametrize(("amount", "changed"), [("31.00", "amount"), ("30.00", "order_id")])
def test_a_key_reused_for_another_transfer_is_refused(
    database_url: str, amount: str, changed: str
) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "100.00")
    escrow, key = account_id(database_url, ESCROW, currency), uid("pay")
    with session_scope(database_url) as session:
        post(session, key, buyer, escrow, Decimal("30.00"), currency, "order", order_id="o1")
    order = "o2" if changed == "order_id" else "o1"
    with pytest.raises(TransferKeyReused, match=changed), session_scope(database_url) as session:
        post(session, key, buyer, escrow, Decimal(amount), currency, "order", order_id=order)
    assert balance(database_url, buyer) == Decimal("70.00")


def test_a_debit_beyond_the_balance_changes_nothing(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "20.00")
    escrow, key = account_id(database_url, ESCROW, currency), uid("pay")
    # The caller catches the refusal and commits: the refused transfer left nothing behind.
    with session_scope(database_url) as session, pytest.raises(InsufficientFunds):
        post(session, key, buyer, escrow, Decimal("20.01"), currency, "order")
    assert balance(database_url, buyer) == Decimal("20.00")
    assert balance(database_url, escrow) == Decimal("0.00")
    assert count(database_url, LedgerTransfer, LedgerTransfer.key == key) == 0
    assert account_row(database_url, buyer).total_spent == Decimal("0.00")
    # The key was not used up: once the money is there, the same key posts.
    top_up(database_url, buyer, currency, "0.01")
    with session_scope(database_url) as session:
        post(session, key, buyer, escrow, Decimal("20.01"), currency, "order")
    assert balance(database_url, buyer) == Decimal("0.00")
    assert checked(database_url, currency).balanced


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001"])
def test_a_transfer_moves_a_positive_number_of_cents(database_url: str, amount: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "5.00")
    escrow = account_id(database_url, ESCROW, currency)
    with pytest.raises(ValueError), session_scope(database_url) as session:
        post(session, uid("bad"), buyer, escrow, Decimal(amount), currency, "order")


def test_the_database_keeps_a_wallet_at_zero_or_more(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "5.00")
    with pytest.raises(DBAPIError), session_scope(database_url) as session:
        session.execute(
            text("UPDATE ledger_accounts SET balance = -1 WHERE id = :id"), {"id": buyer}
        )


# Rows of the wallet's own transfers; the UPDATE changes nothing, which is still refused.
_ITS_ROWS = {
    "ledger_entries": "account_id = :id",
    "ledger_transfers": "id IN (SELECT transfer_id FROM ledger_entries WHERE account_id = :id)",
}


@pytest.mark.parametrize("table", sorted(_ITS_ROWS))
@pytest.mark.parametrize("statement", ["UPDATE {} SET created_at = created_at", "DELETE FROM {}"])
def test_entries_and_transfers_are_never_changed(
    database_url: str, table: str, statement: str
) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "5.00")
    sql = text(f"{statement.format(table)} WHERE {_ITS_ROWS[table]}")
    with pytest.raises(DBAPIError, match="never changed"), session_scope(database_url) as session:
        session.execute(sql, {"id": buyer})
    assert balance(database_url, buyer) == Decimal("5.00")
    assert checked(database_url, currency).balanced


def test_a_transfer_joins_two_accounts_of_its_currency(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "5.00")
    escrow = account_id(database_url, ESCROW, currency)
    other = account_id(database_url, ESCROW, fresh_currency())
    with session_scope(database_url) as session:
        for destination, refs, error in [
            (other, {}, ValueError),  # another currency
            ("no-such-account", {}, ValueError),
            (buyer, {}, ValueError),  # itself
            (escrow, {"invoice_id": "i1"}, TypeError),
        ]:
            with pytest.raises(error):
                post(session, uid("k"), buyer, destination, Decimal(1), currency, "x", **refs)
    assert checked(database_url, currency).balanced
    assert balance(database_url, buyer) == Decimal("5.00")


def test_transactions_newest_first_with_the_balance_after_each(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "50.00")
    escrow = account_id(database_url, ESCROW, currency)
    with session_scope(database_url) as session:
        for n in range(1, 5):
            post(
                session,
                uid("pay"),
                buyer,
                escrow,
                Decimal(n),
                currency,
                f"order {n}",
                order_id=f"o{n}",
            )
        post(
            session,
            uid("refund"),
            escrow,
            buyer,
            Decimal("2.50"),
            currency,
            "refund",
            refund_id="r1",
        )
    seen, cursor, pages = [], None, 0
    while True:
        with session_scope(database_url, read_only=True) as session:
            items, cursor = transactions(session, buyer, 2, cursor)
        seen += items
        pages += 1
        if cursor is None:
            break
    assert pages == 3
    assert [(t.transaction_type, t.amount, t.balance_after) for t in seen] == [
        ("credit", Decimal("2.50"), Decimal("42.50")),
        ("debit", Decimal("4.00"), Decimal("40.00")),
        ("debit", Decimal("3.00"), Decimal("44.00")),
        ("debit", Decimal("2.00"), Decimal("47.00")),
        ("debit", Decimal("1.00"), Decimal("49.00")),
        ("credit", Decimal("50.00"), Decimal("50.00")),
    ]
    assert [t.description for t in seen[:2]] == ["refund", "order 4"]
    assert (seen[0].refund_id, seen[1].order_id, seen[1].payment_id) == ("r1", "o4", None)
    assert [t.created_at for t in seen] == sorted((t.created_at for t in seen), reverse=True)
    with pytest.raises(BadCursor), session_scope(database_url, read_only=True) as session:
        transactions(session, buyer, 2, "not-a-cursor")


def test_check_is_balanced_and_sees_a_tampered_balance(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "80.00")
    seller = open_wallet(database_url, uid("seller"), currency)
    escrow = account_id(database_url, ESCROW, currency)
    with session_scope(database_url) as session:
        post(session, uid("pay"), buyer, escrow, Decimal("60.00"), currency, "order")
        post(session, uid("payout"), escrow, seller, Decimal("57.00"), currency, "payout")
    result = checked(database_url, currency)
    assert (result.balanced, result.accounts, result.drift) == (True, 4, [])
    raw = text("UPDATE ledger_accounts SET balance = balance + :delta WHERE id = :id")
    delta = 1 if database_url.startswith("sqlite") else Decimal("0.01")  # SQLite keeps cents
    with session_scope(database_url) as session:
        session.execute(raw, {"delta": delta, "id": seller})
    try:
        result = checked(database_url, currency)
        assert not result.balanced
        problems = {(d.problem, d.account_id, d.expected, d.actual) for d in result.drift}
        assert problems == {
            ("currency_not_zero", None, Decimal("0.00"), Decimal("0.01")),
            ("balance_not_entries", seller, Decimal("57.00"), Decimal("57.01")),
        }
    finally:
        with session_scope(database_url) as session:
            session.execute(raw, {"delta": -delta, "id": seller})
    assert checked(database_url, currency).balanced
    with session_scope(database_url, read_only=True) as session:
        assert check(session).accounts >= 4
