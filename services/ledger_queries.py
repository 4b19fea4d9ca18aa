"""Reading the ledger: a wallet's history and the check that everything adds up."""

import base64
import binascii
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from db.tables import LedgerAccount, LedgerEntry, LedgerTransfer
from domain.ledger import Drift, LedgerCheck, Transaction, ledger_check
from services.pagination import BadCursor

_CURSOR_PREFIX = "seq:"
ZERO = Decimal("0.00")


def transactions(
    session: Session, wallet_id: str, limit: int, cursor: str | None = None
) -> tuple[list[Transaction], str | None]:
    """The wallet's entries, newest first: in the order the balance moved (its `seq`), which a
    timestamp alone cannot promise. The cursor is the seq of the last entry seen."""
    query = (
        select(LedgerEntry, LedgerTransfer)
        .join(LedgerTransfer, LedgerTransfer.id == LedgerEntry.transfer_id)
        .where(LedgerEntry.account_id == wallet_id)
    )
    if cursor:
        query = query.where(LedgerEntry.seq < _decode(cursor))
    rows = session.execute(query.order_by(LedgerEntry.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_transaction(entry, transfer) for entry, transfer in rows]
    return items, _encode(rows[-1][0].seq) if more and rows else None


def _transaction(entry: LedgerEntry, transfer: LedgerTransfer) -> Transaction:
    return Transaction(
        id=entry.id,
        transaction_type="debit" if entry.amount < 0 else "credit",
        amount=abs(entry.amount),
        balance_after=entry.balance_after,
        description=transfer.description,
        order_id=transfer.order_id,
        payment_id=transfer.payment_id,
        refund_id=transfer.refund_id,
        created_at=entry.created_at,
    )


def _encode(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode()


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        return int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("the cursor is not one this API gave out") from None


def check(session: Session, currency: str | None = None) -> LedgerCheck:
    """Each currency's balances sum to zero, each account's balance is the sum of its entries,
    each transfer is one debit and one credit of its amount; `drift` lists what does not hold.
    `currency` narrows it to one currency."""
    drift = [*_currencies(session, currency), *_accounts(session, currency)]
    drift += _transfers(session, currency)
    counted = select(func.count()).where(*_only(LedgerAccount.currency, currency))
    return ledger_check(session.scalar(counted.select_from(LedgerAccount)) or 0, drift)


def _currencies(session: Session, currency: str | None) -> list[Drift]:
    total = func.sum(LedgerAccount.balance)
    rows = session.execute(
        select(LedgerAccount.currency, total)
        .where(*_only(LedgerAccount.currency, currency))
        .group_by(LedgerAccount.currency)
        .having(total != 0)
    )
    return [
        Drift(problem="currency_not_zero", currency=code, expected=ZERO, actual=actual)
        for code, actual in rows
    ]


def _accounts(session: Session, currency: str | None) -> list[Drift]:
    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount).label("total"))
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    entries = func.coalesce(sums.c.total, 0)
    rows = session.execute(
        select(LedgerAccount.id, LedgerAccount.currency, LedgerAccount.balance, entries)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.balance != entries, *_only(LedgerAccount.currency, currency))
    )
    return [
        Drift(
            problem="balance_not_entries",
            currency=code,
            account_id=account_id,
            expected=expected,
            actual=balance,
        )
        for account_id, code, balance, expected in rows
    ]


def _transfers(session: Session, currency: str | None) -> list[Drift]:
    entry = LedgerEntry.amount
    credited = func.coalesce(func.sum(case((entry > 0, entry), else_=0)), 0)
    debited = func.coalesce(-func.sum(case((entry < 0, entry), else_=0)), 0)
    transfer = LedgerTransfer
    rows = session.execute(
        select(transfer.id, transfer.currency, transfer.amount, credited, debited)
        .outerjoin(LedgerEntry, LedgerEntry.transfer_id == transfer.id)
        .where(*_only(transfer.currency, currency))
        .group_by(transfer.id, transfer.currency, transfer.amount)
        .having(
            or_(
                func.count(LedgerEntry.id) != 2,
                credited != transfer.amount,
                debited != transfer.amount,
            )
        )
    )
    return [
        Drift(
            problem="transfer_unbalanced",
            currency=code,
            transfer_id=transfer_id,
            expected=amount,
            actual=credit if credit != amount else debit,
        )
        for transfer_id, code, amount, credit, debit in rows
    ]


def _only(column: Any, currency: str | None) -> list[ColumnElement[bool]]:
    return [] if currency is None else [column == currency]
