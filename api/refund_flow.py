"""Refunds: the buyer asks the order's workflow (it alone knows what is still refundable and
whether the payout happened), an admin decides on the refund's own workflow. Each answers with
the refund as the database now has it."""

from typing import Any

from sqlalchemy.orm import Session
from temporalio.client import Client

from api.access import authorize, authorize_admin
from api.auth import Principal
from api.db import reading
from api.deps import Keyed, viewer_of
from api.errors import ApiError, not_found
from api.order_reads import load_detail
from api.refund_schemas import (
    RefundApprove,
    RefundComplete,
    RefundCreate,
    RefundOut,
    RefundReject,
    refund_fields,
)
from api.workflow_calls import WorkflowClosed, call_workflow
from config import Settings
from domain.contracts import INVALID_TRANSITION, Contract
from domain.permissions import Act
from domain.refund_contracts import (
    REFUND_WINDOW_CLOSED,
    ApproveCommand,
    CompleteCommand,
    RefundAsk,
    RefundOpened,
    RejectCommand,
)
from services import refund_queries
from services.order_queries import Viewer
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow


async def request_refund(
    body: RefundCreate, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> RefundOut:
    viewer = viewer_of(me)
    order = await load_detail(settings, viewer, body.order_id)
    authorize(Act.REFUND, me, order)
    purpose = f"refund:{order.id}"
    ask = RefundAsk(
        refund_id=keyed.id_for(purpose),
        reason=body.refund_reason,
        description=body.reason_description,
        amount=body.refund_amount,
        percentage=body.refund_percentage,
        destination=body.destination,
        actor=me.user_id,
    )
    handle = client.get_workflow_handle(order.workflow_id)
    update = handle.execute_update(OrderWorkflow.request_refund, ask, id=keyed.update_id(purpose))
    try:
        opened = RefundOpened.model_validate(await call_workflow(update))
    except WorkflowClosed:
        # The order's workflow has ended: paid out (the window closed), or never paid.
        ended = await load_detail(settings, viewer, order.id)
        if ended.payout is not None and ended.payout.status == "paid":
            raise ApiError(
                409, REFUND_WINDOW_CLOSED, "The seller has been paid: the refund window is closed"
            ) from None
        raise ApiError(
            409, INVALID_TRANSITION, f"An order that is {ended.status} cannot be refunded"
        ) from None
    found = await _find(settings, viewer, opened.refund_id)
    return found or _as_opened(opened)


Decision = RefundApprove | RefundReject | RefundComplete
_UPDATES: dict[str, Any] = {
    "approve": RefundWorkflow.approve,
    "reject": RefundWorkflow.reject,
    "complete": RefundWorkflow.complete,
}


def _command(body: Decision, actor: str) -> tuple[str, Contract]:
    """The update of `refund-{id}` an admin's decision is, and its command."""
    if isinstance(body, RefundApprove):
        amount, percentage = body.refund_amount, body.refund_percentage
        approve = ApproveCommand(
            amount=amount, percentage=percentage, admin_notes=body.admin_notes, actor=actor
        )
        return "approve", approve
    if isinstance(body, RefundReject):
        return "reject", RejectCommand(admin_notes=body.admin_notes, actor=actor)
    return "complete", CompleteCommand(admin_notes=body.admin_notes, actor=actor)


async def decide(
    refund_id: str,
    body: Decision,
    me: Principal,
    settings: Settings,
    client: Client,
    keyed: Keyed,
) -> RefundOut:
    """An admin's update on `refund-{id}`, which refuses what the refund's state does not
    allow (409); a repeat with the same key gets the first outcome."""
    authorize_admin(Act.DECIDE_REFUND, me)
    update, command = _command(body, me.user_id)
    viewer = viewer_of(me)
    refund = await load_refund(settings, viewer, refund_id)
    handle = client.get_workflow_handle(refund.workflow_id)
    call = handle.execute_update(
        _UPDATES[update], command, id=keyed.update_id(f"{update}:{refund_id}")
    )
    try:
        await call_workflow(call)
    except WorkflowClosed:
        raise ApiError(
            409, INVALID_TRANSITION, f"The refund is {refund.status}: it takes no more steps"
        ) from None
    return await load_refund(settings, viewer, refund_id)


async def load_refund(settings: Settings, viewer: Viewer, refund_id: str) -> RefundOut:
    found = await _find(settings, viewer, refund_id)
    if found is None:
        raise not_found("refund")
    return found


async def _find(settings: Settings, viewer: Viewer, refund_id: str) -> RefundOut | None:
    def read(session: Session) -> RefundOut | None:
        row = refund_queries.visible_refund(session, viewer, refund_id)
        return None if row is None else RefundOut.model_validate(refund_fields(row))

    return await reading(settings.database_url, read)


def _as_opened(opened: RefundOpened) -> RefundOut:
    """The refund as the order's workflow accepted it, before its row is written."""
    fields: dict[str, Any] = {
        "id": opened.refund_id,
        "order_id": opened.order_id,
        "payment_id": opened.payment_id,
        "refund_reason": opened.reason,
        "reason_description": opened.description,
        "refund_amount": opened.amount,
        "refund_percentage": opened.percentage,
        "status": "pending",
        "destination": opened.destination,
        "admin_notes": None,
        "requested_by": opened.requested_by,
        "requested_at": opened.at,
        "approved_at": None,
        "completed_at": None,
        "rejected_at": None,
        "credit_note_id": None,
        "workflow_id": opened.workflow_id,
    }
    return RefundOut.model_validate(fields)
