"""The double-entry ledger: transfers between accounts that post exactly once.

A balance moves only by a conditional UPDATE … RETURNING in the transaction that writes the
entries; a wallet debit carries `balance >= amount` in its WHERE, and the table's CHECK stands
behind it, so no race of debits can take a wallet below zero.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.tables import LedgerAccount, LedgerEntry, LedgerTransfer
from db.types import utcnow
from domain.ledger import (
    REFS,
    WALLET,
    InsufficientFunds,
    TransferKeyReused,
    currency_code,
    transfer_amount,
)
from services.ledger_accounts import ZERO, insert_ignoring, platform_account, wallet

__all__ = ["platform_account", "post", "wallet"]


def post(
    session: Session,
    key: str,
    source_id: str,
    destination_id: str,
    amount: Decimal,
    currency: str,
    description: str,
    **refs: str | None,
) -> LedgerTransfer:
    """Move `amount` from source to destination under the business key `key`, once: the same
    key again returns the first transfer and changes nothing. Raises InsufficientFunds (and
    leaves nothing behind) when a wallet source holds less than `amount`."""
    wanted = _wanted(source_id, destination_id, amount, currency, refs)
    first = session.scalars(select(LedgerTransfer).where(LedgerTransfer.key == key)).one_or_none()
    if first is not None:
        return _same(first, wanted)
    accounts = _both(session, key, wanted)
    # A savepoint: a caller that catches InsufficientFunds and commits keeps no half transfer.
    with session.begin_nested():
        transfer_id = _claim(session, key, wanted, description)
        if transfer_id is None:
            # Another transaction posted this key first and has committed it.
            first = session.scalars(select(LedgerTransfer).where(LedgerTransfer.key == key)).one()
            return _same(first, wanted)
        _move(session, transfer_id, source_id, destination_id, wanted["amount"])
    for account in accounts:
        session.expire(account)  # the UPDATEs went around the session: read the new balances
    transfer = session.get(LedgerTransfer, transfer_id)
    assert transfer is not None
    return transfer


def _wanted(
    source_id: str, destination_id: str, amount: Decimal, currency: str, refs: dict[str, Any]
) -> dict[str, Any]:
    unknown = set(refs) - set(REFS)
    if unknown:
        raise TypeError(f"a transfer refers only to {', '.join(REFS)}, not {sorted(unknown)}")
    if source_id == destination_id:
        raise ValueError("a transfer moves money between two accounts")
    return {
        "source_id": source_id,
        "destination_id": destination_id,
        "amount": transfer_amount(amount),
        "currency": currency_code(currency),
        **{ref: refs.get(ref) for ref in REFS},
    }


def _same(first: LedgerTransfer, wanted: dict[str, Any]) -> LedgerTransfer:
    differ = sorted(name for name, value in wanted.items() if getattr(first, name) != value)
    if differ:
        raise TransferKeyReused(
            f"transfer key {first.key!r} was posted before with another {', '.join(differ)}"
        )
    return first


def _both(session: Session, key: str, wanted: dict[str, Any]) -> list[LedgerAccount]:
    ids = [wanted["source_id"], wanted["destination_id"]]
    accounts = list(session.scalars(select(LedgerAccount).where(LedgerAccount.id.in_(ids))))
    if len(accounts) != 2 or {a.currency for a in accounts} != {wanted["currency"]}:
        raise ValueError(f"transfer {key!r}: two existing accounts in {wanted['currency']}")
    return accounts


def _claim(session: Session, key: str, wanted: dict[str, Any], description: str) -> str | None:
    """Insert the transfer, or nothing if its key exists: the key is taken before any balance
    is locked, so racing posts of one key wait on the key alone."""
    return session.execute(
        insert_ignoring(session, LedgerTransfer)
        .values(
            id=str(uuid.uuid4()), key=key, description=description, created_at=utcnow(), **wanted
        )
        .returning(LedgerTransfer.id)
    ).scalar_one_or_none()


def _move(
    session: Session, transfer_id: str, source_id: str, destination_id: str, amount: Decimal
) -> None:
    # Always in the order of the ids: opposite transfers between two accounts cannot deadlock.
    for account_id in sorted((source_id, destination_id)):
        delta = -amount if account_id == source_id else amount
        balance, seq, at = _apply(session, account_id, delta)
        session.add(
            LedgerEntry(
                id=str(uuid.uuid4()),
                transfer_id=transfer_id,
                account_id=account_id,
                seq=seq,
                amount=delta,
                balance_after=balance,
                created_at=at,
            )
        )
    session.flush()


def _apply(session: Session, account_id: str, delta: Decimal) -> tuple[Decimal, int, datetime]:
    account = LedgerAccount
    debit = delta < 0
    query = update(account).where(account.id == account_id)
    if debit:
        query = query.where((account.kind != WALLET) | (account.balance >= -delta))
    row = session.execute(
        query.values(
            balance=account.balance + delta,
            total_spent=account.total_spent + (-delta if debit else ZERO),
            total_earned=account.total_earned + (ZERO if debit else delta),
            seq=account.seq + 1,
            updated_at=utcnow(),
        )
        .returning(account.balance, account.seq)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise InsufficientFunds(account_id, -delta)
    # The row stays locked until commit: a time read now follows the order of its entries.
    return row[0], row[1], utcnow()
