"""The steps of an order: each is an update of its workflow, which may refuse it (409)."""

from fastapi import Response
from fastapi.responses import JSONResponse

from api import order_steps_flow as steps
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep
from api.routing import SlashRouter
from api.schemas import CancelRequest, OrderDetail, ShipRequest

router = SlashRouter(tags=["orders"])


@router.post("/api/orders/{order_id}/confirm/", response_model=OrderDetail)
async def confirm(
    order_id: str, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> OrderDetail:
    return await steps.confirm(order_id, me, settings, client, keyed)


@router.post("/api/orders/{order_id}/ship/", response_model=OrderDetail)
async def ship(
    order_id: str,
    body: ShipRequest,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> OrderDetail:
    return await steps.ship(order_id, body, me, settings, client, keyed)


@router.post("/api/orders/{order_id}/deliver/", response_model=OrderDetail)
async def deliver(
    order_id: str, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> OrderDetail:
    return await steps.deliver(order_id, me, settings, client, keyed)


@router.post(
    "/api/orders/{order_id}/cancel/",
    response_model=OrderDetail,
    responses={202: {"model": OrderDetail, "description": "A charge in flight ends first"}},
)
async def cancel(
    order_id: str,
    body: CancelRequest,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> Response:
    detail, later = await steps.cancel(order_id, body, me, settings, client, keyed)
    # 202: a charge is in flight; the workflow cancels (and refunds) after it.
    return JSONResponse(detail.model_dump(mode="json"), status_code=202 if later else 200)
