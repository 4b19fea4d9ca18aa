"""Orders: create, read, edit notes and addresses, delete (= cancel while unpaid)."""

from typing import Literal

from fastapi import Response

from api.db import in_transaction, reading
from api.deps import (
    ClientDep,
    KeyedDep,
    PrincipalDep,
    SettingsDep,
    limit_payment_attempts,
    require_role,
)
from api.errors import ApiError, not_found
from api.order_flow import (
    PAY_AFTER_ADMISSION_WAIT,
    check_payment_request,
    start_order,
    submit_payment,
)
from api.order_limits import (
    check_open_orders,
    check_quantity,
    check_total,
    rate_limit,
)
from api.order_reads import exists, load_detail
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import OrderCreate, OrderDetail, OrderOut, OrderPatch, Page
from api.views import order_out
from api.workflow_calls import call_workflow
from db.tables import Listing
from services import order_queries
from services.order_queries import BUYER_FIELDS, EDITABLE_STATUSES, NotEditable, Viewer
from workflows.contracts import CancelCommand, NewOrder, PayCommand
from workflows.order import OrderWorkflow

router = SlashRouter(tags=["orders"])

SELLER_FIELDS = {"seller_notes"}


@router.post("/api/orders/", status_code=201, response_model=OrderDetail)
async def create_order(
    body: OrderCreate, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> OrderDetail:
    require_role(me, "buyer")
    check_quantity(settings, body.quantity)
    viewer = Viewer(me.user_id, me.is_admin)
    order_id = keyed.id_for("order")
    if keyed.key is not None and await exists(settings, viewer, order_id):
        # A repeat whose first answer was never recorded: that order is this request's answer,
        # paid now if the first run died before it handed the payment over.
        order = await load_detail(settings, viewer, order_id)
        if body.payment is None or order.payment is not None or order.status != "pending":
            return order
        return await _pay_new_order(body, me, settings, client, keyed, order_id)
    if body.discount_code is not None:
        raise ApiError(
            422, "discount_invalid", "The discount code does not exist", {"reason": "not_found"}
        )
    if body.payment is not None:
        check_payment_request(body.payment.payment_method, body.payment.card_token)
    await rate_limit(settings, "order", me.user_id)
    if body.payment is not None:
        await limit_payment_attempts(me, settings)
    listing = await reading(settings.database_url, lambda s: s.get(Listing, body.listing_id))
    if listing is None:
        raise not_found("listing")
    # Early answers for the common refusals; the workflow's admission is the one that counts.
    if listing.seller_id == me.user_id:
        raise ApiError(409, "cannot_buy_own_listing", "You cannot buy your own listing")
    if listing.status == "active" and listing.quantity_available < body.quantity:
        raise ApiError(409, "out_of_stock", "The listing has no stock left for this quantity")
    check_total(settings, listing, body.quantity)
    await check_open_orders(settings, me.user_id)
    await start_order(
        client,
        settings,
        NewOrder(
            order_id=order_id,
            buyer_id=me.user_id,
            listing_id=body.listing_id,
            quantity=body.quantity,
            shipping_address=body.shipping_address,
            billing_address=body.billing_address,
            buyer_notes=body.buyer_notes,
            tax_rate=settings.tax_rate,
            max_open_orders=settings.max_open_unpaid_orders,
        ),
        repeatable=keyed.key is not None,
    )
    if body.payment is None:
        return await load_detail(settings, viewer, order_id)
    return await _pay_new_order(body, me, settings, client, keyed, order_id)


async def _pay_new_order(
    body: OrderCreate,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
    order_id: str,
) -> OrderDetail:
    """The `payment` of a create: its id and update id come from the key, so a repeat that
    submits it again joins the first submission instead of paying twice."""
    assert body.payment is not None
    check_payment_request(body.payment.payment_method, body.payment.card_token)
    await submit_payment(
        client,
        settings,
        f"order-{order_id}",
        PayCommand(
            payment_id=keyed.id_for(f"order-payment:{order_id}"),
            payment_method=body.payment.payment_method,
            card_token=body.payment.card_token,
            actor=me.user_id,
        ),
        update_id=keyed.update_id(f"order-payment:{order_id}"),
        wait=PAY_AFTER_ADMISSION_WAIT,
    )
    return await load_detail(settings, Viewer(me.user_id, me.is_admin), order_id)


@router.get("/api/orders/", response_model=Page[OrderOut])
async def list_orders(
    me: PrincipalDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    role: Literal["buyer", "seller"] | None = None,
    status: Literal["pending", "confirmed", "shipped", "delivered", "cancelled", "refunded"]
    | None = None,
) -> dict[str, object]:
    viewer = Viewer(me.user_id, me.is_admin)

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
async def get_order(order_id: str, me: PrincipalDep, settings: SettingsDep) -> OrderDetail:
    return await load_detail(settings, Viewer(me.user_id, me.is_admin), order_id)


async def _edit(
    order_id: str, body: OrderPatch, me: PrincipalDep, settings: SettingsDep
) -> OrderDetail:
    viewer = Viewer(me.user_id, me.is_admin)
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
    order_id: str, me: PrincipalDep, settings: SettingsDep, client: ClientDep
) -> Response:
    order = await load_detail(settings, Viewer(me.user_id, me.is_admin), order_id)
    if order.buyer_id != me.user_id:
        raise ApiError(403, "forbidden", "Only the buyer may delete an order")
    if order.status != "pending" or (order.payment and order.payment.status != "failed"):
        raise ApiError(409, "invalid_transition", "Only a pending, unpaid order can be deleted")
    handle = client.get_workflow_handle(order.workflow_id)
    await call_workflow(
        handle.execute_update(
            OrderWorkflow.cancel,
            CancelCommand(
                reason="deleted by buyer", actor=me.user_id, role="buyer", unpaid_only=True
            ),
        )
    )
    return Response(status_code=204)
