"""Loading one order or payment as the caller may see it: 404 when it is not theirs to see."""

from sqlalchemy.orm import Session

from api.db import reading
from api.errors import not_found
from api.schemas import OrderDetail, PaymentOut
from api.views import order_detail, payment_out
from config import Settings
from db.tables import Payment
from services import order_queries
from services.order_queries import Viewer


async def load_detail(settings: Settings, viewer: Viewer, order_id: str) -> OrderDetail:
    def read(session: Session) -> OrderDetail | None:
        order = order_queries.visible_order(session, viewer, order_id)
        if order is None:
            return None
        payment = session.get(Payment, order.payment_id) if order.payment_id else None
        return order_detail(order, payment, order_queries.timeline(session, order_id))

    detail = await reading(settings.database_url, read)
    if detail is None:
        raise not_found("order")
    return detail


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
