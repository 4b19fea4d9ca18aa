"""Top-ups and payouts driven on the time-skipping server, as the API would start them."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from domain.wallet_contracts import PayoutDebit, PayoutInput, PayoutView, TopUpInput, TopUpView
from services.payout_rails import SandboxPayoutRail
from tests.workflows.shop import BUYER, Shop
from workflows.payout import PayoutWorkflow
from workflows.topup import TopUpWorkflow

PAID, NO_ACCOUNT = "000123456789", "000111111116"


@dataclass
class TopUpRun:
    handle: Any
    answer: TopUpView
    final: TopUpView


@dataclass
class PayoutRun:
    handle: Any
    debit: PayoutDebit
    final: PayoutView | None


async def top_up(shop: Shop, token: str, amount: str = "100.00") -> TopUpRun:
    """What the API's request was answered, and how the workflow ended."""
    topup_id = str(uuid.uuid4())
    params = TopUpInput(
        topup_id=topup_id,
        user_id=BUYER,
        amount=Decimal(amount),
        currency="USD",
        card_token=token,
        answer_wait=timedelta(seconds=5),
        gateway="sandbox",
    )
    # The time-skipping server runs no update-with-start: started, then asked.
    handle = await shop.env.client.start_workflow(
        TopUpWorkflow.run, params, id=f"topup-{topup_id}", task_queue=shop.settings.task_queue
    )
    answer = await handle.execute_update(TopUpWorkflow.answer)
    return TopUpRun(handle, answer, await handle.result())


async def withdraw(shop: Shop, amount: str, account_number: str) -> PayoutRun:
    payout_id = str(uuid.uuid4())
    destination = SandboxPayoutRail(shop.url).destination(account_number, None)
    params = PayoutInput(
        payout_id=payout_id,
        user_id=BUYER,
        amount=Decimal(amount),
        currency="USD",
        destination_token=destination.token,
        destination_last4=destination.last4,
    )
    handle = await shop.env.client.start_workflow(
        PayoutWorkflow.run, params, id=f"payout-{payout_id}", task_queue=shop.settings.task_queue
    )
    debit = await handle.execute_update(PayoutWorkflow.debited)
    return PayoutRun(handle, debit, await handle.result())
