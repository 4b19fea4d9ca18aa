"""Which notifications and invoices are queued for email, and the messages composed from them:
only with a mail server configured, only to users whose `email` claim is known, never to the
admins' role inbox; a draft invoice is never mailed."""

from email.message import EmailMessage

from sqlalchemy import select

from db.engine import session_scope
from db.tables import Invoice, Notification, Order, OutboxItem
from db.types import utcnow
from services import mail, outbox, user_emails
from services.invoice_numbers import issue
from services.notifications import ADMINS, notify_order_event
from tests.services.helpers import admit, new_order
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
