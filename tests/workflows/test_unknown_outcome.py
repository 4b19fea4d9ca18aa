"""A charge whose answer is lost: the gateway is asked by the key, never charged blindly."""

from temporalio.testing import WorkflowEnvironment

from tests.support import make_listing
from tests.workflows.faults import payment_statuses
from tests.workflows.shop import (
    gateway_book,
    open_shop,
    payments_of,
    the_order,
    timeline,
)


async def test_a_lost_answer_is_looked_up_not_charged_again(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(time_env, sqlite_url, sandbox_lost_answers=1) as shop:
        purchase = await shop.start(make_listing(shop.url))
        outcome = await purchase.pay("tok_visa")
        assert outcome.status == "completed"
        assert the_order(shop.url, purchase.order_id).status == "confirmed"
        charges = gateway_book(shop.url, "charge")
        # Booked once, answered never; the lookup found it, so no second charge call was made.
        assert [(c.status, c.calls) for c in charges] == [("succeeded", 1)]
        assert [p.status for p in payments_of(shop.url, purchase.order_id)] == ["completed"]
        events = [e.event for e in timeline(shop.url, purchase.order_id)]
        assert events == ["created", "payment_outcome_unknown", "confirmed"]
        assert await payment_statuses(purchase.handle) == ["processing", "unknown", "completed"]
        await purchase.cancel(role="admin")
