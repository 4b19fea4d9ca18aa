"""An admin settles a charge whose outcome the gateway could not tell (API.md, Payments)."""

from api import payment_flow
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep
from api.routing import SlashRouter
from api.schemas import PaymentOut, PaymentResolve

router = SlashRouter(tags=["payments"])


@router.post("/api/payments/{payment_id}/resolve/", response_model=PaymentOut)
async def resolve_payment(
    payment_id: str,
    body: PaymentResolve,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> PaymentOut:
    return await payment_flow.resolve_payment(payment_id, body, me, settings, client, keyed)
