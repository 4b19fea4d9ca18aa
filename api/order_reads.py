"""Loading one order or payment as the caller may see it: 404 when it is not theirs to see."""

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api.db import in_transaction, reading, reading_rows
from api.errors import ApiError, not_found
from api.order_limits import hit, rate_limited
from api.schemas import OrderDetail, OrderOut, PaymentOut
from api.views import order_detail, order_out, payment_out
from config import Settings
from services import order_queries
from services.order_queries import Viewer


async def load_detail(settings: Settings, viewer: Viewer, order_id: str) -> OrderDetail:
    def read(connection: Connection) -> OrderDetail | None:
        found = order_queries.visible_order_row(connection, viewer, order_id)
        if found is None:
            return None
        return order_detail(found, order_queries.timeline(connection, order_id))

    detail = await reading_rows(settings.database_url, read)
    if detail is None:
        raise not_found("order")
    return detail


async def load_order(settings: Settings, viewer: Viewer, order_id: str) -> OrderOut:
    """The order without its timeline: what a step checks before it asks the workflow."""

    def read(connection: Connection) -> OrderOut | None:
        found = order_queries.visible_order_row(connection, viewer, order_id)
        return None if found is None else order_out(found)

    order = await reading_rows(settings.database_url, read)
    if order is None:
        raise not_found("order")
    return order


async def load_order_to_pay(settings: Settings, viewer: Viewer, order_id: str) -> OrderOut:
    """`load_order` with the payment attempt counted (rate limit) in the same transaction:
    the attempt first, so a 404 counts too, as the limit's own dependency does elsewhere."""

    def read(session: Session) -> OrderOut | ApiError | None:
        wait = hit(session, settings, "payment", viewer.user_id)
        if wait is not None:
            return rate_limited("payment", wait)
        found = order_queries.visible_order_row(session, viewer, order_id)
        return None if found is None else order_out(found)

    order = await in_transaction(settings.database_url, read)
    if isinstance(order, ApiError):
        raise order
    if order is None:
        raise not_found("order")
    return order


async def exists(settings: Settings, viewer: Viewer, order_id: str) -> bool:
    def read(session: Session) -> bool:
        return order_queries.visible_order(session, viewer, order_id) is not None

    return await reading(settings.database_url, read)


async def load_payment(settings: Settings, viewer: Viewer, payment_id: str) -> PaymentOut:
    """Admins also see the gateway's own words (`gateway_response`)."""

    def read(connection: Connection) -> PaymentOut | None:
        payment = order_queries.visible_payment(connection, viewer, payment_id)
        return None if payment is None else payment_out(payment, viewer.is_admin)

    found = await reading_rows(settings.database_url, read)
    if found is None:
        raise not_found("payment")
    return found
