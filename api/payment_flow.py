"""Paying an order, retrying its failed payment, settling an unknown charge: who may, whether
the order's state allows it, then the workflow; each answers with the payment as it now is."""

from temporalio.client import Client

from api.access import allow, authorize, authorize_admin
from api.auth import Principal
from api.deps import Keyed, viewer_of
from api.errors import ApiError
from api.order_flow import check_payment_request, pay, submit_payment
from api.order_reads import load_order, load_order_to_pay, load_payment
from api.schemas import OrderOut, PaymentCreate, PaymentOut, PaymentResolve, PaymentRetry
from api.workflow_calls import call_workflow
from config import Settings
from db.types import utcnow
from domain.contracts import PayCommand, ResolveCommand
from domain.order_rules import retry_refusal
from domain.permissions import Act
from workflows.order import OrderWorkflow


async def create_payment(
    body: PaymentCreate, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> PaymentOut:
    viewer = viewer_of(me)
    order = await load_order_to_pay(settings, viewer, body.order_id)
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
        return await load_payment(settings, viewer, command.payment_id)
    except ApiError:
        # Not even begun within the wait (no worker polling yet): it is still on its way.
        return still_processing(order, command, settings)


async def retry_payment(
    payment_id: str,
    body: PaymentRetry,
    me: Principal,
    settings: Settings,
    client: Client,
    keyed: Keyed,
) -> PaymentOut:
    viewer = viewer_of(me)
    payment = await load_payment(settings, viewer, payment_id)
    order = await load_order(settings, viewer, payment.order_id)
    authorize(Act.RETRY, me, order)
    current = order.payment.id if order.payment else None
    allow(retry_refusal(payment.id, payment.status, current, order.status, keyed.key is not None))
    method = body.payment_method or payment.payment_method
    check_payment_request(method, body.card_token, retry=True)
    command = PayCommand(
        payment_id=payment_id, payment_method=method, card_token=body.card_token, actor=me.user_id
    )
    # Scoped to the payment: one key retrying two payments of an order retries both.
    await pay(client, settings, order.workflow_id, command, keyed.update_id(f"retry:{payment_id}"))
    return await load_payment(settings, viewer, payment_id)


async def resolve_payment(
    payment_id: str,
    body: PaymentResolve,
    me: Principal,
    settings: Settings,
    client: Client,
    keyed: Keyed,
) -> PaymentOut:
    authorize_admin(Act.RESOLVE, me)
    viewer = viewer_of(me)
    payment = await load_payment(settings, viewer, payment_id)
    order = await load_order(settings, viewer, payment.order_id)
    command = ResolveCommand(
        payment_id=payment_id,
        outcome=body.outcome,
        transaction_id=body.transaction_id,
        note=body.note,
        actor=me.user_id,
    )
    handle = client.get_workflow_handle(order.workflow_id)
    update_id = keyed.update_id(f"resolve:{payment_id}")
    await call_workflow(handle.execute_update(OrderWorkflow.resolve_payment, command, id=update_id))
    return await load_payment(settings, viewer, payment_id)


def still_processing(order: OrderOut, command: PayCommand, settings: Settings) -> PaymentOut:
    """The payment as it will be, before the workflow has written it."""
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
