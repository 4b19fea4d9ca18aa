"""Wallets: the caller's own (made on first use), by id (its owner or an admin), its
transactions; top-ups, withdrawals and an admin's adjustment."""

from sqlalchemy.orm import Session

from api import wallet_flow
from api.db import in_transaction, reading
from api.deps import ClientDep, KeyedDep, PaymentAttemptLimit, PrincipalDep, SettingsDep, ViewerDep
from api.errors import not_found
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import Page
from api.wallet_schemas import (
    AdjustCreate,
    PayoutOut,
    TopUpCreate,
    TopUpOut,
    TransactionOut,
    WalletOut,
    WithdrawCreate,
)
from services import ledger_queries, wallets

router = SlashRouter(tags=["wallets"])


def _out(account: object) -> WalletOut:
    return WalletOut.model_validate(account, from_attributes=True)


@router.get("/api/wallets/my_wallet/", response_model=WalletOut)
async def my_wallet(viewer: ViewerDep, settings: SettingsDep) -> WalletOut:
    def mine(session: Session) -> WalletOut:
        return _out(wallets.my_wallet(session, viewer.user_id, settings.currency))

    return await in_transaction(settings.database_url, mine)


@router.get("/api/wallets/my_wallet/transactions/", response_model=Page[TransactionOut])
async def my_transactions(
    viewer: ViewerDep, settings: SettingsDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        wallet = wallets.my_wallet(session, viewer.user_id, settings.currency)
        items, next_cursor = ledger_queries.transactions(session, wallet.id, limit, cursor)
        return {"items": [i.model_dump() for i in items], "next_cursor": next_cursor}

    return await in_transaction(settings.database_url, read)


@router.post(
    "/api/wallets/my_wallet/top_up/",
    dependencies=[PaymentAttemptLimit],
    status_code=202,
    response_model=TopUpOut,
)
async def top_up(
    body: TopUpCreate, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> TopUpOut:
    return await wallet_flow.top_up(body, me, settings, client, keyed)


@router.post("/api/wallets/my_wallet/withdraw/", status_code=202, response_model=PayoutOut)
async def withdraw(
    body: WithdrawCreate,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> PayoutOut:
    return await wallet_flow.withdraw(body, me, settings, client, keyed)


@router.get("/api/wallets/{wallet_id}/", response_model=WalletOut)
async def get_wallet(wallet_id: str, viewer: ViewerDep, settings: SettingsDep) -> WalletOut:
    def read(session: Session) -> WalletOut | None:
        found = wallets.find_wallet(session, viewer, wallet_id)
        return None if found is None else _out(found)

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("Wallet")
    return found


@router.post("/api/wallets/{wallet_id}/adjust/", response_model=WalletOut)
async def adjust(
    wallet_id: str,
    body: AdjustCreate,
    me: PrincipalDep,
    settings: SettingsDep,
    keyed: KeyedDep,
    client: ClientDep,
) -> WalletOut:
    return _out(await wallet_flow.adjust(wallet_id, body, me, settings, keyed, client))
