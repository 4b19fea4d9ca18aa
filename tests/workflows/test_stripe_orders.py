"""An order paid and refunded through the Stripe gateway (a local server answering like Stripe)."""

from temporalio.testing import WorkflowEnvironment

from tests.support import make_listing
from tests.workflows.faults import stripe_shop
from tests.workflows.shop import payments_of, the_order


async def test_pay_and_cancel_through_stripe(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with stripe_shop(time_env, sqlite_url) as (stripe, shop):
        purchase = await shop.start(make_listing(shop.url))
        declined = await purchase.pay("tok_chargeDeclinedInsufficientFunds")
        assert (declined.status, declined.error_code) == ("failed", "insufficient_funds")
        # Stripe refuses an unknown token outright: a failed payment, not a stuck one.
        refused = await purchase.pay("tok_unknown")
        assert (refused.status, refused.error_code) == ("failed", "invalid_request")
        assert (await purchase.pay("tok_visa")).status == "completed"
        [payment] = [p for p in payments_of(shop.url, purchase.order_id) if p.status == "completed"]
        assert payment.gateway == "stripe"
        assert payment.transaction_id in stripe.intents
        assert await purchase.cancel() == "cancelled"
        refunds = list(stripe.refunds.values())
        assert [(r["payment_intent"], r["amount"]) for r in refunds] == [
            (payment.transaction_id, 152400)
        ]
        order = the_order(shop.url, purchase.order_id)
        assert (order.status, str(order.refunded_amount)) == ("cancelled", "1524.00")
