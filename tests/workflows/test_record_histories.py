"""Records the histories tests/test_replay.py replays; runs only when asked to.

    ORDER_ENGINE_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflows/test_record_histories.py

Record again only on purpose (a new scenario, or a change of the workflow that is gated by
`workflow.patched()`); keep the old files too, since they stand for the running orders.
"""

import json
import os
from pathlib import Path

import pytest

from tests.support import make_listing
from tests.workflows.shop import Purchase, Shop

HISTORIES = Path(__file__).parents[1] / "histories"

pytestmark = pytest.mark.skipif(
    os.environ.get("ORDER_ENGINE_RECORD_HISTORIES") != "1",
    reason="set ORDER_ENGINE_RECORD_HISTORIES=1 to record the replay histories",
)


async def record(purchase: Purchase, name: str, status: str) -> None:
    assert (await purchase.handle.result()).status == status
    history = await purchase.handle.fetch_history()
    text = json.dumps(json.loads(history.to_json()), indent=1, sort_keys=True)
    (HISTORIES / f"{name}.json").write_text(text + "\n")


async def test_record_delivered_order(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay("tok_visa")
    await purchase.ship()
    await purchase.deliver()
    await record(purchase, "delivered", "delivered")


async def test_record_payment_timeout(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await record(purchase, "payment_timeout", "cancelled")


async def test_record_ship_timeout_refund(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url))
    await purchase.pay("tok_visa")
    await record(purchase, "ship_timeout_refund", "cancelled")
