"""Which notifications and invoices are queued for email, and the messages composed from them:
only with a mail server configured, only to users whose `email` claim is known, never to the
admins' role inbox; a draft invoice is never mailed."""

import dataclasses
import uuid
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities
from db.engine import session_scope
from db.tables import Invoice, Notification, Order, OutboxItem
from db.types import utcnow
from domain.outbox_contracts import OutboxRef
from services import mail, outbox, user_emails
from services.invoice_numbers import issue
from services.notifications import ADMINS, notify_order_event
from tests.mailbox import free_port
from tests.services.helpers import admit, new_order
from tests.services.outbox_helpers import transfer_asked
from tests.support import make_listing

SENDER = "Marketplace <orders@marketplace.test>"


def placed(url: str, mail_on: bool, with_address: bool) -> tuple[str, str]:
    """An order placed, its `created` notifications written: (order id, buyer id)."""
    new = new_order(make_listing(url))
    admit(url, new)
    with session_scope(url) as session:
        session.info[outbox.MAIL_ON] = mail_on
        if with_address:
            user_emails.remember(session, new.buyer_id, "ada@buyers.test", utcnow())
        order = session.get(Order, new.order_id)
        assert order is not None
        notify_order_event(session, order, "confirmed", "confirmed-again", utcnow())
    return new.order_id, new.buyer_id


def queued(url: str) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        return [(i.kind, i.ref) for i in session.scalars(select(OutboxItem))]


def notification(url: str, user_id: str, key_part: str) -> Notification:
    with session_scope(url) as session:
        query = select(Notification).where(
            Notification.user_id == user_id, Notification.key.contains(key_part)
        )
        return session.scalars(query).one()


def test_only_known_addresses_get_mail_and_only_when_mail_is_on(sqlite_url: str) -> None:
    order_id, buyer = placed(sqlite_url, mail_on=True, with_address=True)
    mine = notification(sqlite_url, buyer, "confirmed-again")
    # The seller has no address, the admins' inbox is a role's: only the buyer's is queued.
    assert queued(sqlite_url) == [("mail", f"notification:{mine.id}")]
    placed(sqlite_url, mail_on=False, with_address=True)
    placed(sqlite_url, mail_on=True, with_address=False)
    assert queued(sqlite_url) == [("mail", f"notification:{mine.id}")]
    admins = notification(sqlite_url, ADMINS, f"{order_id}:confirmed-again")
    with session_scope(sqlite_url, read_only=True) as session:
        assert mail.compose(session, f"notification:{admins.id}", SENDER, "k") is None


def test_a_notification_message_has_both_bodies_and_a_stable_id(sqlite_url: str) -> None:
    _, buyer = placed(sqlite_url, mail_on=True, with_address=True)
    mine = notification(sqlite_url, buyer, "confirmed-again")
    with session_scope(sqlite_url, read_only=True) as session:
        first = mail.compose(session, f"notification:{mine.id}", SENDER, "mail-x:1")
        again = mail.compose(session, f"notification:{mine.id}", SENDER, "mail-x:1")
    assert isinstance(first, EmailMessage) and isinstance(again, EmailMessage)
    assert (first["To"], first["From"], first["Subject"]) == ("ada@buyers.test", SENDER, mine.title)
    assert first["Message-ID"] == again["Message-ID"] == "<mail-x.1@marketplace.test>"
    plain, html = first.get_body(("plain",)), first.get_body(("html",))
    assert plain is not None and mine.body in plain.get_content()
    assert html is not None and "<h2" in html.get_content()


def test_a_draft_is_never_mailed_an_issued_invoice_carries_its_pdf(sqlite_url: str) -> None:
    order_id, _ = placed(sqlite_url, mail_on=True, with_address=True)
    with session_scope(sqlite_url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        invoice_id = invoice.id
    with session_scope(sqlite_url, read_only=True) as session:
        assert mail.compose(session, f"invoice:{invoice_id}", SENDER, "k") is None
    with session_scope(sqlite_url) as session:
        issued = session.get(Invoice, invoice_id)
        assert issued is not None
        issue(session, issued, utcnow())
        number = issued.invoice_number
    with session_scope(sqlite_url, read_only=True) as session:
        message = mail.compose(session, f"invoice:{invoice_id}", SENDER, "k")
    assert message is not None and number is not None and number in message["Subject"]
    [pdf] = list(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"{number}.pdf"


def test_an_invoice_cancelled_before_its_mail_went_out_is_not_mailed(sqlite_url: str) -> None:
    _, _, order_id = transfer_asked(sqlite_url)  # the buyer has an address
    with session_scope(sqlite_url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        issue(session, invoice, utcnow())  # issued for the bank transfer, its mail queued
        invoice_id = invoice.id
    with session_scope(sqlite_url) as session:
        again = session.get(Invoice, invoice_id)
        assert again is not None
        again.status = "cancelled"  # services/fulfilment.cancel: the order cancelled unpaid
    with session_scope(sqlite_url, read_only=True) as session:
        message = mail.compose(session, f"invoice:{invoice_id}", SENDER, "mail-k")
    assert message is None, message and message["Subject"]


def test_an_email_claim_is_one_plain_mailbox_or_nothing() -> None:
    assert user_emails.usable("ada@buyers.test") == "ada@buyers.test"
    for bad in [
        "ada@buyers.test\n",  # `$` would have let this through, and broken the headers
        "ada@buyers.test\r\nBcc: all@x.test",
        "ada@buyers.test\x00",
        "a@x.test, b@y.test",
        "Ada <ada@buyers.test>",
        "no-at-sign",
        42,
        None,
        "a" * 310 + "@buyers.test",
    ]:
        assert user_emails.usable(bad) is None, bad


class RefusesEveryone:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return "550 5.1.1 No such mailbox here"


async def test_a_permanently_refused_recipient_is_not_retried_for_days(sqlite_url: str) -> None:
    _, _, order_id = transfer_asked(sqlite_url)
    with session_scope(sqlite_url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        issue(session, invoice, utcnow())
        invoice_id = invoice.id
    port = free_port()
    controller = Controller(RefusesEveryone(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = MailActivities(sqlite_url, f"smtp://127.0.0.1:{port}", "orders@shop.test")
        env = ActivityEnvironment()
        env.info = dataclasses.replace(
            env.info, workflow_id=f"mail-invoice:{invoice_id}:{uuid.uuid4()}"
        )
        with pytest.raises(Exception) as raised:
            await env.run(mailer.send_mail, OutboxRef(ref=f"invoice:{invoice_id}"))
    finally:
        controller.stop()
    error = raised.value
    assert isinstance(error, ApplicationError) and error.non_retryable, repr(error)
    assert "refused" in str(error) and "@" not in str(error)  # no address in the history
