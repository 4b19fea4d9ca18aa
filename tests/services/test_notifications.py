"""An order's notifications: one row per reader and key, written once however often the step
runs, and mail queued for exactly the rows that were new (SQLite and PostgreSQL)."""

from sqlalchemy import select

from db.engine import session_scope
from db.tables import Notification, Order, OutboxItem
from db.types import utcnow
from services import outbox, user_emails
from services.notifications import ADMINS, notify_order_event
from tests.services.helpers import admit, new_order
from tests.support import make_listing


def notify(url: str, order_id: str, event: str, key: str) -> None:
    with session_scope(url) as session:
        session.info[outbox.MAIL_ON] = True
        order = session.get(Order, order_id)
        assert order is not None
        notify_order_event(session, order, event, key, utcnow())


def readers(url: str, order_id: str, key: str) -> list[tuple[str, str]]:
    with session_scope(url, read_only=True) as session:
        query = select(Notification.user_id, Notification.kind).where(
            Notification.key == f"{order_id}:{key}"
        )
        return sorted((row.user_id, row.kind) for row in session.execute(query))


def mailed(url: str) -> set[str]:
    """The notifications queued for mail, by the reader they are for."""
    with session_scope(url, read_only=True) as session:
        refs = session.scalars(select(OutboxItem.ref).where(OutboxItem.kind == "mail")).all()
        ids = [ref.removeprefix("notification:") for ref in refs]
        query = select(Notification.user_id).where(Notification.id.in_(ids))
        return set(session.scalars(query))


def test_a_step_run_again_notifies_no_one_twice(database_url: str) -> None:
    new = new_order(make_listing(database_url))
    admit(database_url, new)
    with session_scope(database_url) as session:
        order = session.get(Order, new.order_id)
        assert order is not None
        seller = order.seller_id
        for user_id in (new.buyer_id, seller):
            user_emails.remember(session, user_id, f"{user_id}@example.test", utcnow())
    before = mailed(database_url)

    notify(database_url, new.order_id, "paid_out", "step")  # the seller and the admins
    assert readers(database_url, new.order_id, "step") == [
        (ADMINS, "paid_out"),
        (seller, "paid_out"),
    ]
    assert mailed(database_url) - before == {seller}

    # Same key, a wider audience: only the buyer's row is new, and only it is mailed.
    notify(database_url, new.order_id, "cancelled", "step")
    assert readers(database_url, new.order_id, "step") == sorted(
        [(ADMINS, "paid_out"), (seller, "paid_out"), (new.buyer_id, "cancelled")]
    )
    assert mailed(database_url) - before == {seller, new.buyer_id}

    notify(database_url, new.order_id, "cancelled", "step")
    assert len(readers(database_url, new.order_id, "step")) == 3
    with session_scope(database_url, read_only=True) as session:
        mails = session.scalars(select(OutboxItem.ref).where(OutboxItem.kind == "mail")).all()
    assert len(mails) == len(before) + 2
