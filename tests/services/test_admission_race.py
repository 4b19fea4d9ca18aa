import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from activities.orders import OrderActivities
from db.engine import session_scope
from db.tables import Invoice, Order
from domain.contracts import Admission
from tests.services.helpers import count, listing_state, new_order
from tests.support import make_listing

BUYERS = 20


@pytest.mark.parametrize("stock", [1, 5])
def test_buyers_racing_for_the_stock(database_url: str, stock: int) -> None:
    listing_id = make_listing(database_url, quantity=stock)
    orders = [new_order(listing_id, buyer_id=f"racer-{n}") for n in range(BUYERS)]
    activities = OrderActivities(database_url)
    start = threading.Barrier(BUYERS)

    def buy(n: int) -> Admission:
        start.wait()
        # The activity itself: its own session_scope, i.e. its own transaction.
        return activities.admit_order(orders[n])

    with ThreadPoolExecutor(BUYERS) as pool:
        admissions = list(pool.map(buy, range(BUYERS)))

    accepted = [a for a in admissions if a.accepted]
    assert len(accepted) == stock
    assert {a.reason for a in admissions if not a.accepted} == {"out_of_stock"}
    assert listing_state(database_url, listing_id) == (0, "sold_out")
    assert count(database_url, Order, Order.listing_id == listing_id) == stock
    with session_scope(database_url) as session:
        rows = session.scalars(select(Order).where(Order.listing_id == listing_id)).all()
        assert {row.buyer_id for row in rows} == {a.buyer_id for a in accepted}
        assert len({row.order_number for row in rows}) == stock
        invoices = session.scalars(
            select(Invoice.invoice_number).where(Invoice.order_id.in_([r.id for r in rows]))
        ).all()
        assert invoices == [None] * stock  # drafts: numbered only when issued
