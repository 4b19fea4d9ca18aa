"""The escrow hold is over: the seller is paid what the workflow planned, the platform its fee."""

from sqlalchemy.orm import Session

from domain.contracts import PayoutDue
from services import escrow
from services.timeline import lock_order, note, set_deadline


def pay_out(session: Session, due: PayoutDue) -> None:
    order = lock_order(session, due.order_id)
    if order.payout_status == "paid":
        return
    plan = due.plan
    escrow.pay_seller(session, order, plan)
    order.payout_status = "paid"
    order.payout_amount, order.payout_fee, order.payout_at = plan.amount, plan.fee, due.at
    set_deadline(order, None)
    note(
        session,
        order,
        "paid_out",
        "system",
        due.at,
        "paid_out",
        detail=f"{plan.amount:.2f} {plan.currency} to the seller's wallet, "
        f"platform fee {plan.fee:.2f} {plan.currency}",
    )
