"""Loading one order or payment as the caller may see it: 404 when it is not theirs to see."""

from sqlalchemy.orm import Session

from api.db import reading
from api.errors import not_found
from api.schemas import OrderDetail, OrderOut, PaymentOut
from api.views import order_detail, order_out, payment_out
from config import Settings
from services import order_queries
from services.order_queries import Viewer


async def load_detail(settings: Settings, viewer: Viewer, order_id: str) -> OrderDetail:
    def read(session: Session) -> OrderDetail | None:
        found = order_queries.visible_order_row(session, viewer, order_id)
        if found is None:
            return None
        return order_detail(found, order_queries.timeline(session, order_id))

    detail = await reading(settings.database_url, read)
    if detail is None:
        raise not_found("order")
    return detail


async def load_order(settings: Settings, viewer: Viewer, order_id: str) -> OrderOut:
    """The order without its timeline: what a step checks before it asks the workflow."""

    def read(session: Session) -> OrderOut | None:
        found = order_queries.visible_order_row(session, viewer, order_id)
        return None if found is None else order_out(found)

    order = await reading(settings.database_url, read)
    if order is None:
        raise not_found("order")
    return order


async def exists(settings: Settings, viewer: Viewer, order_id: str) -> bool:
    def read(session: Session) -> bool:
        return order_queries.visible_order(session, viewer, order_id) is not None

    return await reading(settings.database_url, read)


async def load_payment(settings: Settings, viewer: Viewer, payment_id: str) -> PaymentOut:
    """Admins also see the gateway's own words (`gateway_response`)."""

    def read(session: Session) -> PaymentOut | None:
        payment = order_queries.visible_payment(session, viewer, payment_id)
        return None if payment is None else payment_out(payment, viewer.is_admin)

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("payment")
    return found
