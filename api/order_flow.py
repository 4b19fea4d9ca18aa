"""Starting an order's workflow and paying it: the calls that create or move things."""

import asyncio

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from api.errors import ApiError
from api.workflow_calls import call_workflow
from config import Settings
from workflows.contracts import (
    CARD_METHODS,
    Admission,
    BankTransferCommand,
    NewOrder,
    OrderInput,
    OrderTimeouts,
    PayCommand,
    PaymentOutcome,
)
from workflows.order import OrderWorkflow

# Creation normally answers in milliseconds; this bound only keeps a request from hanging when
# no worker is polling. The workflow goes on and the order appears once a worker runs it.
ADMISSION_WAIT = 10.0

_REFUSALS = {
    "out_of_stock": (409, "The listing has no stock left for this quantity"),
    "cannot_buy_own_listing": (409, "You cannot buy your own listing"),
    "listing_unavailable": (409, "The listing is not for sale"),
}


async def start_order(
    client: Client, settings: Settings, new: NewOrder, repeatable: bool = False
) -> Admission:
    """Start the workflow and wait until it has written the order and reserved the stock.

    The workflow itself creates the row and the reservation in one transaction, so a crash of
    this process at any point leaves either nothing or an order its workflow looks after.
    `repeatable`: the order id comes from an Idempotency-Key, so a repeat joins the running
    workflow instead of being refused.
    """
    operation = WithStartWorkflowOperation(
        OrderWorkflow.run,
        OrderInput(
            order=new,
            timeouts=OrderTimeouts(
                payment=settings.payment_timeout,
                ship=settings.ship_timeout,
                delivery=settings.delivery_timeout,
                bank_transfer=settings.bank_transfer_timeout,
                gateway_call=settings.gateway_timeout,
            ),
            gateway=settings.payment_gateway,
        ),
        id=f"order-{new.order_id}",
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
        if repeatable
        else WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    try:
        admission = await asyncio.wait_for(
            call_workflow(
                client.execute_update_with_start_workflow(
                    OrderWorkflow.admitted, start_workflow_operation=operation
                )
            ),
            ADMISSION_WAIT,
        )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ApiError(
            503,
            "engine_unavailable",
            "The order was handed to the engine but not confirmed in time; "
            "look it up before trying again",
            {"order_id": new.order_id},
        ) from None
    if not admission.accepted:
        status, message = _REFUSALS[admission.reason or "listing_unavailable"]
        raise ApiError(status, admission.reason or "listing_unavailable", message)
    return admission


def check_payment_request(
    method: str, card_token: str | None, bank_transfer_allowed: bool = True
) -> None:
    if method == "bank_transfer" and bank_transfer_allowed:
        if card_token is not None:
            raise ApiError(
                422,
                "validation_error",
                "A bank transfer takes no card_token",
                [{"loc": ["body", "card_token"], "msg": "not for bank transfers"}],
            )
        return
    if method not in CARD_METHODS:
        raise ApiError(
            422,
            "payment_method_unavailable",
            f"{method} payments are not available yet; pay by card",
        )
    if not card_token:
        raise ApiError(
            422,
            "validation_error",
            "A card payment needs a card_token (tok_...)",
            [{"loc": ["body", "card_token"], "msg": "required for card payments"}],
        )


async def pay(
    client: Client,
    settings: Settings,
    workflow_id: str,
    command: PayCommand,
    update_id: str | None = None,
) -> PaymentOutcome | None:
    """Ask the workflow to charge; the outcome if it is known in time, else None (processing)."""
    handle = client.get_workflow_handle(workflow_id)

    async def charge() -> PaymentOutcome:
        update = await handle.start_update(
            OrderWorkflow.pay, command, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        return await update.result()

    try:
        return await asyncio.wait_for(
            call_workflow(charge()), settings.payment_answer_wait.total_seconds()
        )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        return None


async def submit_payment(
    client: Client,
    settings: Settings,
    workflow_id: str,
    command: PayCommand,
    update_id: str | None = None,
) -> PaymentOutcome | None:
    """A card is charged now; a bank transfer waits for the buyer's wire and an admin's confirm."""
    if command.payment_method != "bank_transfer":
        return await pay(client, settings, workflow_id, command, update_id)
    handle = client.get_workflow_handle(workflow_id)
    transfer = BankTransferCommand(
        payment_id=command.payment_id, account=settings.bank_account, actor=command.actor
    )
    return await call_workflow(
        handle.execute_update(OrderWorkflow.request_bank_transfer, transfer, id=update_id)
    )
