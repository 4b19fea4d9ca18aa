"""An order paid from the buyer's wallet: the debit into escrow and the payment's outcome in
one transaction, so a short wallet fails the attempt and moves nothing."""

from sqlalchemy.orm import Session

from domain.contracts import PaymentCompleted, PaymentFailed, PaymentOutcome, WalletCharge
from domain.ledger import InsufficientFunds
from services import escrow, payments
from services.timeline import lock_order

INSUFFICIENT_FUNDS = "insufficient_funds"
WALLET_SHORT = "Your wallet holds less than the order's total. Top it up, or pay by card."


def pay_from_wallet(session: Session, charge: WalletCharge) -> PaymentOutcome:
    order = lock_order(session, charge.order_id)
    payment = payments.existing_payment(session, charge.payment_id)
    if payment.status in ("completed", "failed") and payment.attempts == charge.attempt:
        return _outcome_of(charge, payment.status)  # this step ran before
    try:
        escrow.fund_from_wallet(session, order, charge.payment_id)
    except InsufficientFunds:
        payments.fail(
            session,
            PaymentFailed(
                order_id=charge.order_id,
                payment_id=charge.payment_id,
                attempt=charge.attempt,
                error_code=INSUFFICIENT_FUNDS,
                error_message=WALLET_SHORT,
                at=charge.at,
            ),
        )
        return _outcome_of(charge, "failed")
    payments.complete(
        session,
        PaymentCompleted(
            order_id=charge.order_id,
            payment_id=charge.payment_id,
            transaction_id=None,
            gateway_response=None,
            actor=charge.actor,
            at=charge.at,
            payment_method="wallet",
            deadline=charge.deadline,
        ),
    )
    return _outcome_of(charge, "completed")


def _outcome_of(charge: WalletCharge, status: str) -> PaymentOutcome:
    if status == "completed":
        return PaymentOutcome(payment_id=charge.payment_id, status="completed")
    return PaymentOutcome(
        payment_id=charge.payment_id,
        status="failed",
        error_code=INSUFFICIENT_FUNDS,
        error_message=WALLET_SHORT,
    )
