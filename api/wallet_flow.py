"""Top-ups, withdrawals and adjustments: the calls that move a wallet's money. A top-up and a
withdrawal are workflows (`topup-{id}`, `payout-{id}`) started with an update that answers
once their first step has run; an adjustment is one ledger transfer."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.outbox import Item
from api.auth import Principal
from api.db import in_transaction, reading
from api.deps import Keyed, require_role
from api.errors import ApiError, not_found
from api.outbox_starts import start_after_commit
from api.wallet_schemas import (
    AdjustCreate,
    PayoutOut,
    TopUpCreate,
    TopUpOut,
    WithdrawCreate,
    payout_out,
)
from api.workflow_calls import call_workflow, engine_unavailable
from config import Settings
from db.tables import Payout, TopUp
from db.types import utcnow
from domain.ledger import InsufficientFunds, TransferKeyReused
from domain.summary import money_summary
from domain.wallet_contracts import (
    INSUFFICIENT_FUNDS,
    PayoutDebit,
    PayoutInput,
    TopUpInput,
    TopUpView,
)
from domain.workflow_ids import payout_workflow_id, topup_workflow_id
from services import outbox, topups, wallet_payouts, wallets
from services.payout_rails import build_payout_rail
from workflows.payout import PayoutWorkflow
from workflows.topup import TopUpWorkflow

WALLET_SHORT = "Your wallet holds less than this amount"
T = TypeVar("T")


def _start(
    run: Any, params: Any, workflow_id: str, keyed: Keyed, settings: Settings, summary: str
) -> WithStartWorkflowOperation[Any, Any]:
    """A keyed repeat joins the running workflow; without a key a second start is refused."""
    return WithStartWorkflowOperation(
        run,
        params,
        id=workflow_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
        if keyed.key is not None
        else WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=summary,
    )


async def _first_answer(
    client: Client,
    update: Any,
    operation: WithStartWorkflowOperation[Any, Any],
    created: dict[str, str],
    settings: Settings,
    recorded: Callable[[Session], T],
) -> Any:
    """The workflow's answer once its first step has run. A keyed repeat whose workflow has
    ended (its first answer was never recorded) reads how it ended from its row instead."""
    try:
        return await call_workflow(
            client.execute_update_with_start_workflow(update, start_workflow_operation=operation),
            created=created,
        )
    except WorkflowAlreadyStartedError:
        return await reading(settings.database_url, recorded)


async def top_up(
    body: TopUpCreate, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> TopUpOut:
    topup_id = keyed.id_for("topup")
    params = TopUpInput(
        topup_id=topup_id,
        user_id=me.user_id,
        amount=body.amount,
        currency=settings.currency,
        card_token=body.card_token,
        answer_wait=settings.payment_answer_wait,
        gateway=settings.payment_gateway,
        gateway_call=settings.gateway_timeout,
        charge_lookup_window=settings.charge_lookup_window,
    )
    summary = money_summary("Top-up", body.amount, settings.currency)
    operation = _start(
        TopUpWorkflow.run, params, topup_workflow_id(topup_id), keyed, settings, summary
    )

    def recorded(session: Session) -> TopUpView | None:
        row = session.get(TopUp, topup_id)
        return None if row is None else topups.view(row)

    view = await _first_answer(
        client, TopUpWorkflow.answer, operation, {"topup_id": topup_id}, settings, recorded
    )
    if view is None:
        raise engine_unavailable({"topup_id": topup_id})
    return TopUpOut(id=view.id, amount=view.amount, status=view.status, error_code=view.error_code)


async def withdraw(
    body: WithdrawCreate, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> PayoutOut:
    payout_id = keyed.id_for("payout")
    rail = build_payout_rail(settings.database_url)
    account = body.destination
    # A real rail asks its bank for a token here: off the event loop.
    destination = await asyncio.to_thread(
        rail.destination, account.account_number, account.routing_number
    )
    params = PayoutInput(
        payout_id=payout_id,
        user_id=me.user_id,
        amount=body.amount,
        currency=settings.currency,
        destination_token=destination.token,
        destination_last4=destination.last4,
    )
    summary = money_summary("Payout", body.amount, settings.currency)
    operation = _start(
        PayoutWorkflow.run, params, payout_workflow_id(payout_id), keyed, settings, summary
    )

    def recorded(session: Session) -> PayoutDebit:
        row = session.get(Payout, payout_id)
        if row is None:
            return PayoutDebit(refused=INSUFFICIENT_FUNDS)
        return PayoutDebit(payout=wallet_payouts.view(row))

    debit = await _first_answer(
        client, PayoutWorkflow.debited, operation, {"payout_id": payout_id}, settings, recorded
    )
    payout = debit.payout
    if payout is None:
        raise ApiError(409, INSUFFICIENT_FUNDS, WALLET_SHORT)
    return payout_out(payout)


async def adjust(
    wallet_id: str,
    body: AdjustCreate,
    me: Principal,
    settings: Settings,
    keyed: Keyed,
    client: Client,
) -> Any:
    require_role(me, "admin")
    adjustment = wallets.Adjustment(
        key=f"adjustment:{keyed.id_for(f'adjust:{wallet_id}')}",
        wallet_id=wallet_id,
        amount=body.amount,
        reason=body.reason,
        actor=me.user_id,
        at=utcnow(),
    )

    queued: list[Item] = []

    def write(session: Session) -> Any:
        # Its notification is emailed too, by a workflow started once this commits.
        session.info[outbox.MAIL_ON] = bool(settings.smtp_url)
        wallet = wallets.adjust(session, adjustment)
        queued[:] = outbox.queued(session)
        return wallet

    try:
        wallet = await in_transaction(settings.database_url, write)
    except InsufficientFunds:
        raise ApiError(409, INSUFFICIENT_FUNDS, WALLET_SHORT) from None
    except TransferKeyReused:
        raise ApiError(
            409, "idempotency_key_reused", "This Idempotency-Key was used with another request"
        ) from None
    if wallet is None:
        raise not_found("Wallet")
    await start_after_commit(client, settings, queued)
    return wallet
