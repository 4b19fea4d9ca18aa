"""Payments: pay an order by card, read payments, retry a failed one."""

from sqlalchemy.orm import Session

from api.access import authorize
from api.db import reading
from api.deps import ClientDep, KeyedDep, PaymentAttemptLimit, PrincipalDep, SettingsDep, ViewerDep
from api.errors import ApiError, not_found
from api.order_flow import check_payment_request, pay, submit_payment
from api.order_reads import load_detail
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import Page, PaymentCreate, PaymentOut, PaymentRetry
from api.views import payment_out
from config import Settings
from db.types import utcnow
from domain.contracts import PayCommand
from domain.permissions import Act
from services import order_queries
from services.order_queries import Viewer

router = SlashRouter(tags=["payments"])


@router.post(
    "/api/payments/",
    dependencies=[PaymentAttemptLimit],
    status_code=201,
    response_model=PaymentOut,
    response_model_exclude_none=False,
)
async def create_payment(
    body: PaymentCreate,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> PaymentOut:
    order = await load_detail(settings, viewer, body.order_id)
    authorize(Act.PAY, me, order)
    check_payment_request(body.payment_method, body.card_token)
    command = PayCommand(
        payment_id=keyed.id_for(f"payment:{order.id}"),
        payment_method=body.payment_method,
        card_token=body.card_token,
        actor=me.user_id,
    )
    await submit_payment(
        client, settings, order.workflow_id, command, keyed.update_id(f"payment:{order.id}")
    )
    try:
        return await _load(settings, viewer, command.payment_id, me.is_admin)
    except ApiError:
        # Not even begun within the wait (no worker polling yet): it is still on its way.
        return PaymentOut(
            id=command.payment_id,
            order_id=order.id,
            payment_method=command.payment_method,
            amount=order.total_amount,
            currency=order.currency,
            status="processing",
            transaction_id=None,
            reference_number=order.order_number,
            gateway=settings.payment_gateway,
            error_code=None,
            error_message=None,
            attempts=0,
            instructions=None,
            created_at=utcnow(),
            processed_at=None,
        )


@router.get("/api/payments/", response_model=Page[PaymentOut])
async def list_payments(
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        rows, next_cursor = order_queries.list_payments(session, viewer, limit, cursor)
        return {"items": [payment_out(p, me.is_admin) for p in rows], "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


@router.get("/api/payments/{payment_id}/", response_model=PaymentOut)
async def get_payment(
    payment_id: str, me: PrincipalDep, viewer: ViewerDep, settings: SettingsDep
) -> PaymentOut:
    return await _load(settings, viewer, payment_id, me.is_admin)


@router.post(
    "/api/payments/{payment_id}/retry/",
    dependencies=[PaymentAttemptLimit],
    response_model=PaymentOut,
)
async def retry_payment(
    payment_id: str,
    body: PaymentRetry,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> PaymentOut:
    payment = await _load(settings, viewer, payment_id, me.is_admin)
    order = await load_detail(settings, viewer, payment.order_id)
    authorize(Act.RETRY, me, order)
    if order.payment is None or order.payment.id != payment.id:
        # An older attempt of this order, superseded by a newer payment: that one is retried.
        raise ApiError(409, "invalid_transition", "Only the order's current payment can be retried")
    # A keyed repeat whose first answer was lost finds the payment moved on by its own first
    # run: the workflow knows the update id and answers with the first outcome (it refuses
    # anything else), so only the states a first run leads to are let through to it.
    repeat = keyed.key is not None and payment.status in ("processing", "completed")
    if not repeat and (payment.status != "failed" or order.status != "pending"):
        raise ApiError(
            409, "invalid_transition", "Only a failed payment of a pending order can be retried"
        )
    method = body.payment_method or payment.payment_method
    check_payment_request(method, body.card_token, retry=True)
    await pay(
        client,
        settings,
        order.workflow_id,
        PayCommand(
            payment_id=payment_id,
            payment_method=method,
            card_token=body.card_token,
            actor=me.user_id,
        ),
        # Scoped to the payment: one key retrying two payments of an order retries both.
        keyed.update_id(f"retry:{payment_id}"),
    )
    return await _load(settings, viewer, payment_id, me.is_admin)


async def _load(settings: Settings, viewer: Viewer, payment_id: str, admin: bool) -> PaymentOut:
    def read(session: Session) -> PaymentOut | None:
        payment = order_queries.visible_payment(session, viewer, payment_id)
        return None if payment is None else payment_out(payment, admin)

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("payment")
    return found
