"""A discount code on an order: its use reserved with the order (at creation, or applied to the
pending order later), the order and its draft invoice re-totalled, the use given back when the
order is cancelled unpaid and counted when it is paid. The code's rules and counters are
services/discounts.py's."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from db.tables import Invoice, Order
from domain.contracts import Admission, DiscountApplied
from domain.discounts import DiscountRefused
from domain.totals import order_totals
from services import discounts
from services.timeline import lock_order, note


def reserve_for(
    session: Session, order: Order, code: str, tax_rate: Decimal, at: datetime
) -> str | None:
    """Reserve the code's use for the order and re-total it; the refusal's reason, or None."""
    try:
        stored, amount = discounts.reserve(
            session, code, order.buyer_id, order.id, order.subtotal, at
        )
    except DiscountRefused as refused:
        return refused.reason
    totals = order_totals(order.unit_price, order.quantity, order.shipping, tax_rate, amount)
    order.discount_code = stored
    order.discount, order.tax, order.total_amount = totals.discount, totals.tax, totals.total_amount
    return None


def apply_to_pending(session: Session, applied: DiscountApplied) -> Admission:
    """The buyer applies a code to the pending order: its use is reserved (another code's
    given back), the order and its draft invoice re-totalled."""
    # Imported here: services.admission imports this module for the code given at creation.
    from services.admission import admission_of

    order = lock_order(session, applied.order_id)
    if order.discount_code is not None and order.discount_code.upper() == applied.code.upper():
        return admission_of(order)  # this step ran before
    refused = reserve_for(session, order, applied.code, applied.tax_rate, applied.at)
    if refused is not None:
        return Admission(accepted=False, reason="discount_invalid", discount_reason=refused)
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is not None and invoice.status == "draft":
        retotal_invoice(invoice, order)
    note(
        session,
        order,
        "discount_applied",
        applied.actor,
        applied.at,
        f"discount_applied:{order.discount_code}",
        detail=f"{order.discount_code}: -{order.discount:.2f}; "
        f"total {order.total_amount:.2f} {order.currency}",
    )
    return admission_of(order)


def invoice_lines(order: Order) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = [
        {
            "description": order.item_name,
            "quantity": order.quantity,
            "unit_price": str(order.unit_price),
            "amount": str(order.subtotal),
        }
    ]
    if order.discount > 0:
        lines.append(
            {
                "description": f"Discount {order.discount_code}",
                "quantity": 1,
                "unit_price": f"-{order.discount:.2f}",
                "amount": f"-{order.discount:.2f}",
            }
        )
    return lines


def retotal_invoice(invoice: Invoice, order: Order) -> None:
    invoice.line_items = invoice_lines(order)
    invoice.discount, invoice.tax, invoice.total = order.discount, order.tax, order.total_amount
    invoice.amount_due = order.total_amount - invoice.amount_paid
