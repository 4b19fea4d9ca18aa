"""POST /api/orders/: the checks of API.md in the order they are cheapest, then the workflow
that writes the order, then the payment of the same call, if any."""

from typing import Any

from sqlalchemy import Row
from temporalio.client import Client

from api.auth import Principal
from api.db import in_transaction
from api.deps import Keyed, require_role, viewer_of
from api.errors import ApiError, not_found
from api.order_flow import (
    PAY_AFTER_ADMISSION_WAIT,
    check_payment_request,
    start_order,
    submit_payment,
)
from api.order_limits import check_quantity, check_total, create_checks, too_many_open_orders
from api.order_reads import exists, load_detail
from api.schemas import OrderCreate, OrderDetail
from config import Settings
from domain.contracts import NewOrder, PayCommand
from domain.summary import order_summary
from domain.totals import order_totals
from domain.workflow_ids import order_workflow_id


async def create(
    body: OrderCreate, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> OrderDetail:
    require_role(me, "buyer")
    check_quantity(settings, body.quantity)
    viewer = viewer_of(me)
    # Scoped to the listing: a key reused (after its 24 h) for another listing names a new
    # order, never the old one.
    order_id = keyed.id_for(f"order:{body.listing_id}")
    if keyed.key is not None and await exists(settings, viewer, order_id):
        # A repeat whose first answer was never recorded: that order is this request's answer,
        # paid now if the first run died before it handed the payment over.
        order = await load_detail(settings, viewer, order_id)
        if body.payment is None or order.payment is not None or order.status != "pending":
            return order
        return await _pay_new_order(body, me, settings, client, keyed, order_id)
    if body.payment is not None:
        check_payment_request(body.payment.payment_method, body.payment.card_token)
    checks = await in_transaction(
        settings.database_url,
        lambda s: create_checks(s, settings, me.user_id, body.listing_id, body.payment is not None),
    )
    if checks.refused is not None:
        raise checks.refused
    listing = checks.listing
    if listing is None:
        raise not_found("listing")
    # Early answers for the common refusals; the workflow's admission is the one that counts.
    if listing.seller_id == me.user_id:
        raise ApiError(409, "cannot_buy_own_listing", "You cannot buy your own listing")
    if listing.status == "active" and listing.quantity_available < body.quantity:
        raise ApiError(409, "out_of_stock", "The listing has no stock left for this quantity")
    check_total(settings, listing, body.quantity)
    if checks.open_orders >= settings.max_open_unpaid_orders:
        raise await too_many_open_orders(settings, me.user_id)
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
            discount_code=body.discount_code,
            invoice_terms=settings.invoice_terms,
            invoice_notes=settings.invoice_notes or None,
        ),
        repeatable=keyed.key is not None,
        summary=_summary(settings, listing, body.quantity),
    )
    if body.payment is None:
        return await load_detail(settings, viewer, order_id)
    return await _pay_new_order(body, me, settings, client, keyed, order_id)


async def _pay_new_order(
    body: OrderCreate,
    me: Principal,
    settings: Settings,
    client: Client,
    keyed: Keyed,
    order_id: str,
) -> OrderDetail:
    """The `payment` of a create: its id and update id come from the key, so a repeat that
    submits it again joins the first submission instead of paying twice."""
    assert body.payment is not None
    check_payment_request(body.payment.payment_method, body.payment.card_token)
    await submit_payment(
        client,
        settings,
        order_workflow_id(order_id),
        PayCommand(
            payment_id=keyed.id_for(f"order-payment:{order_id}"),
            payment_method=body.payment.payment_method,
            card_token=body.payment.card_token,
            actor=me.user_id,
        ),
        update_id=keyed.update_id(f"order-payment:{order_id}"),
        wait=PAY_AFTER_ADMISSION_WAIT,
    )
    return await load_detail(settings, viewer_of(me), order_id)


def _summary(settings: Settings, listing: Row[Any], quantity: int) -> str:
    """What the order will be, as the API sees it before admission has numbered it."""
    totals = order_totals(listing.unit_price, quantity, listing.shipping_fee, settings.tax_rate)
    return order_summary(None, totals.total_amount, listing.currency, listing.title)
