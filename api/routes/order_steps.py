"""The steps of an order: each is an update of its workflow, which may refuse it (409)."""

from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from temporalio.client import Client

from api.access import authorize
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep, ViewerDep
from api.order_reads import load_detail
from api.routing import SlashRouter
from api.schemas import CancelRequest, OrderDetail, ShipRequest
from api.workflow_calls import call_workflow
from config import Settings
from domain.contracts import (
    CANCEL_REQUESTED,
    CancelCommand,
    DeliverCommand,
    OfflinePaymentCommand,
    ShipCommand,
)
from domain.permissions import Act, cancelling_role
from services.order_queries import Viewer
from workflows.order import OrderWorkflow

router = SlashRouter(tags=["orders"])


async def _step(
    order: OrderDetail,
    viewer: Viewer,
    settings: Settings,
    client: Client,
    update: Any,
    command: Any,
    update_id: str | None,
) -> OrderDetail:
    """Ask the order's workflow to take the step, then answer with the order as it now is."""
    handle = client.get_workflow_handle(order.workflow_id)
    await call_workflow(handle.execute_update(update, command, id=update_id))
    return await load_detail(settings, viewer, order.id)


@router.post("/api/orders/{order_id}/confirm/", response_model=OrderDetail)
async def confirm(
    order_id: str,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> OrderDetail:
    order = await load_detail(settings, viewer, order_id)
    authorize(Act.CONFIRM, me, order)
    return await _step(
        order,
        viewer,
        settings,
        client,
        OrderWorkflow.confirm_offline_payment,
        # Scoped to the order: an admin's key reused on another order names another payment.
        OfflinePaymentCommand(
            payment_id=keyed.id_for(f"confirm-payment:{order.id}"), actor=me.user_id
        ),
        keyed.update_id(f"confirm:{order.id}"),
    )


@router.post("/api/orders/{order_id}/ship/", response_model=OrderDetail)
async def ship(
    order_id: str,
    body: ShipRequest,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> OrderDetail:
    order = await load_detail(settings, viewer, order_id)
    authorize(Act.SHIP, me, order)
    return await _step(
        order,
        viewer,
        settings,
        client,
        OrderWorkflow.ship,
        ShipCommand(
            tracking_number=body.tracking_number,
            tracking_url=body.tracking_url,
            carrier=body.carrier,
            actor=me.user_id,
        ),
        keyed.update_id("ship"),
    )


@router.post("/api/orders/{order_id}/deliver/", response_model=OrderDetail)
async def deliver(
    order_id: str,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> OrderDetail:
    order = await load_detail(settings, viewer, order_id)
    authorize(Act.DELIVER, me, order)
    return await _step(
        order,
        viewer,
        settings,
        client,
        OrderWorkflow.deliver,
        DeliverCommand(actor=me.user_id),
        keyed.update_id("deliver"),
    )


@router.post(
    "/api/orders/{order_id}/cancel/",
    response_model=OrderDetail,
    responses={202: {"model": OrderDetail, "description": "A charge in flight ends first"}},
)
async def cancel(
    order_id: str,
    body: CancelRequest,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> Response:
    order = await load_detail(settings, viewer, order_id)
    role = cancelling_role(authorize(Act.CANCEL, me, order))
    handle = client.get_workflow_handle(order.workflow_id)
    command = CancelCommand(reason=body.reason, actor=me.user_id, role=role)
    answer = await call_workflow(
        handle.execute_update(OrderWorkflow.cancel, command, id=keyed.update_id("cancel"))
    )
    # CANCEL_REQUESTED: a charge is in flight; the workflow cancels (and refunds) after it.
    status = 202 if answer == CANCEL_REQUESTED else 200
    detail = await load_detail(settings, viewer, order.id)
    return JSONResponse(detail.model_dump(mode="json"), status_code=status)
