"""Email: which notifications and invoices go out, and the messages themselves.

Mail is queued in the transaction that writes what it tells (services/outbox.py) and sent by a
workflow of its own (workflows/mail.py), so a mail server that is down delays the mail, never
the order. It goes to the `email` claim last seen for the user; without one, in-app only.
"""

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import update
from sqlalchemy.orm import Session

from db.tables import Invoice, Notification, Order, UserEmail
from services import outbox
from services.invoice_pdf import invoice_pdf

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "mail_templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def address_of(session: Session, user_id: str) -> str | None:
    row = session.get(UserEmail, user_id)
    return row.email if row is not None else None


def queue_notification(session: Session, notification_id: str, user_id: str, at: datetime) -> None:
    if not outbox.mail_on(session) or address_of(session, user_id) is None:
        return
    ref = f"notification:{notification_id}"
    outbox.enqueue(session, f"mail-{ref}", "mail", ref, at)


def queue_invoice(session: Session, invoice: Invoice, buyer_id: str, at: datetime) -> None:
    """The invoice, PDF attached, to its buyer: once when it is issued."""
    if not outbox.mail_on(session) or address_of(session, buyer_id) is None:
        return
    ref = f"invoice:{invoice.id}"
    outbox.enqueue(session, f"mail-{ref}:issued", "mail", ref, at)


def compose(session: Session, ref: str, sender: str, message_key: str) -> EmailMessage | None:
    """The message `ref` names, to the address last seen for its reader; None when there is
    no such address (or nothing to send any more). `message_key` makes its Message-ID: the
    same send tried again after a crash carries the same one, so mail clients fold it away."""
    kind, _, object_id = ref.partition(":")
    if kind == "notification":
        return _notification_message(session, object_id, _Envelope(sender, message_key))
    if kind == "invoice":
        return _invoice_message(session, object_id, _Envelope(sender, message_key))
    raise ValueError(f"no mail of kind {kind!r}")


def mark_sent(session: Session, ref: str, at: datetime) -> None:
    kind, _, object_id = ref.partition(":")
    if kind == "notification":
        session.execute(
            update(Notification)
            .where(Notification.id == object_id, Notification.emailed_at.is_(None))
            .values(emailed_at=at)
        )


class _Envelope(NamedTuple):
    sender: str
    message_key: str


def _notification_message(
    session: Session, notification_id: str, envelope: _Envelope
) -> EmailMessage | None:
    notification = session.get(Notification, notification_id)
    if notification is None:
        return None
    to = address_of(session, notification.user_id)
    if to is None:
        return None
    order = session.get(Order, notification.order_id) if notification.order_id else None
    fields = {
        "title": notification.title,
        "body": notification.body,
        "order_number": order.order_number if order else None,
    }
    message = _message(envelope, to, notification.title)
    _bodies(message, "notification", fields)
    return message


def _invoice_message(session: Session, invoice_id: str, envelope: _Envelope) -> EmailMessage | None:
    invoice = session.get(Invoice, invoice_id)
    order = session.get(Order, invoice.order_id) if invoice else None
    if invoice is None or order is None or invoice.invoice_number is None:
        return None  # a draft is never mailed
    if invoice.status == "cancelled":
        return None  # nothing to pay any more: no bank details, no due date
    to = address_of(session, order.buyer_id)
    if to is None:
        return None
    subject = (
        f"Invoice {invoice.invoice_number} for {order.order_number}: "
        f"{invoice.total} {invoice.currency}"
    )
    message = _message(envelope, to, subject)
    _bodies(message, "invoice", {"invoice": invoice, "order": order})
    message.add_attachment(
        invoice_pdf(session, invoice.id),
        maintype="application",
        subtype="pdf",
        filename=f"{invoice.invoice_number}.pdf",
    )
    return message


def _message(envelope: _Envelope, to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = envelope.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now().astimezone())
    domain = envelope.sender.rpartition("@")[2].strip("> ") or "order-engine.invalid"
    local = "".join(c if c.isalnum() or c in ".-" else "." for c in envelope.message_key)
    message["Message-ID"] = f"<{local}@{domain}>"
    return message


def _bodies(message: EmailMessage, template: str, fields: Mapping[str, object]) -> None:
    message.set_content(_TEMPLATES.get_template(f"{template}.txt").render(**fields))
    html = _TEMPLATES.get_template(f"{template}.html").render(**fields)
    message.add_alternative(html, subtype="html")
