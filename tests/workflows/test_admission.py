"""Admission: stock is taken atomically, and an order that gets none is never created."""

from temporalio.testing import WorkflowEnvironment

from domain.contracts import OrderResult
from tests.support import make_listing
from tests.workflows.shop import Shop, listing_row, order_row
from workflows import search_attributes as sa


async def test_second_order_for_the_last_unit_is_rejected_out_of_stock(
    shop: Shop, time_env: WorkflowEnvironment
) -> None:
    listing_id = make_listing(shop.url, quantity=1)
    first = await shop.start(listing_id, buyer_id="buyer-1")
    assert first.admission.accepted

    second = await shop.start(listing_id, buyer_id="buyer-2")

    assert (second.admission.accepted, second.admission.reason) == (False, "out_of_stock")
    # Skipping time while waiting would run out the first order's payment timer.
    with time_env.auto_time_skipping_disabled():
        result = await second.handle.result()
    assert result == OrderResult(status="rejected", reason="out_of_stock")
    assert order_row(shop.url, second.order_id) is None
    found = (await second.handle.describe()).typed_search_attributes
    assert found.get(sa.ORDER_STATUS) == "rejected"
    assert order_row(shop.url, first.order_id) is not None
    listing = listing_row(shop.url, listing_id)
    assert (listing.quantity_available, listing.status) == (0, "sold_out")
