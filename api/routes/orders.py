"""Orders: create, read, edit notes and addresses, delete (= cancel while unpaid)."""

from typing import Literal

from fastapi import Response
from sqlalchemy import Connection

from api import order_create, order_edits, order_steps_flow
from api.db import reading_rows
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep, ViewerDep
from api.order_reads import load_detail
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import OrderCreate, OrderDetail, OrderOut, OrderPatch, Page
from api.views import order_out
from services import order_queries

router = SlashRouter(tags=["orders"])


@router.post("/api/orders/", status_code=201, response_model=OrderDetail)
async def create_order(
    body: OrderCreate, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> OrderDetail:
    return await order_create.create(body, me, settings, client, keyed)


@router.get("/api/orders/", response_model=Page[OrderOut])
async def list_orders(
    viewer: ViewerDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    role: Literal["buyer", "seller"] | None = None,
    status: Literal["pending", "confirmed", "shipped", "delivered", "cancelled", "refunded"]
    | None = None,
) -> dict[str, object]:
    def read(connection: Connection) -> dict[str, object]:
        rows, next_cursor = order_queries.list_orders(
            connection, viewer, role, status, limit, cursor
        )
        return {"items": [order_out(row) for row in rows], "next_cursor": next_cursor}

    return await reading_rows(settings.database_url, read)


@router.get("/api/orders/{order_id}/", response_model=OrderDetail)
async def get_order(order_id: str, viewer: ViewerDep, settings: SettingsDep) -> OrderDetail:
    return await load_detail(settings, viewer, order_id)


async def _edit(
    order_id: str, body: OrderPatch, me: PrincipalDep, settings: SettingsDep
) -> OrderDetail:
    return await order_edits.edit(order_id, body, me, settings)


router.add_api_route(
    "/api/orders/{order_id}/",
    _edit,
    methods=["PATCH"],
    response_model=OrderDetail,
    name="patch_order",
)
router.add_api_route(
    "/api/orders/{order_id}/", _edit, methods=["PUT"], response_model=OrderDetail, name="put_order"
)


@router.delete("/api/orders/{order_id}/", status_code=204)
async def delete_order(
    order_id: str, me: PrincipalDep, settings: SettingsDep, client: ClientDep
) -> Response:
    await order_steps_flow.delete(order_id, me, settings, client)
    return Response(status_code=204)
