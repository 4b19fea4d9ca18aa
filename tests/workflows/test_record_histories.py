"""Records the histories tests/test_replay.py replays; runs only when asked to.

    ORDER_ENGINE_RECORD_HISTORIES=<tag> .venv/bin/pytest tests/workflows/test_record_histories.py

Each file is named `<tag>-<path>.json`, the tag naming the version of OrderWorkflow that made it
(the three untagged files are the first version's). The recorder never overwrites a file: the old
ones stand for orders still running, so both the patched and the unpatched branches stay protected.
"""

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.contracts import (
    CANCEL_REQUESTED,
    BankTransferCommand,
    GatewayEvent,
    OfflinePaymentCommand,
    ResolveCommand,
)
from tests.support import make_listing
from tests.workflows.faults import activity_started, start_paying
from tests.workflows.shop import BUYER, Purchase, Shop, fund_wallet, open_shop
from workflows.order import OrderWorkflow

HISTORIES = Path(__file__).parents[1] / "histories"
TAG = os.environ.get("ORDER_ENGINE_RECORD_HISTORIES", "")

pytestmark = pytest.mark.skipif(
    not TAG, reason="set ORDER_ENGINE_RECORD_HISTORIES=<tag> to record the replay histories"
)


async def record(purchase: Purchase, name: str, status: str) -> None:
    assert (await purchase.handle.result()).status == status
    target = HISTORIES / f"{TAG}-{name}.json"
    if target.exists():
        pytest.skip(f"{target.name} exists; recorded histories are never overwritten")
    history = await purchase.handle.fetch_history()
    text = json.dumps(json.loads(history.to_json()), indent=1, sort_keys=True)
    target.write_text(text + "\n")


async def test_record_delivered_order(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay("tok_visa")
    await purchase.ship()
    await purchase.deliver()
    await record(purchase, "delivered", "delivered")


async def test_record_wallet_short_then_paid_and_cancelled(shop: Shop) -> None:
    fund_wallet(shop.url, BUYER, "100.00", key="short")
    purchase = await shop.start(make_listing(shop.url))
    payment_id = str(uuid.uuid4())
    assert (await purchase.pay_from_wallet(payment_id)).status == "failed"
    fund_wallet(shop.url, BUYER, "5000.00", key="enough")
    assert (await purchase.pay_from_wallet(payment_id)).status == "completed"
    await purchase.cancel()
    await record(purchase, "wallet_cancel", "cancelled")


async def test_record_payment_timeout(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await record(purchase, "payment_timeout", "cancelled")


async def test_record_ship_timeout_refund(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay("tok_visa")
    await record(purchase, "ship_timeout_refund", "cancelled")


async def test_record_bank_transfer_confirmed(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.handle.execute_update(
        OrderWorkflow.request_bank_transfer,
        BankTransferCommand(payment_id=str(uuid.uuid4()), account="IBAN X", actor=BUYER),
    )
    await purchase.handle.execute_update(
        OrderWorkflow.confirm_offline_payment,
        OfflinePaymentCommand(payment_id=str(uuid.uuid4()), actor="admin-1"),
    )
    await purchase.ship()
    await purchase.deliver()
    await record(purchase, "bank_transfer", "delivered")


async def test_record_bank_transfer_overdue_then_cancelled(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.handle.execute_update(
        OrderWorkflow.request_bank_transfer,
        BankTransferCommand(payment_id=str(uuid.uuid4()), account="IBAN X", actor=BUYER),
    )
    await record(purchase, "bank_transfer_overdue_cancelled", "cancelled")


async def test_record_bank_transfer_paid_when_overdue(
    shop: Shop, time_env: WorkflowEnvironment
) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.handle.execute_update(
        OrderWorkflow.request_bank_transfer,
        BankTransferCommand(payment_id=str(uuid.uuid4()), account="IBAN X", actor=BUYER),
    )
    # Past the end of the due date (BANK_TRANSFER_TIMEOUT, then the rest of that day), within
    # the grace.
    await time_env.sleep(shop.settings.bank_transfer_timeout + timedelta(days=1, hours=1))
    await purchase.handle.execute_update(
        OrderWorkflow.confirm_offline_payment,
        OfflinePaymentCommand(payment_id=str(uuid.uuid4()), actor="admin-1"),
    )
    await purchase.ship()
    await purchase.deliver()
    await record(purchase, "bank_transfer_paid_when_overdue", "delivered")


async def test_record_offline_confirm(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.handle.execute_update(
        OrderWorkflow.confirm_offline_payment,
        OfflinePaymentCommand(payment_id=str(uuid.uuid4()), actor="admin-1"),
    )
    await purchase.cancel(role="admin")
    await record(purchase, "offline_confirm_cancel", "cancelled")


async def test_record_paid_cancel(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay("tok_visa")
    await purchase.cancel(role="buyer")
    await record(purchase, "paid_cancel", "cancelled")


async def test_record_decline_then_retry(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    payment_id = str(uuid.uuid4())
    assert (await purchase.pay("tok_chargeDeclined", payment_id)).status == "failed"
    assert (await purchase.pay("tok_visa", payment_id)).status == "completed"
    await purchase.cancel(role="admin")
    await record(purchase, "decline_then_retry", "cancelled")


async def test_record_unknown_outcome_and_webhook(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with open_shop(time_env, sqlite_url, sandbox_lost_answers=1) as shop:
        purchase = await shop.start(make_listing(shop.url))
        assert (await purchase.pay("tok_visa")).status == "completed"
        await purchase.handle.signal(
            OrderWorkflow.gateway_event,
            GatewayEvent(
                event_id="evt_1", type="charge.succeeded", object_id="pi_1", at=datetime.now(UTC)
            ),
        )
        await purchase.cancel(role="admin")
        await record(purchase, "unknown_outcome_webhook", "cancelled")


async def test_record_cancel_during_charge(time_env: WorkflowEnvironment, sqlite_url: str) -> None:
    async with open_shop(
        time_env, sqlite_url, sandbox_delay_before_charge=timedelta(seconds=2)
    ) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase)
        await activity_started(purchase.handle, "charge")
        assert await purchase.cancel(role="buyer") == CANCEL_REQUESTED
        assert (await paying.result()).status == "completed"
        await record(purchase, "cancel_during_charge", "cancelled")


async def test_record_unknown_resolved(time_env: WorkflowEnvironment, sqlite_url: str) -> None:
    async with open_shop(
        time_env,
        sqlite_url,
        sandbox_lost_answers=1,
        sandbox_pending_lookups=10**6,
        charge_lookup_window=timedelta(hours=1),
        payment_timeout=timedelta(days=2),
    ) as shop:
        purchase = await shop.start(make_listing(shop.url))
        paying = await start_paying(purchase, payment_id="pay-unknown")
        await time_env.sleep(timedelta(hours=2))
        await purchase.handle.execute_update(
            OrderWorkflow.resolve_payment,
            ResolveCommand(
                payment_id="pay-unknown", outcome="failed", note="never arrived", actor="admin-1"
            ),
        )
        assert (await paying.result()).status == "failed"
        await purchase.cancel(role="buyer")
        await record(purchase, "unknown_resolved_failed", "cancelled")
