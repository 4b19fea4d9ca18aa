"""Records the top-up and payout histories tests/test_replay_wallets.py replays; runs only
when asked to, like the orders' recorder (tests/workflows/test_record_histories.py):

    ORDER_ENGINE_RECORD_HISTORIES=<tag> .venv/bin/pytest \
        tests/workflows/test_record_wallet_histories.py

Files go to tests/histories/wallets/<tag>-<path>.json and are never overwritten.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.shop import BUYER, Shop, fund_wallet
from tests.workflows.wallet_steps import NO_ACCOUNT, PAID, top_up, withdraw

HISTORIES = Path(__file__).parents[1] / "histories" / "wallets"
TAG = os.environ.get("ORDER_ENGINE_RECORD_HISTORIES", "")

pytestmark = pytest.mark.skipif(
    not TAG, reason="set ORDER_ENGINE_RECORD_HISTORIES=<tag> to record the replay histories"
)


async def record(handle: Any, name: str) -> None:
    target = HISTORIES / f"{TAG}-{name}.json"
    if target.exists():
        pytest.skip(f"{target.name} exists; recorded histories are never overwritten")
    history = await handle.fetch_history()
    text = json.dumps(json.loads(history.to_json()), indent=1, sort_keys=True)
    target.write_text(text + "\n")


@pytest.mark.parametrize(
    ("name", "token"), [("topup", "tok_visa"), ("topup_declined", "tok_chargeDeclined")]
)
async def test_record_top_up(shop: Shop, name: str, token: str) -> None:
    await record((await top_up(shop, token)).handle, name)


@pytest.mark.parametrize(
    ("name", "amount", "account"),
    [
        ("payout_paid", "60.00", PAID),
        ("payout_failed", "60.00", NO_ACCOUNT),
        ("payout_refused", "500.00", PAID),
    ],
)
async def test_record_payout(shop: Shop, name: str, amount: str, account: str) -> None:
    fund_wallet(shop.url, BUYER, "100.00", key="funds")
    await record((await withdraw(shop, amount, account)).handle, name)
