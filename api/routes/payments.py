"""Payments: pay an order by card, read payments, retry a failed one."""

from sqlalchemy.orm import Session

from api import payment_flow
from api.db import reading
from api.deps import ClientDep, KeyedDep, PaymentAttemptLimit, PrincipalDep, SettingsDep, ViewerDep
from api.order_reads import load_payment
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import Page, PaymentCreate, PaymentOut, PaymentRetry
from api.views import payment_out
from services import order_queries

router = SlashRouter(tags=["payments"])


@router.post(
    "/api/payments/",
    status_code=201,
    response_model=PaymentOut,
    response_model_exclude_none=False,
)
async def create_payment(
    body: PaymentCreate, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> PaymentOut:
    return await payment_flow.create_payment(body, me, settings, client, keyed)


@router.get("/api/payments/", response_model=Page[PaymentOut])
async def list_payments(
    viewer: ViewerDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        rows, next_cursor = order_queries.list_payments(session, viewer, limit, cursor)
        items = [payment_out(p, viewer.is_admin) for p in rows]
        return {"items": items, "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


@router.get("/api/payments/{payment_id}/", response_model=PaymentOut)
async def get_payment(payment_id: str, viewer: ViewerDep, settings: SettingsDep) -> PaymentOut:
    return await load_payment(settings, viewer, payment_id)


@router.post(
    "/api/payments/{payment_id}/retry/",
    dependencies=[PaymentAttemptLimit],
    response_model=PaymentOut,
)
async def retry_payment(
    payment_id: str,
    body: PaymentRetry,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> PaymentOut:
    return await payment_flow.retry_payment(payment_id, body, me, settings, client, keyed)
