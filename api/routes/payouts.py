"""Payouts out of wallets (the caller's own; an admin's, everyone's) and the ledger's check."""

from sqlalchemy.orm import Session

from api.db import reading
from api.deps import PrincipalDep, SettingsDep, ViewerDep, require_role
from api.errors import not_found
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import Page
from api.wallet_schemas import LedgerCheckOut, PayoutOut, payout_out
from services import ledger_queries, wallet_payouts

router = SlashRouter(tags=["wallets"])


@router.get("/api/payouts/", response_model=Page[PayoutOut])
async def list_payouts(
    viewer: ViewerDep, settings: SettingsDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        rows, next_cursor = wallet_payouts.list_payouts(session, viewer, limit, cursor)
        return {"items": [payout_out(row) for row in rows], "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


@router.get("/api/payouts/{payout_id}/", response_model=PayoutOut)
async def get_payout(payout_id: str, viewer: ViewerDep, settings: SettingsDep) -> PayoutOut:
    found = await reading(
        settings.database_url, lambda s: wallet_payouts.find_payout(s, viewer, payout_id)
    )
    if found is None:
        raise not_found("Payout")
    return payout_out(found)


@router.get("/api/admin/ledger/check/", response_model=LedgerCheckOut)
async def ledger_check(me: PrincipalDep, settings: SettingsDep) -> LedgerCheckOut:
    require_role(me, "admin")
    checked = await reading(settings.database_url, ledger_queries.check)
    return LedgerCheckOut.model_validate(checked.model_dump())
