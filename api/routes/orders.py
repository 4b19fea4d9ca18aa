"""Orders: create, read, edit notes and addresses, delete (= cancel while unpaid)."""

from typing import Literal

from fastapi import Response

from api import order_create
from api.access import authorize
from api.db import in_transaction, reading
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep, ViewerDep
from api.errors import ApiError
from api.order_reads import load_detail
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import OrderCreate, OrderDetail, OrderOut, OrderPatch, Page
from api.views import order_out
from api.workflow_calls import call_workflow
from domain.contracts import CancelCommand
from domain.order_states import Role
from domain.permissions import Act
from services import order_queries
from services.order_queries import BUYER_FIELDS, EDITABLE_STATUSES, NotEditable
from workflows.order import OrderWorkflow

router = SlashRouter(tags=["orders"])

SELLER_FIELDS = {"seller_notes"}


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
    def read(session):  # type: ignore[no-untyped-def]
        orders, next_cursor = order_queries.list_orders(
            session, viewer, role, status, limit, cursor
        )
        payments = order_queries.payments_by_id(
            session, [o.payment_id for o in orders if o.payment_id]
        )
        items = [order_out(o, payments.get(o.payment_id or "")) for o in orders]
        return {"items": items, "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


@router.get("/api/orders/{order_id}/", response_model=OrderDetail)
async def get_order(order_id: str, viewer: ViewerDep, settings: SettingsDep) -> OrderDetail:
    return await load_detail(settings, viewer, order_id)


async def _edit(
    order_id: str, body: OrderPatch, me: PrincipalDep, viewer: ViewerDep, settings: SettingsDep
) -> OrderDetail:
    order = await load_detail(settings, viewer, order_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if changes.get("shipping_address", {}) is None:
        raise ApiError(
            422,
            "validation_error",
            "shipping_address cannot be removed",
            [{"loc": ["body", "shipping_address"], "msg": "must not be null"}],
        )
    allowed = (BUYER_FIELDS if order.buyer_id == me.user_id else set()) | (
        SELLER_FIELDS if order.seller_id == me.user_id else set()
    )
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ApiError(
            422,
            "validation_error",
            "You may not change these fields",
            [{"loc": ["body", field], "msg": "not editable by you"} for field in refused],
        )
    if set(changes) & BUYER_FIELDS and order.status not in EDITABLE_STATUSES:
        raise ApiError(
            409,
            "invalid_transition",
            f"Addresses and notes are fixed once the order is {order.status}",
        )
    if changes:
        try:
            await in_transaction(
                settings.database_url,
                lambda s: order_queries.edit_details(s, order_id, changes, me.user_id),
            )
        except NotEditable as refused:
            raise ApiError(409, "invalid_transition", str(refused)) from None
    return await load_detail(settings, viewer, order_id)


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
    order_id: str, me: PrincipalDep, viewer: ViewerDep, settings: SettingsDep, client: ClientDep
) -> Response:
    order = await load_detail(settings, viewer, order_id)
    authorize(Act.DELETE, me, order)
    if order.status != "pending" or (order.payment and order.payment.status != "failed"):
        raise ApiError(409, "invalid_transition", "Only a pending, unpaid order can be deleted")
    handle = client.get_workflow_handle(order.workflow_id)
    await call_workflow(
        handle.execute_update(
            OrderWorkflow.cancel,
            CancelCommand(
                reason="deleted by buyer", actor=me.user_id, role=Role.BUYER, unpaid_only=True
            ),
        )
    )
    return Response(status_code=204)
