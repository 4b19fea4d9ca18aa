"""Debits and posts that race, each in its own transaction on its own connection: a wallet never
goes below zero, a key posts once, and opposite transfers do not deadlock."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TypeVar

import pytest

from db.engine import session_scope
from domain.ledger import ESCROW, InsufficientFunds
from services.ledger import post
from tests.services.helpers import uid
from tests.services.ledger_helpers import (
    account_id,
    account_row,
    balance,
    checked,
    fresh_currency,
    open_wallet,
    transfers,
)

T = TypeVar("T")


def race(workers: int, attempt: Callable[[int], T]) -> list[T]:
    start = threading.Barrier(workers)

    def run(n: int) -> T:
        start.wait()
        return attempt(n)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(workers)))


@pytest.mark.parametrize(("debits", "funded", "succeed"), [(20, "50.00", 5), (50, "100.00", 10)])
def test_debits_race_for_what_the_wallet_holds(
    database_url: str, debits: int, funded: str, succeed: int
) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, funded)
    escrow = account_id(database_url, ESCROW, currency)

    def debit(n: int) -> bool:
        try:
            with session_scope(database_url) as session:
                post(session, uid(f"pay{n}"), buyer, escrow, Decimal("10.00"), currency, "order")
            return True
        except InsufficientFunds:
            return False

    assert sum(race(debits, debit)) == succeed
    row = account_row(database_url, buyer)
    assert (row.balance, row.total_spent) == (Decimal("0.00"), Decimal(funded))
    assert balance(database_url, escrow) == Decimal(funded)
    assert checked(database_url, currency).balanced


def test_ten_payouts_of_one_key_from_escrow_make_one_transfer(database_url: str) -> None:
    """A platform source posts without a savepoint: the key alone must keep it to one."""
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "50.00")
    seller = open_wallet(database_url, uid("seller"), currency)
    escrow = account_id(database_url, ESCROW, currency)
    with session_scope(database_url) as session:
        post(session, uid("pay"), buyer, escrow, Decimal("50.00"), currency, "order")
    key = uid("payout")

    def pay_out(_: int) -> str:
        with session_scope(database_url) as session:
            return post(session, key, escrow, seller, Decimal("47.50"), currency, "payout")

    assert len(set(race(10, pay_out))) == 1
    assert balance(database_url, seller) == Decimal("47.50")
    assert balance(database_url, escrow) == Decimal("2.50")
    assert len(transfers(database_url, currency)) == 3  # the funding, the payment, the payout
    assert checked(database_url, currency).balanced


def test_ten_posts_of_one_key_make_one_transfer(database_url: str) -> None:
    currency = fresh_currency()
    buyer = open_wallet(database_url, uid("buyer"), currency, "50.00")
    escrow, key = account_id(database_url, ESCROW, currency), uid("pay")

    def pay(_: int) -> str:
        with session_scope(database_url) as session:
            return post(session, key, buyer, escrow, Decimal("10.00"), currency, "order")

    assert len(set(race(10, pay))) == 1
    assert balance(database_url, buyer) == Decimal("40.00")
    assert len(transfers(database_url, currency)) == 2  # the funding and the payment
    assert checked(database_url, currency).balanced


def test_opposite_transfers_between_two_wallets_do_not_deadlock(database_url: str) -> None:
    currency = fresh_currency()
    alice = open_wallet(database_url, uid("alice"), currency, "100.00")
    bob = open_wallet(database_url, uid("bob"), currency, "100.00")

    def send(n: int) -> None:
        source, destination = (alice, bob) if n % 2 else (bob, alice)
        for round_ in range(5):
            with session_scope(database_url) as session:
                key = uid(f"send{n}-{round_}")
                post(session, key, source, destination, Decimal("1.00"), currency, "gift")

    race(20, send)  # a deadlock would raise here (PostgreSQL aborts one of the two)
    assert balance(database_url, alice) == Decimal("100.00")
    assert balance(database_url, bob) == Decimal("100.00")
    assert len(transfers(database_url, currency)) == 2 + 100
    assert checked(database_url, currency).balanced


def test_first_uses_of_a_wallet_race_to_one_row(database_url: str) -> None:
    currency, user = fresh_currency(), uid("user")

    def first_use(_: int) -> str:
        return open_wallet(database_url, user, currency)

    assert len(set(race(10, first_use))) == 1
