"""Builders shared by the ledger tests. Each test takes a currency of its own, so the session's
PostgreSQL database, which every test shares, checks one test's money at a time."""

import itertools
import string
import uuid
from decimal import Decimal

from sqlalchemy import select

from db.engine import session_scope
from db.tables import LedgerAccount, LedgerTransfer
from domain.ledger import CLEARING, LedgerCheck
from services.ledger import platform_account, post, wallet
from services.ledger_queries import check

_codes = itertools.count(0)


def fresh_currency() -> str:
    """A three-letter code no other test of this session uses (up to 17 576 of them)."""
    n = next(_codes)
    letters = string.ascii_uppercase
    return letters[n // 676 % 26] + letters[n // 26 % 26] + letters[n % 26]


def open_wallet(url: str, user_id: str, currency: str, funded: str = "0") -> str:
    """A wallet, topped up from gateway clearing with `funded`; returns its id."""
    with session_scope(url) as session:
        account = wallet(session, user_id, currency).id
    if Decimal(funded):
        top_up(url, account, currency, funded)
    return account


def top_up(url: str, wallet_id: str, currency: str, amount: str) -> None:
    with session_scope(url) as session:
        clearing = platform_account(session, CLEARING, currency)
        key = f"topup-{uuid.uuid4().hex}"
        post(session, key, clearing.id, wallet_id, Decimal(amount), currency, "top-up")


def account_id(url: str, kind: str, currency: str) -> str:
    with session_scope(url) as session:
        return platform_account(session, kind, currency).id


def balance(url: str, account: str) -> Decimal:
    with session_scope(url, read_only=True) as session:
        row = session.get(LedgerAccount, account)
        assert row is not None
        return row.balance


def balances(url: str, accounts: list[str]) -> dict[str, Decimal]:
    with session_scope(url, read_only=True) as session:
        query = select(LedgerAccount.id, LedgerAccount.balance)
        rows = session.execute(query.where(LedgerAccount.id.in_(accounts)))
        return {account: amount for account, amount in rows}


def account_row(url: str, account: str) -> LedgerAccount:
    with session_scope(url, read_only=True) as session:
        row = session.get(LedgerAccount, account)
        assert row is not None
        return row


def transfers(url: str, currency: str) -> list[LedgerTransfer]:
    with session_scope(url, read_only=True) as session:
        query = select(LedgerTransfer).where(LedgerTransfer.currency == currency)
        return list(session.scalars(query))


def checked(url: str, currency: str) -> LedgerCheck:
    with session_scope(url, read_only=True) as session:
        return check(session, currency)
