"""Rows to response bodies."""

from typing import Any

from sqlalchemy import Row

from api.schemas import (
    InvoiceOut,
    OrderDetail,
    OrderOut,
    PaymentOut,
)
from db.tables import CreditNote, Invoice, Payment


def order_out(row: Row[Any]) -> OrderOut:
    """An order as services/order_queries.py reads it: its columns and its payment's summary."""
    return OrderOut.model_validate(_order_fields(row))


def order_detail(row: Row[Any], events: list[dict[str, Any]]) -> OrderDetail:
    return OrderDetail.model_validate({**_order_fields(row), "timeline": events})


def _order_fields(row: Row[Any]) -> dict[str, object]:
    fields = dict(row._mapping)
    payment = None
    if fields["payment_status"] is not None:
        payment = {
            "id": fields["payment_id"],
            "status": fields["payment_status"],
            "payment_method": fields["payment_method"],
        }
    deadline = None
    if fields["deadline_kind"] is not None:
        deadline = {"kind": fields["deadline_kind"], "at": fields["deadline_at"]}
    payout = None
    if fields["payout_status"] is not None:
        payout = {
            "status": fields["payout_status"],
            "amount": fields["payout_amount"],
            "fee": fields["payout_fee"],
            "at": fields["payout_at"],
        }
    return {**fields, "payment": payment, "deadline": deadline, "payout": payout}


def payment_out(payment: Payment | Row[Any], show_gateway_response: bool) -> PaymentOut:
    fields = dict(payment._mapping) if isinstance(payment, Row) else _columns(payment)
    if not show_gateway_response:
        fields["gateway_response"] = None
    return PaymentOut.model_validate(fields)


def invoice_out(invoice: Invoice, credit_notes: list[CreditNote]) -> InvoiceOut:
    notes = [_columns(note) for note in credit_notes]
    return InvoiceOut.model_validate({**_columns(invoice), "credit_notes": notes})


def _columns(row: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    return {column.key: getattr(row, column.key) for column in table.columns}
