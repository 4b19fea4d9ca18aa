"""An admin settles a charge whose outcome the gateway could not tell (API.md, Payments)."""

from api.access import authorize_admin
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep, ViewerDep
from api.order_reads import load_detail, load_payment
from api.routing import SlashRouter
from api.schemas import PaymentOut, PaymentResolve
from api.workflow_calls import call_workflow
from domain.contracts import ResolveCommand
from domain.permissions import Act
from workflows.order import OrderWorkflow

router = SlashRouter(tags=["payments"])


@router.post("/api/payments/{payment_id}/resolve/", response_model=PaymentOut)
async def resolve_payment(
    payment_id: str,
    body: PaymentResolve,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> PaymentOut:
    authorize_admin(Act.RESOLVE, me)
    payment = await load_payment(settings, viewer, payment_id)
    order = await load_detail(settings, viewer, payment.order_id)
    command = ResolveCommand(
        payment_id=payment_id,
        outcome=body.outcome,
        transaction_id=body.transaction_id,
        note=body.note,
        actor=me.user_id,
    )
    handle = client.get_workflow_handle(order.workflow_id)
    await call_workflow(
        handle.execute_update(
            OrderWorkflow.resolve_payment, command, id=keyed.update_id(f"resolve:{payment_id}")
        )
    )
    return await load_payment(settings, viewer, payment_id)
