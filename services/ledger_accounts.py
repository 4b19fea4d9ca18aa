"""The ledger's accounts: a wallet per user and currency, and the platform's accounts, each
made on first use; two first uses at once make one row."""

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import LedgerAccount
from db.types import utcnow
from domain.ledger import WALLET, currency_code, platform_kind

ZERO = Decimal("0.00")


def wallet(session: Session, user_id: str, currency: str) -> LedgerAccount:
    """The user's wallet in that currency, made on first use (two first uses make one)."""
    return _account(session, WALLET, user_id, currency_code(currency))


def platform_account(session: Session, kind: str, currency: str) -> LedgerAccount:
    return _account(session, platform_kind(kind), None, currency_code(currency))


def _account(session: Session, kind: str, user_id: str | None, currency: str) -> LedgerAccount:
    query = select(LedgerAccount).where(
        LedgerAccount.kind == kind,
        LedgerAccount.user_id.is_(None) if user_id is None else LedgerAccount.user_id == user_id,
        LedgerAccount.currency == currency,
    )
    found = session.scalars(query).one_or_none()
    if found is not None:
        return found
    now = utcnow()
    account = {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "user_id": user_id,
        "currency": currency,
        "balance": ZERO,
        "total_earned": ZERO,
        "total_spent": ZERO,
        "seq": 0,
        "created_at": now,
        "updated_at": now,
    }
    session.execute(_CREATE(session), account)
    # A concurrent first use waited in the INSERT for the other's commit: its row is there now.
    return session.scalars(query).one()


_CREATE = insert_ignoring(table_of(LedgerAccount))
