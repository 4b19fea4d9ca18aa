"""Rows to response bodies."""

from typing import Any

from api.schemas import (
    InvoiceOut,
    OrderDetail,
    OrderOut,
    PaymentOut,
    PaymentSummary,
)
from db.tables import CreditNote, Invoice, Order, Payment


def order_out(order: Order, payment: Payment | None) -> OrderOut:
    return OrderOut.model_validate(_order_fields(order, payment))


def order_detail(
    order: Order, payment: Payment | None, events: list[dict[str, Any]]
) -> OrderDetail:
    return OrderDetail.model_validate({**_order_fields(order, payment), "timeline": events})


def _order_fields(order: Order, payment: Payment | None) -> dict[str, object]:
    deadline = None
    if order.deadline_kind is not None:
        deadline = {"kind": order.deadline_kind, "at": order.deadline_at}
    payout = None
    if order.payout_status is not None:
        payout = {
            "status": order.payout_status,
            "amount": order.payout_amount,
            "fee": order.payout_fee,
            "at": order.payout_at,
        }
    return {**_columns(order), "payment": _summary(payment), "deadline": deadline, "payout": payout}


def payment_out(payment: Payment, show_gateway_response: bool) -> PaymentOut:
    fields = _columns(payment)
    if not show_gateway_response:
        fields["gateway_response"] = None
    return PaymentOut.model_validate(fields)


def invoice_out(invoice: Invoice, credit_notes: list[CreditNote]) -> InvoiceOut:
    notes = [_columns(note) for note in credit_notes]
    return InvoiceOut.model_validate({**_columns(invoice), "credit_notes": notes})


def _summary(payment: Payment | None) -> PaymentSummary | None:
    if payment is None:
        return None
    return PaymentSummary(
        id=payment.id, status=payment.status, payment_method=payment.payment_method
    )


def _columns(row: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    return {column.key: getattr(row, column.key) for column in table.columns}
