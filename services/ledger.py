"""The double-entry ledger: transfers between accounts that post exactly once.

A balance moves only by a conditional UPDATE … RETURNING in the transaction that writes the
entries; a wallet debit carries `balance >= amount` in its WHERE, and the table's CHECK stands
behind it, so no race of debits can take a wallet below zero.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Update, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from db.statements import insert_ignoring, table_of
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
from services.ledger_accounts import ZERO, platform_account, wallet

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
) -> str:
    """Move `amount` from source to destination under the business key `key`, once: the same
    key again changes nothing. Returns the transfer's id. Raises InsufficientFunds (and leaves
    nothing behind) when a wallet source holds less than `amount`."""
    wanted = _wanted(source_id, destination_id, amount, currency, refs)
    kinds = _kinds(session, key, wanted)
    if kinds[source_id] == WALLET:
        # A savepoint: a caller that catches InsufficientFunds and commits keeps no half transfer.
        with session.begin_nested():
            transfer_id = _claim_and_move(session, key, wanted, description)
    else:
        # Only a wallet can be short: a platform account's debit cannot fail half way.
        transfer_id = _claim_and_move(session, key, wanted, description)
    if transfer_id is None:
        # Posted before (by this step's earlier run, or by a racing one that has committed).
        first = session.scalars(select(LedgerTransfer).where(LedgerTransfer.key == key)).one()
        return _same(first, wanted).id
    _expire_loaded(session, (source_id, destination_id))
    return transfer_id


def _claim_and_move(
    session: Session, key: str, wanted: dict[str, Any], description: str
) -> str | None:
    transfer_id = _claim(session, key, wanted, description)
    if transfer_id is not None:
        _move(session, transfer_id, wanted["source_id"], wanted["destination_id"], wanted["amount"])
    return transfer_id


def _expire_loaded(session: Session, account_ids: tuple[str, str]) -> None:
    """The UPDATEs went around the session: accounts it holds read their new balances."""
    for account_id in account_ids:
        loaded = _loaded(session, account_id)
        if loaded is not None:
            session.expire(loaded, ["balance", "total_earned", "total_spent", "seq", "updated_at"])


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


def _kinds(session: Session, key: str, wanted: dict[str, Any]) -> dict[str, str]:
    """Both accounts' kinds; both must exist, in the transfer's currency. Kind and currency
    never change, so accounts the session holds are not read again."""
    ids = [wanted["source_id"], wanted["destination_id"]]
    loaded = [_loaded(session, account_id) for account_id in ids]
    if all(account is not None for account in loaded):
        rows: list[Any] = loaded
    else:
        rows = list(
            session.execute(
                select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.currency).where(
                    LedgerAccount.id.in_(ids)
                )
            )
        )
    if len(rows) != 2 or {row.currency for row in rows} != {wanted["currency"]}:
        raise ValueError(f"transfer {key!r}: two existing accounts in {wanted['currency']}")
    return {row.id: row.kind for row in rows}


def _loaded(session: Session, account_id: str) -> LedgerAccount | None:
    found = session.identity_map.get(identity_key(LedgerAccount, account_id))
    return found if isinstance(found, LedgerAccount) else None


def _claim(session: Session, key: str, wanted: dict[str, Any], description: str) -> str | None:
    """Insert the transfer, or nothing if its key exists: the key is taken before any balance
    is locked, so racing posts of one key wait on the key alone."""
    row = {"id": str(uuid.uuid4()), "key": key, "description": description, **wanted}
    return session.execute(_CLAIM(session), {**row, "created_at": utcnow()}).scalar_one_or_none()


def _move(
    session: Session, transfer_id: str, source_id: str, destination_id: str, amount: Decimal
) -> None:
    entries = []
    # Always in the order of the ids: opposite transfers between two accounts cannot deadlock.
    for account_id in sorted((source_id, destination_id)):
        delta = -amount if account_id == source_id else amount
        balance, seq, at = _apply(session, account_id, delta)
        entries.append(
            {
                "id": str(uuid.uuid4()),
                "transfer_id": transfer_id,
                "account_id": account_id,
                "seq": seq,
                "amount": delta,
                "balance_after": balance,
                "created_at": at,
            }
        )
    session.execute(_ENTRIES, entries)


def _apply(session: Session, account_id: str, delta: Decimal) -> tuple[Decimal, int, datetime]:
    debit = delta < 0
    moved = {
        "account_id": account_id,
        "delta": delta,
        "spent": -delta if debit else ZERO,
        "earned": ZERO if debit else delta,
        "now": utcnow(),
    }
    if debit:
        moved["floor"] = -delta
    row = session.execute(_DEBIT if debit else _CREDIT, moved).first()
    if row is None:
        raise InsufficientFunds(account_id, -delta)
    # The row stays locked until commit: a time read now follows the order of its entries.
    return row[0], row[1], utcnow()


def _moving(debit: bool) -> Update:
    """A balance's UPDATE … RETURNING; a debit of a wallet only while it holds the amount."""
    column = _ACCOUNTS.c
    money = column.balance.type
    query = update(_ACCOUNTS).where(column.id == bindparam("account_id"))
    if debit:
        floor = bindparam("floor", type_=money)
        query = query.where((column.kind != WALLET) | (column.balance >= floor))
    return query.values(
        balance=column.balance + bindparam("delta", type_=money),
        total_spent=column.total_spent + bindparam("spent", type_=money),
        total_earned=column.total_earned + bindparam("earned", type_=money),
        seq=column.seq + 1,
        updated_at=bindparam("now", type_=column.updated_at.type),
    ).returning(column.balance, column.seq)


_ACCOUNTS = table_of(LedgerAccount)
_DEBIT, _CREDIT = _moving(debit=True), _moving(debit=False)
_CLAIM = insert_ignoring(table_of(LedgerTransfer), "id")
_ENTRIES = insert(table_of(LedgerEntry))
