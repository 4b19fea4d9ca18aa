"""Refunds: the buyer asks (an update of the order's workflow), an admin approves, rejects or
completes one (updates of `refund-{id}`); each is read back from the database."""

from typing import Annotated

from fastapi import Body, Query
from sqlalchemy.orm import Session

from api import refund_flow
from api.db import reading
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep, ViewerDep
from api.params import Cursor, Limit
from api.refund_schemas import (
    RefundApprove,
    RefundComplete,
    RefundCreate,
    RefundOut,
    RefundReject,
    refund_fields,
)
from api.routing import SlashRouter
from api.schemas import Page
from domain.refund_contracts import RefundStatus
from services import refund_queries

router = SlashRouter(tags=["refunds"])
_APPROVE, _COMPLETE = RefundApprove(), RefundComplete()


@router.post("/api/refunds/", status_code=201, response_model=RefundOut)
async def request_refund(
    body: RefundCreate, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> RefundOut:
    return await refund_flow.request_refund(body, me, settings, client, keyed)


@router.get("/api/refunds/", response_model=Page[RefundOut])
async def list_refunds(
    viewer: ViewerDep,
    settings: SettingsDep,
    status: Annotated[RefundStatus | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    def read(session: Session) -> dict[str, object]:
        rows, next_cursor = refund_queries.list_refunds(session, viewer, status, limit, cursor)
        items = [RefundOut.model_validate(refund_fields(row)) for row in rows]
        return {"items": items, "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


@router.get("/api/refunds/{refund_id}/", response_model=RefundOut)
async def get_refund(refund_id: str, viewer: ViewerDep, settings: SettingsDep) -> RefundOut:
    return await refund_flow.load_refund(settings, viewer, refund_id)


@router.post("/api/refunds/{refund_id}/approve/", response_model=RefundOut)
async def approve(
    refund_id: str,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
    # No body at all is the same as `{}`.
    body: Annotated[RefundApprove, Body()] = _APPROVE,
) -> RefundOut:
    return await refund_flow.decide(refund_id, body, me, settings, client, keyed)


@router.post("/api/refunds/{refund_id}/reject/", response_model=RefundOut)
async def reject(
    refund_id: str,
    body: RefundReject,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> RefundOut:
    return await refund_flow.decide(refund_id, body, me, settings, client, keyed)


@router.post("/api/refunds/{refund_id}/complete/", response_model=RefundOut)
async def complete(
    refund_id: str,
    me: PrincipalDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
    # No body at all is the same as `{}`.
    body: Annotated[RefundComplete, Body()] = _COMPLETE,
) -> RefundOut:
    return await refund_flow.decide(refund_id, body, me, settings, client, keyed)
