"""Payouts out of a wallet: the debit wallet → payouts in transit with the payout's row (or
neither, when the wallet holds too little), then paid (in transit → clearing) or failed (in
transit → back to the wallet). Each movement's key is named after the payout."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.tables import Payout
from domain.ledger import CLEARING, PAYOUTS_IN_TRANSIT, InsufficientFunds
from domain.wallet_contracts import (
    INSUFFICIENT_FUNDS,
    PayoutDebit,
    PayoutSettled,
    PayoutStart,
    PayoutView,
)
from services import ledger
from services.notifications import notify_money
from services.order_queries import Viewer
from services.pagination import page


def debit(session: Session, start: PayoutStart) -> PayoutDebit:
    payout = session.get(Payout, start.payout_id)
    if payout is not None:
        return PayoutDebit(payout=view(payout))  # this step ran before
    wallet = ledger.wallet(session, start.user_id, start.currency)
    transit = ledger.platform_account(session, PAYOUTS_IN_TRANSIT, start.currency)
    try:
        ledger.post(
            session,
            f"payout:{start.payout_id}:debit",
            wallet.id,
            transit.id,
            start.amount,
            start.currency,
            f"Withdrawal to the account ending {start.destination_last4}",
            payout_id=start.payout_id,
        )
    except InsufficientFunds:
        return PayoutDebit(refused=INSUFFICIENT_FUNDS)
    payout = Payout(
        id=start.payout_id,
        user_id=start.user_id,
        amount=start.amount,
        currency=start.currency,
        status="processing",
        destination_token=start.destination_token,
        destination_last4=start.destination_last4,
        created_at=start.at,
        updated_at=start.at,
    )
    session.add(payout)
    session.flush()
    notify_money(
        session,
        start.user_id,
        f"payout:{start.payout_id}:requested",
        "payout_requested",
        "Withdrawal on its way",
        f"{start.amount:.2f} {start.currency} left the wallet for the account ending "
        f"{start.destination_last4}; you will hear when it arrives.",
        start.at,
    )
    return PayoutDebit(payout=view(payout))


def settle(session: Session, settled: PayoutSettled) -> PayoutView:
    """Paid: the money leaves for the bank (in transit → clearing). Failed: it comes back."""
    payout = session.get(Payout, settled.payout_id, with_for_update=True)
    if payout is None:
        raise LookupError(f"no payout {settled.payout_id}")
    transit = ledger.platform_account(session, PAYOUTS_IN_TRANSIT, payout.currency)
    ending = f"the account ending {payout.destination_last4}"
    if settled.status == "paid":
        destination = ledger.platform_account(session, CLEARING, payout.currency).id
        what, title = f"Withdrawal paid to {ending}", "Withdrawal paid"
        body = f"{payout.amount:.2f} {payout.currency} was paid to {ending}."
    else:
        destination = ledger.wallet(session, payout.user_id, payout.currency).id
        what, title = f"Withdrawal to {ending} failed: returned", "Withdrawal failed"
        body = (
            f"The bank refused the payout ({settled.failure_code}); {payout.amount:.2f} "
            f"{payout.currency} is back in your wallet."
        )
    ledger.post(
        session,
        f"payout:{payout.id}:{settled.status}",
        transit.id,
        destination,
        payout.amount,
        payout.currency,
        what,
        payout_id=payout.id,
    )
    if payout.status == "processing":
        payout.status = settled.status
        payout.reference = settled.reference
        payout.failure_code = settled.failure_code
        payout.updated_at = settled.at
    kind = f"payout_{settled.status}"
    notify_money(session, payout.user_id, f"payout:{payout.id}", kind, title, body, settled.at)
    return view(payout)


def list_payouts(
    session: Session, viewer: Viewer, limit: int, cursor: str | None
) -> tuple[list[PayoutView], str | None]:
    """The caller's payouts, newest first; an admin sees everyone's."""
    query = select(Payout)
    if not viewer.is_admin:
        query = query.where(Payout.user_id == viewer.user_id)
    rows, next_cursor = page(session, query, Payout.created_at, Payout.id, limit, cursor)
    return [view(row) for row in rows], next_cursor


def find_payout(session: Session, viewer: Viewer, payout_id: str) -> PayoutView | None:
    """The payout if the caller may see it (its owner, or an admin), else None."""
    payout = session.get(Payout, payout_id)
    if payout is None or not (viewer.is_admin or payout.user_id == viewer.user_id):
        return None
    return view(payout)


def view(payout: Payout) -> PayoutView:
    return PayoutView(
        id=payout.id,
        amount=payout.amount,
        currency=payout.currency,
        status=payout.status,  # type: ignore[arg-type]
        failure_code=payout.failure_code,
        created_at=payout.created_at,
    )
