"""Records the histories of refunds: the order's (replayed by tests/test_replay.py with the
others in tests/histories/) and the refund's own (tests/histories/refunds/, replayed by
tests/test_replay_refunds.py). Runs only when asked to, never overwriting a file:

    ORDER_ENGINE_RECORD_HISTORIES=<tag> .venv/bin/pytest \\
        tests/workflows/test_record_refund_histories.py
"""

import asyncio
import json
import os
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from domain.contracts import BankTransferCommand, OfflinePaymentCommand
from domain.refund_contracts import ApproveCommand, CompleteCommand, RefundAsk, RejectCommand
from tests.support import make_listing
from tests.workflows.shop import BUYER, Shop
from tests.workflows.test_refunds import delivered
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow

HISTORIES = Path(__file__).parents[1] / "histories"
TAG = os.environ.get("ORDER_ENGINE_RECORD_HISTORIES", "")

pytestmark = pytest.mark.skipif(
    not TAG, reason="set ORDER_ENGINE_RECORD_HISTORIES=<tag> to record the replay histories"
)


async def record(handle: WorkflowHandle[Any, Any], target: Path) -> None:
    await handle.result()
    history = await handle.fetch_history()
    text = json.dumps(json.loads(history.to_json()), indent=1, sort_keys=True)
    if not write_new(target, text + "\n"):
        pytest.skip(f"{target.name} exists; recorded histories are never overwritten")


def write_new(target: Path, text: str) -> bool:
    if target.exists():
        return False
    target.write_text(text)
    return True


async def refund_path(
    shop: Shop, name: str, by_wallet: bool, amount: str | None, decide: Any
) -> None:
    purchase = await delivered(shop, by_wallet=by_wallet)
    ask = RefundAsk(
        refund_id=str(uuid.uuid4()),
        reason="damaged",
        description="dent",
        amount=Decimal(amount) if amount else None,
        actor=BUYER,
    )
    opened = await purchase.handle.execute_update(OrderWorkflow.request_refund, ask)
    refund = shop.env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await decide(refund)
    await record(refund, HISTORIES / "refunds" / f"{TAG}-{name}.json")
    await record(purchase.handle, HISTORIES / f"{TAG}-{name}.json")


async def approve(refund: WorkflowHandle[Any, Any]) -> None:
    await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin-1"))


async def test_record_partial_card_refund(shop: Shop) -> None:
    await refund_path(shop, "refund_partial_card", False, "500.00", approve)


async def test_record_full_wallet_refund(shop: Shop) -> None:
    await refund_path(shop, "refund_full_wallet", True, None, approve)


async def test_record_rejected_refund(shop: Shop) -> None:
    async def reject(refund: WorkflowHandle[Any, Any]) -> None:
        command = RejectCommand(admin_notes="no", actor="admin-1")
        await refund.execute_update(RefundWorkflow.reject, command)

    await refund_path(shop, "refund_rejected", False, "100.00", reject)


async def test_record_manual_refund(shop: Shop) -> None:
    """Paid by bank transfer: the money goes back by hand, and an admin completes the refund."""
    purchase = await shop.start(make_listing(shop.url))
    transfer = BankTransferCommand(payment_id=str(uuid.uuid4()), account="IBAN X", actor=BUYER)
    await purchase.handle.execute_update(OrderWorkflow.request_bank_transfer, transfer)
    confirm = OfflinePaymentCommand(payment_id=str(uuid.uuid4()), actor="admin-1")
    await purchase.handle.execute_update(OrderWorkflow.confirm_offline_payment, confirm)
    ask = RefundAsk(refund_id=str(uuid.uuid4()), reason="other", description="-", actor=BUYER)
    opened = await purchase.handle.execute_update(OrderWorkflow.request_refund, ask)
    assert opened.route == "manual"
    refund = shop.env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
    await approve(refund)
    for _ in range(200):
        if await refund.query(RefundWorkflow.status) == "processing":
            break
        await asyncio.sleep(0.02)
    done = CompleteCommand(admin_notes="wired", actor="admin-1")
    await refund.execute_update(RefundWorkflow.complete, done)
    await record(refund, HISTORIES / "refunds" / f"{TAG}-refund_manual.json")
    await record(purchase.handle, HISTORIES / f"{TAG}-refund_manual.json")
