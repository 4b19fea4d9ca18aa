"""Wallet top-ups: the record of each card charge, and the credit clearing → wallet that
follows a successful one, keyed by the top-up's id so that it happens once."""

from sqlalchemy.orm import Session

from db.tables import TopUp
from domain.ledger import CLEARING
from domain.wallet_contracts import TopUpBegun, TopUpSettled, TopUpView
from services import ledger
from services.notifications import notify_money


def begin(session: Session, begun: TopUpBegun) -> TopUpView:
    """The top-up's row, `processing`; a second run finds the first row."""
    topup = session.get(TopUp, begun.topup_id)
    if topup is None:
        topup = TopUp(
            id=begun.topup_id,
            user_id=begun.user_id,
            amount=begun.amount,
            currency=begun.currency,
            status="processing",
            gateway=begun.gateway,
            created_at=begun.at,
            updated_at=begun.at,
        )
        session.add(topup)
        session.flush()
    return view(topup)


def settle(session: Session, settled: TopUpSettled) -> TopUpView:
    """A completed charge credits the wallet (once: the transfer's key is the top-up's id); a
    failed one credits nothing. The owner and the admins are told either way."""
    topup = session.get(TopUp, settled.topup_id, with_for_update=True)
    if topup is None:
        raise LookupError(f"no top-up {settled.topup_id}")
    if settled.status == "completed":
        clearing = ledger.platform_account(session, CLEARING, topup.currency)
        wallet = ledger.wallet(session, topup.user_id, topup.currency)
        ledger.post(
            session,
            f"topup:{topup.id}:credit",
            clearing.id,
            wallet.id,
            topup.amount,
            topup.currency,
            "Wallet top-up by card",
        )
        title, body = "Wallet topped up", f"{topup.amount:.2f} {topup.currency} added by card."
    else:
        title = "Wallet top-up failed"
        body = f"The card was not charged ({settled.error_code}); nothing was added."
    if topup.status == "processing":
        topup.status = settled.status
        topup.transaction_id = settled.transaction_id
        topup.error_code = settled.error_code
        topup.error_message = settled.error_message
        topup.updated_at = settled.at
    kind = f"topup_{settled.status}"
    notify_money(session, topup.user_id, f"topup:{topup.id}", kind, title, body, settled.at)
    return view(topup)


def view(topup: TopUp) -> TopUpView:
    return TopUpView(
        id=topup.id,
        amount=topup.amount,
        currency=topup.currency,
        status=topup.status,  # type: ignore[arg-type]
        error_code=topup.error_code,
    )
