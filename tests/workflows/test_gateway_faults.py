"""No fault of the gateway, of its answers or of our own can freeze an order or hide a charge.

Time-skipping server, real activities, the sandbox gateway with its fault injection (or the local
server answering like Stripe). Money is read from the gateway's book, not only from statuses.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from domain.contracts import CANCEL_REQUESTED, CancelCommand, GatewayEvent, ResolveCommand
from tests.fake_stripe import running_fake_stripe
from tests.support import make_listing
from tests.workflows.faults import (
    activity_started,
    admin_alerts,
    payment_statuses,
    start_paying,
    stripe_shop,
)
from tests.workflows.shop import (
    Shop,
    gateway_book,
    listing_row,
    open_shop,
    payments_of,
    the_order,
    timeline,
)
from workflows.order import OrderWorkflow

HOUR = timedelta(hours=1)


async def test_pending_lookups_then_the_charge_is_found_once(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(
        time_env, sqlite_url, sandbox_lost_answers=1, sandbox_pending_lookups=3
    ) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase)
        await time_env.sleep(timedelta(minutes=5))  # the lookups' backoff, skipped
        assert (await paying.result()).status == "completed"
        [charge] = gateway_book(shop.url, "charge")
        assert (charge.status, charge.calls, charge.amount) == (
            "succeeded",
            1,
            purchase.admission.total_amount,
        )
        [payment] = payments_of(shop.url, purchase.order_id)
        assert (payment.status, payment.transaction_id) == ("completed", charge.transaction_id)
        assert await payment_statuses(purchase.handle) == ["processing", "unknown", "completed"]
        lookups = [
            e
            for e in (await purchase.handle.fetch_history()).events
            if e.HasField("activity_task_scheduled_event_attributes")
            and e.activity_task_scheduled_event_attributes.activity_type.name == "find_charge"
        ]
        assert len(lookups) == 4  # three `pending`, then the truth
        await purchase.cancel(role="admin")


async def test_a_request_lost_before_the_gateway_saw_it_is_sent_again_once(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(time_env, sqlite_url, sandbox_lost_before_booking=1) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase)
        await time_env.sleep(timedelta(minutes=5))  # "not found" must hold a while; skipped
        assert (await paying.result()).status == "completed"
        [charge] = gateway_book(shop.url, "charge")
        # The lost call never reached the book; the resend under the same key charged once.
        assert (charge.status, charge.calls) == ("succeeded", 1)
        events = [e.event for e in timeline(shop.url, purchase.order_id)]
        assert events == ["created", "payment_outcome_unknown", "confirmed"]
        await purchase.cancel(role="admin")


async def test_a_charge_pending_past_the_window_goes_to_the_admins_and_resolve_settles_it(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(
        time_env,
        sqlite_url,
        sandbox_lost_answers=1,
        sandbox_pending_lookups=10**6,
        charge_lookup_window=HOUR,
        payment_timeout=timedelta(days=2),
    ) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase, payment_id="pay-unknown")
        await time_env.sleep(HOUR + timedelta(minutes=31))
        [alert] = admin_alerts(shop.url, purchase.order_id)
        assert "resolve" in alert.body
        [payment] = payments_of(shop.url, purchase.order_id)
        assert payment.status == "processing"
        assert (await payment_statuses(purchase.handle))[-1] == "unknown"

        with pytest.raises(WorkflowUpdateFailedError):  # only the payment in question
            await purchase.handle.execute_update(
                OrderWorkflow.resolve_payment,
                ResolveCommand(payment_id="other", outcome="succeeded", note="x", actor="admin-1"),
            )
        [charge] = gateway_book(shop.url, "charge")
        status = await purchase.handle.execute_update(
            OrderWorkflow.resolve_payment,
            ResolveCommand(
                payment_id="pay-unknown",
                outcome="succeeded",
                transaction_id=charge.transaction_id,
                note="seen in the gateway's dashboard",
                actor="admin-1",
            ),
        )
        assert status == "confirmed"
        assert (await paying.result()).status == "completed"
        [payment] = payments_of(shop.url, purchase.order_id)
        assert (payment.status, payment.transaction_id) == ("completed", charge.transaction_id)
        # Resolving gave the admin's word; the refund of a cancel goes to that same charge.
        assert await purchase.cancel(role="admin") == "cancelled"
        [refund] = gateway_book(shop.url, "refund")
        assert (refund.charge_id, refund.amount) == (charge.transaction_id, charge.amount)


async def test_our_own_error_before_sending_fails_the_attempt_and_the_order_can_be_cancelled(
    time_env: WorkflowEnvironment, postgres_url: str
) -> None:
    """Issue 6's frozen order: a token longer than the sandbox's column (PostgreSQL refuses the
    INSERT). Bounded retries, then `processing_error`; nothing charged; cancel gives stock back."""
    async with open_shop(time_env, postgres_url) as shop:
        listing_id = make_listing(shop.url, quantity=1)
        purchase = await shop.start(listing_id)
        paying = await start_paying(purchase, token="tok_" + "x" * 96)
        await time_env.sleep(timedelta(minutes=5))  # the bounded retries' backoff, skipped
        outcome = await paying.result()
        assert (outcome.status, outcome.error_code) == ("failed", "processing_error")
        assert outcome.error_message and "not charged" in outcome.error_message
        mine = [op for op in gateway_book(shop.url) if purchase.order_id in op.idempotency_key]
        assert mine == []  # the database is shared with other tests: this order's key only
        assert await purchase.cancel(role="buyer") == "cancelled"
        listing = listing_row(shop.url, listing_id)
        assert (listing.quantity_available, listing.status) == (1, "active")
        assert the_order(shop.url, purchase.order_id).refunded_amount == 0


async def test_a_cancel_during_a_charge_is_answered_at_once_and_refunds_that_charge(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(
        time_env, sqlite_url, sandbox_delay_before_charge=timedelta(seconds=3)
    ) as shop:
        listing_id = make_listing(shop.url, quantity=1)
        purchase = await shop.start(listing_id)
        paying = await start_paying(purchase)
        await activity_started(purchase.handle, "charge")
        asked = time.monotonic()
        assert await purchase.cancel(role="buyer") == CANCEL_REQUESTED
        assert time.monotonic() - asked < 2
        assert the_order(shop.url, purchase.order_id).status == "pending"
        assert (await paying.result()).status == "completed"
        assert (await purchase.handle.result()).status == "cancelled"
        [charge] = gateway_book(shop.url, "charge")
        [refund] = gateway_book(shop.url, "refund")
        total = purchase.admission.total_amount
        assert (charge.amount, refund.amount, refund.charge_id) == (
            total,
            total,
            charge.transaction_id,
        )
        order = the_order(shop.url, purchase.order_id)
        assert (order.status, order.refunded_amount) == ("cancelled", total)
        [payment] = payments_of(shop.url, purchase.order_id)
        assert payment.status == "refunded"
        events = [e.event for e in timeline(shop.url, purchase.order_id)]
        assert events == ["created", "cancel_requested", "confirmed", "cancelled"]
        assert listing_row(shop.url, listing_id).quantity_available == 1


async def test_a_payment_timeout_during_a_charge_waits_for_it_then_cancels_and_refunds(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(
        time_env,
        sqlite_url,
        payment_timeout=timedelta(seconds=1),
        sandbox_delay_before_charge=timedelta(seconds=3),
    ) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase)
        assert (await paying.result()).status == "completed"
        assert (await purchase.handle.result()).status == "cancelled"
        order = the_order(shop.url, purchase.order_id)
        assert (order.cancel_reason, order.refunded_amount) == (
            "payment_timeout",
            order.total_amount,
        )
        [charge] = gateway_book(shop.url, "charge")
        [refund] = gateway_book(shop.url, "refund")
        assert refund.amount == charge.amount == order.total_amount


async def test_delete_during_a_charge_is_refused_not_queued(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(
        time_env, sqlite_url, sandbox_delay_before_charge=timedelta(seconds=2)
    ) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase)
        await activity_started(purchase.handle, "charge")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await purchase.handle.execute_update(
                OrderWorkflow.cancel,
                CancelCommand(reason="deleted", actor="buyer-1", role="buyer", unpaid_only=True),
            )
        assert getattr(refused.value.cause, "type", None) == "payment_in_progress"
        assert (await paying.result()).status == "completed"
        assert the_order(shop.url, purchase.order_id).status == "confirmed"
        await purchase.cancel(role="admin")


async def test_a_misconfigured_gateway_is_an_ops_alert_not_a_decline(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    with running_fake_stripe() as (stripe, url):
        stripe.reject_key = True
        async with open_shop(
            time_env,
            sqlite_url,
            payment_gateway="stripe",
            stripe_api_key="sk_test_wrong",
            stripe_api_base=url,
        ) as shop:
            purchase = await shop.start(make_listing(shop.url))
            outcome = await purchase.pay("tok_visa")
            assert (outcome.status, outcome.error_code) == ("failed", "processing_error")
            assert outcome.error_message and "API Key" not in outcome.error_message
            [alert] = admin_alerts(shop.url, purchase.order_id)
            assert alert.title == "Payment gateway misconfigured"
            [payment] = payments_of(shop.url, purchase.order_id)
            # The admins see Stripe's words; the buyer sees ours.
            assert payment.gateway_response is not None
            assert "Invalid API Key" in str(payment.gateway_response)
            assert stripe.intents == {}
            stripe.reject_key = False
            assert (await purchase.pay("tok_visa", payment.id)).status == "completed"
            assert len(stripe.intents) == 1
            await purchase.cancel(role="admin")


async def test_stripe_500_after_charging_is_looked_up_and_charged_once(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with stripe_shop(time_env, sqlite_url) as (stripe, shop):
        purchase = await shop.start(make_listing(shop.url))
        assert (await purchase.pay("tok_processingError")).status == "completed"
        [intent] = stripe.intents.values()
        assert sum(stripe.created.values()) == 1
        [payment] = payments_of(shop.url, purchase.order_id)
        assert payment.transaction_id == intent["id"]
        assert "client_secret" not in (payment.gateway_response or {})
        assert the_order(shop.url, purchase.order_id).status == "confirmed"
        await purchase.cancel(role="admin")


async def test_a_pending_stripe_refund_is_refunded_only_when_stripe_says_so(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with stripe_shop(time_env, sqlite_url) as (stripe, shop):
        purchase = await shop.start(make_listing(shop.url))
        assert (await purchase.pay("tok_visa")).status == "completed"
        stripe.refund_status = "pending"
        assert await purchase.cancel(role="buyer") == "cancelled"
        [payment] = payments_of(shop.url, purchase.order_id)
        assert payment.status == "completed"  # not refunded until Stripe says so
        assert the_order(shop.url, purchase.order_id).refunded_amount == 0
        [refund] = stripe.refunds.values()
        stripe.settle_refund(refund["id"], "succeeded")
        assert (await purchase.handle.result()).status == "cancelled"
        [payment] = payments_of(shop.url, purchase.order_id)
        assert (payment.status, payment.refunded_amount) == ("refunded", payment.amount)
        assert the_order(shop.url, purchase.order_id).refunded_amount == payment.amount


async def test_a_failed_stripe_refund_alerts_the_admins_and_leaves_the_payment(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with stripe_shop(time_env, sqlite_url) as (stripe, shop):
        purchase = await shop.start(make_listing(shop.url))
        assert (await purchase.pay("tok_visa")).status == "completed"
        stripe.refund_status = "pending"
        assert await purchase.cancel(role="buyer") == "cancelled"
        [refund] = stripe.refunds.values()
        stripe.settle_refund(refund["id"], "failed")
        assert (await purchase.handle.result()).status == "cancelled"
        [payment] = payments_of(shop.url, purchase.order_id)
        assert payment.status == "completed"
        [alert] = admin_alerts(shop.url, purchase.order_id)
        assert alert.title == "A refund failed"


async def test_a_stripe_500_on_a_refund_is_looked_up_and_refunds_once(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with stripe_shop(time_env, sqlite_url) as (stripe, shop):
        purchase = await shop.start(make_listing(shop.url))
        assert (await purchase.pay("tok_visa")).status == "completed"
        stripe.refund_errors = 1
        cancelling = await purchase.handle.start_update(
            OrderWorkflow.cancel,
            CancelCommand(reason="changed_mind", actor="buyer-1", role="buyer"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        await time_env.sleep(timedelta(minutes=5))  # the lookup's backoff, skipped
        assert await cancelling.result() == "cancelled"
        [refund] = stripe.refunds.values()
        assert refund["amount"] == 152400
        [payment] = payments_of(shop.url, purchase.order_id)
        assert (payment.status, payment.refunded_amount) == ("refunded", payment.amount)


async def test_a_dispute_is_on_the_timeline_and_before_the_admins(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    assert (await purchase.pay("tok_visa")).status == "completed"
    dispute = GatewayEvent(
        event_id="evt_dispute_1",
        type="charge.dispute.created",
        object_id="dp_1",
        at=datetime.now(UTC),
        status="needs_response",
        detail="fraudulent",
    )
    await purchase.handle.signal(OrderWorkflow.gateway_event, dispute)
    await purchase.handle.signal(OrderWorkflow.gateway_event, dispute)  # Stripe resends
    await purchase.cancel(role="admin")
    events = [e.event for e in timeline(shop.url, purchase.order_id)]
    assert events.count("gateway:charge.dispute.created") == 1
    [alert] = admin_alerts(shop.url, purchase.order_id)
    assert alert.title == "A payment is disputed" and "fraudulent" in alert.body
