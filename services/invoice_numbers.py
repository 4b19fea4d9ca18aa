"""An invoice is numbered when it is issued (sent or paid), in the transaction that issues it:
`INV-YYYY-NNNNNN`, gapless per year, since a draft abandoned with its order never took one."""

from datetime import datetime

from sqlalchemy.orm import Session

from db.tables import Invoice
from services.counters import yearly_number


def issue(session: Session, invoice: Invoice, at: datetime) -> None:
    if invoice.invoice_number is None:
        invoice.invoice_number = yearly_number(session, "INV", at.year)
