"""The steps of an order: load it as the caller sees it, check who may take the step, then ask
its workflow, which may refuse it (409). Each answers with the order as it now is."""

from typing import Any

from temporalio.client import Client

from api.access import allow, authorize
from api.auth import Principal
from api.deps import Keyed, viewer_of
from api.order_reads import load_detail, load_order
from api.schemas import CancelRequest, OrderDetail, OrderOut, ShipRequest
from api.workflow_calls import call_workflow
from config import Settings
from domain.contracts import (
    CANCEL_REQUESTED,
    CancelCommand,
    DeliverCommand,
    OfflinePaymentCommand,
    ShipCommand,
)
from domain.order_rules import delete_refusal
from domain.order_states import Role
from domain.permissions import Act, cancelling_role
from workflows.order import OrderWorkflow


async def confirm(
    order_id: str, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> OrderDetail:
    """An admin records receipt of an offline (bank transfer) payment."""
    order = await _authorized(Act.CONFIRM, order_id, me, settings)
    # Scoped to the order: an admin's key reused on another order names another payment.
    command = OfflinePaymentCommand(
        payment_id=keyed.id_for(f"confirm-payment:{order.id}"), actor=me.user_id
    )
    update = OrderWorkflow.confirm_offline_payment
    return await _step(order, me, settings, client, update, command, f"confirm:{order.id}", keyed)


async def ship(
    order_id: str,
    body: ShipRequest,
    me: Principal,
    settings: Settings,
    client: Client,
    keyed: Keyed,
) -> OrderDetail:
    order = await _authorized(Act.SHIP, order_id, me, settings)
    command = ShipCommand(
        tracking_number=body.tracking_number,
        tracking_url=body.tracking_url,
        carrier=body.carrier,
        actor=me.user_id,
    )
    return await _step(order, me, settings, client, OrderWorkflow.ship, command, "ship", keyed)


async def deliver(
    order_id: str, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> OrderDetail:
    order = await _authorized(Act.DELIVER, order_id, me, settings)
    command = DeliverCommand(actor=me.user_id)
    return await _step(
        order, me, settings, client, OrderWorkflow.deliver, command, "deliver", keyed
    )


async def cancel(
    order_id: str,
    body: CancelRequest,
    me: Principal,
    settings: Settings,
    client: Client,
    keyed: Keyed,
) -> tuple[OrderDetail, bool]:
    """The order, and whether the cancel waits for a charge in flight (the workflow then
    carries it out, and refunds that charge if it succeeded)."""
    order = await load_order(settings, viewer_of(me), order_id)
    role = cancelling_role(authorize(Act.CANCEL, me, order))
    command = CancelCommand(reason=body.reason, actor=me.user_id, role=role)
    answer = await _update(client, order, OrderWorkflow.cancel, command, keyed.update_id("cancel"))
    return await load_detail(settings, viewer_of(me), order.id), answer == CANCEL_REQUESTED


async def delete(order_id: str, me: Principal, settings: Settings, client: Client) -> None:
    """Orders are never erased: the buyer's delete cancels one nobody has paid."""
    order = await _authorized(Act.DELETE, order_id, me, settings)
    allow(delete_refusal(order.status, order.payment.status if order.payment else None))
    command = CancelCommand(
        reason="deleted by buyer", actor=me.user_id, role=Role.BUYER, unpaid_only=True
    )
    await _update(client, order, OrderWorkflow.cancel, command, None)


async def _authorized(act: Act, order_id: str, me: Principal, settings: Settings) -> OrderOut:
    order = await load_order(settings, viewer_of(me), order_id)
    authorize(act, me, order)
    return order


async def _step(
    order: OrderOut,
    me: Principal,
    settings: Settings,
    client: Client,
    update: Any,
    command: Any,
    purpose: str,
    keyed: Keyed,
) -> OrderDetail:
    """Ask the order's workflow to take the step; with a key, a repeat gets the first outcome."""
    await _update(client, order, update, command, keyed.update_id(purpose))
    return await load_detail(settings, viewer_of(me), order.id)


async def _update(
    client: Client, order: OrderOut, update: Any, command: Any, update_id: str | None
) -> Any:
    handle = client.get_workflow_handle(order.workflow_id)
    return await call_workflow(handle.execute_update(update, command, id=update_id))
