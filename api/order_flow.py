"""Starting an order's workflow and paying it: the calls that create or move things."""

import asyncio

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateStage
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from api.errors import ApiError
from api.order_limits import TOTAL_TOO_LARGE, too_many_open_orders
from api.workflow_calls import call_workflow
from config import Settings
from domain.contracts import (
    CARD_METHODS,
    Admission,
    BankTransferCommand,
    NewOrder,
    PayCommand,
    PaymentOutcome,
)
from domain.workflow_ids import order_workflow_id
from workflows.inputs import order_input
from workflows.order import OrderWorkflow

# Creation normally answers in milliseconds; this bound only keeps a request from hanging when
# no worker is polling. The workflow goes on and the order appears once a worker runs it.
ADMISSION_WAIT = 10.0
# A payment inside the create call gets the rest of the request's 30 s.
PAY_AFTER_ADMISSION_WAIT = 15.0

_REFUSALS = {
    "out_of_stock": (409, "out_of_stock", "The listing has no stock left for this quantity"),
    "cannot_buy_own_listing": (409, "cannot_buy_own_listing", "You cannot buy your own listing"),
    "listing_unavailable": (409, "listing_unavailable", "The listing is not for sale"),
    "order_total_too_large": (422, "validation_error", TOTAL_TOO_LARGE),
}


def discount_invalid(reason: str | None) -> ApiError:
    return ApiError(
        422,
        "discount_invalid",
        f"The discount code cannot be used: {reason}",
        {"reason": reason or "not_found"},
    )


async def start_order(
    client: Client,
    settings: Settings,
    new: NewOrder,
    repeatable: bool = False,
    summary: str | None = None,
) -> Admission:
    """Start the workflow and wait until it has written the order and reserved the stock.

    The workflow itself creates the row and the reservation in one transaction, so a crash of
    this process at any point leaves either nothing or an order its workflow looks after.
    `repeatable`: the order id comes from an Idempotency-Key, so a repeat joins the running
    workflow instead of being refused. `summary`: the workflow's line in the Temporal UI's list.
    """
    operation = WithStartWorkflowOperation(
        OrderWorkflow.run,
        order_input(new, settings),
        id=order_workflow_id(new.order_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
        if repeatable
        else WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=summary,
    )
    admission = await call_workflow(
        client.execute_update_with_start_workflow(
            OrderWorkflow.admitted, start_workflow_operation=operation
        ),
        created={"order_id": new.order_id},
        wait=ADMISSION_WAIT,
    )
    if admission.reason == "too_many_open_orders":
        raise await too_many_open_orders(settings, new.buyer_id)
    if admission.reason == "discount_invalid":
        raise discount_invalid(admission.discount_reason)
    if not admission.accepted:
        status, code, message = _REFUSALS[admission.reason or "listing_unavailable"]
        raise ApiError(status, code, message)
    return admission


def check_payment_request(method: str, card_token: str | None, retry: bool = False) -> None:
    """Only what the engine can really take: never one method silently charged as another."""
    if method == "bank_transfer":
        if retry:
            raise ApiError(
                422,
                "payment_method_unavailable",
                "A failed payment is retried by card (credit_card, debit_card or stripe) "
                "or from the wallet",
            )
        if card_token is not None:
            raise ApiError(
                422,
                "validation_error",
                "A bank transfer takes no card_token",
                [{"loc": ["body", "card_token"], "msg": "not for bank transfers"}],
            )
        return
    if method == "wallet":
        if card_token is not None:
            raise ApiError(
                422,
                "validation_error",
                "A wallet payment takes no card_token",
                [{"loc": ["body", "card_token"], "msg": "not for wallet payments"}],
            )
        return
    if method not in CARD_METHODS:
        raise ApiError(
            422,
            "payment_method_unavailable",
            f"{method} is not a payment method this shop takes; pay by card (credit_card, "
            "debit_card or stripe), by bank_transfer or from your wallet",
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

    created = _created(workflow_id, command)
    try:
        return await asyncio.wait_for(
            call_workflow(charge(), created), settings.payment_answer_wait.total_seconds()
        )
    except TimeoutError:
        return None


async def submit_payment(
    client: Client,
    settings: Settings,
    workflow_id: str,
    command: PayCommand,
    update_id: str | None = None,
    wait: float | None = None,
) -> PaymentOutcome | None:
    """A card is charged now; a bank transfer waits for the buyer's wire and an admin's confirm.
    `wait`: what is left of the request's time for the engine (default: all of it)."""
    if command.payment_method != "bank_transfer":
        return await pay(client, settings, workflow_id, command, update_id)
    handle = client.get_workflow_handle(workflow_id)
    transfer = BankTransferCommand(
        payment_id=command.payment_id, account=settings.bank_account, actor=command.actor
    )
    return await call_workflow(
        handle.execute_update(OrderWorkflow.request_bank_transfer, transfer, id=update_id),
        created=_created(workflow_id, command),
        wait=wait,
    )


def _created(workflow_id: str, command: PayCommand) -> dict[str, str]:
    """What a 503 names: the order exists, and its payment may."""
    order_id = workflow_id.removeprefix("order-")
    return {"order_id": order_id, "payment_id": command.payment_id, "workflow_id": workflow_id}
