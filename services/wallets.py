"""Wallets as API.md shows them (a user's `wallet` account of the ledger), and an admin's
adjustment: a transfer between the platform's adjustments account and the wallet."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from db.tables import LedgerAccount
from domain.ledger import ADJUSTMENTS, WALLET
from services import ledger
from services.notifications import notify_money
from services.order_queries import Viewer


@dataclass(frozen=True)
class Adjustment:
    key: str  # the transfer's business key, from the request's Idempotency-Key when it has one
    wallet_id: str
    amount: Decimal  # signed: above zero credits the wallet, below zero debits it
    reason: str
    actor: str
    at: datetime


def my_wallet(session: Session, user_id: str, currency: str) -> LedgerAccount:
    return ledger.wallet(session, user_id, currency)


def find_wallet(session: Session, viewer: Viewer, wallet_id: str) -> LedgerAccount | None:
    """The wallet if the caller may see it (its owner, or an admin), else None."""
    account = session.get(LedgerAccount, wallet_id)
    if account is None or account.kind != WALLET:
        return None
    if not (viewer.is_admin or account.user_id == viewer.user_id):
        return None
    return account


def adjust(session: Session, adjustment: Adjustment) -> LedgerAccount | None:
    """Moves the amount; None if there is no such wallet. Raises InsufficientFunds (nothing
    moved) when a debit is more than the wallet holds."""
    wallet = session.get(LedgerAccount, adjustment.wallet_id)
    if wallet is None or wallet.kind != WALLET or wallet.user_id is None:
        return None
    platform = ledger.platform_account(session, ADJUSTMENTS, wallet.currency)
    amount = abs(adjustment.amount)
    credit = adjustment.amount > 0
    source, destination = (platform.id, wallet.id) if credit else (wallet.id, platform.id)
    description = f"Adjustment by an admin: {adjustment.reason}"
    ledger.post(session, adjustment.key, source, destination, amount, wallet.currency, description)
    sign = "+" if credit else "-"
    notify_money(
        session,
        wallet.user_id,
        adjustment.key,
        "wallet_adjusted",
        "Wallet adjusted",
        f"{sign}{amount:.2f} {wallet.currency}: {adjustment.reason}",
        adjustment.at,
    )
    session.refresh(wallet)
    return wallet
