"""An order's money in the ledger: paid into escrow, given back on a cancel, paid out to the
seller (minus the platform's fee) once the escrow hold is over. Each movement is one transfer
under a key named after the order, so a step that runs twice moves nothing twice."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.tables import LedgerTransfer, Order
from domain.contracts import PayoutPlan
from domain.ledger import CLEARING, ESCROW, FEES
from services import ledger


def _escrow_key(order: Order) -> str:
    return f"order:{order.id}:escrow"


def fund_from_clearing(session: Session, order: Order, payment_id: str | None, method: str) -> None:
    """A card or a bank transfer paid the order: the gateway's money is held in escrow."""
    clearing = ledger.platform_account(session, CLEARING, order.currency)
    _into_escrow(session, order, clearing.id, payment_id, f"paid by {method}")


def fund_from_wallet(session: Session, order: Order, payment_id: str) -> None:
    """The buyer's wallet pays the order; raises InsufficientFunds when it holds too little."""
    buyer = ledger.wallet(session, order.buyer_id, order.currency)
    _into_escrow(session, order, buyer.id, payment_id, "paid from the wallet")


def _into_escrow(
    session: Session, order: Order, source_id: str, payment_id: str | None, how: str
) -> None:
    escrow = ledger.platform_account(session, ESCROW, order.currency)
    ledger.post(
        session,
        _escrow_key(order),
        source_id,
        escrow.id,
        order.total_amount,
        order.currency,
        f"Order {order.order_number}: {how}, held in escrow",
        order_id=order.id,
        payment_id=payment_id,
    )


def give_back(session: Session, order: Order, to_wallet: bool) -> Decimal:
    """The cancelled order's money leaves escrow the way it came: to the buyer's wallet, or to
    the gateway (a card refund, or a transfer an admin wires back by hand). Only what is still
    in escrow moves: refunds completed before the cancel took theirs. The amount moved."""
    funded = _funding(session, order)
    if funded is None:
        return Decimal("0.00")
    rest = funded.amount - refunded(session, order)
    if rest <= 0:
        return Decimal("0.00")
    destination, how = _destination(session, order, to_wallet)
    ledger.post(
        session,
        f"order:{order.id}:escrow-return",
        funded.destination_id,
        destination,
        rest,
        order.currency,
        f"Order {order.order_number} cancelled: {how}",
        order_id=order.id,
        payment_id=funded.payment_id,
    )
    return rest


def refund(
    session: Session, order: Order, refund_id: str, amount: Decimal, to_wallet: bool
) -> None:
    """Part (or all) of the order's money leaves escrow for a refund, once per refund: to the
    buyer's wallet, or to clearing (the gateway's refund, or a transfer made by hand)."""
    funded = _funding(session, order) or _fund_late(session, order)
    destination, how = _destination(session, order, to_wallet)
    ledger.post(
        session,
        refund_key(refund_id),
        funded.destination_id,
        destination,
        amount,
        order.currency,
        f"Order {order.order_number}: {how} (refund {refund_id})",
        order_id=order.id,
        payment_id=funded.payment_id,
        refund_id=refund_id,
    )


def refund_key(refund_id: str) -> str:
    return f"refund:{refund_id}"


def refunded(session: Session, order: Order) -> Decimal:
    """What the order's refunds took out of escrow so far."""
    total: Decimal | None = session.scalar(
        select(func.sum(LedgerTransfer.amount)).where(
            LedgerTransfer.order_id == order.id, LedgerTransfer.key.like(refund_key("%"))
        )
    )
    return Decimal("0.00") if total is None else total


def _destination(session: Session, order: Order, to_wallet: bool) -> tuple[str, str]:
    if to_wallet:
        return ledger.wallet(session, order.buyer_id, order.currency).id, "refunded to the wallet"
    return ledger.platform_account(session, CLEARING, order.currency).id, "refunded"


def pay_seller(session: Session, order: Order, plan: PayoutPlan) -> None:
    """Escrow → the seller's wallet (the order's total minus the fee), and the fee → the
    platform's fees account."""
    funded = _funding(session, order) or _fund_late(session, order)
    escrow_id = funded.destination_id
    seller = ledger.wallet(session, order.seller_id, order.currency)
    fees = ledger.platform_account(session, FEES, order.currency)
    for key, destination, amount, what in (
        ("payout", seller.id, plan.amount, "payout"),
        ("fee", fees.id, plan.fee, "platform fee"),
    ):
        if amount > 0:
            ledger.post(
                session,
                f"order:{order.id}:{key}",
                escrow_id,
                destination,
                amount,
                order.currency,
                f"Order {order.order_number}: {what}",
                order_id=order.id,
            )


def _funding(session: Session, order: Order) -> LedgerTransfer | None:
    return session.scalars(
        select(LedgerTransfer).where(LedgerTransfer.key == _escrow_key(order))
    ).one_or_none()


def _fund_late(session: Session, order: Order) -> LedgerTransfer:
    """An order paid before the ledger existed: its captured money is put in escrow first."""
    fund_from_clearing(session, order, order.payment_id, "card (before the ledger)")
    funded = _funding(session, order)
    assert funded is not None
    return funded
