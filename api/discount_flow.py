"""Discount codes: the admins keep them, everyone may list the active ones and validate one, and
a buyer applies one to a pending order through the order's workflow (so that an apply and a
payment never cross)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from temporalio.client import Client

from api.access import authorize, authorize_admin
from api.auth import Principal
from api.db import in_transaction, reading
from api.deps import Keyed, viewer_of
from api.discount_schemas import (
    REQUIRED,
    DiscountApply,
    DiscountCreate,
    DiscountOut,
    DiscountPatch,
    DiscountValidate,
    DiscountValidity,
    discount_out,
)
from api.errors import ApiError, not_found
from api.order_reads import load_detail
from api.schemas import OrderDetail
from api.workflow_calls import call_workflow
from config import Settings
from db.tables import Discount
from domain.contracts import DiscountCommand
from domain.discounts import DiscountStatus, terms_problem
from domain.permissions import Act
from services import discount_admin, discounts
from workflows.order import OrderWorkflow

CODE_TAKEN = "discount_code_taken"


def _now() -> datetime:
    return datetime.now(UTC)


async def create(body: DiscountCreate, me: Principal, settings: Settings) -> DiscountOut:
    authorize_admin(Act.MANAGE_DISCOUNTS, me)
    fields = dict(body)  # the values as they are (model_dump would make money text)
    _check_terms(fields)

    def write(session: Session) -> DiscountOut:
        return discount_out(discount_admin.create(session, fields), _now())

    try:
        return await in_transaction(settings.database_url, write)
    except discount_admin.CodeTaken:
        raise ApiError(
            409, CODE_TAKEN, "Another discount has this code (codes ignore case)"
        ) from None


async def find(
    me: Principal, settings: Settings, status: DiscountStatus | None, limit: int, cursor: str | None
) -> dict[str, object]:
    """Everyone sees the active codes; an admin sees all of them (or those of `status`)."""
    if not me.is_admin:
        if status not in (None, "active"):
            return {"items": [], "next_cursor": None}
        status = "active"

    def read(session: Session) -> dict[str, object]:
        now = _now()
        rows, next_cursor = discount_admin.find(session, status, now, limit, cursor)
        return {"items": [discount_out(row, now) for row in rows], "next_cursor": next_cursor}

    return await reading(settings.database_url, read)


async def get(discount_id: str, me: Principal, settings: Settings) -> DiscountOut:
    authorize_admin(Act.MANAGE_DISCOUNTS, me)
    found = await reading(settings.database_url, lambda s: _out(discount_admin.get(s, discount_id)))
    if found is None:
        raise not_found("discount")
    return found


async def patch(
    discount_id: str, body: DiscountPatch, me: Principal, settings: Settings
) -> DiscountOut:
    authorize_admin(Act.MANAGE_DISCOUNTS, me)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    cleared = sorted(name for name in REQUIRED if name in changes and changes[name] is None)
    if cleared:
        problems = [
            {"loc": ["body", name], "msg": "may be changed, not cleared"} for name in cleared
        ]
        raise ApiError(422, "validation_error", "These fields cannot be null", problems)

    def write(session: Session) -> DiscountOut | None:
        current = discount_admin.get(session, discount_id)
        if current is None:
            return None
        terms = {name: getattr(current, name) for name in _TERMS}
        _check_terms({**terms, **changes})
        return _out(discount_admin.update(session, discount_id, changes))

    updated = await in_transaction(settings.database_url, write)
    if updated is None:
        raise not_found("discount")
    return updated


async def validate(body: DiscountValidate, me: Principal, settings: Settings) -> DiscountValidity:
    def read(session: Session) -> DiscountValidity:
        valid, amount, reason = discounts.validate(
            session, body.code, me.user_id, body.order_amount, _now()
        )
        return DiscountValidity(valid=valid, discount_amount=amount, reason=reason)

    return await reading(settings.database_url, read)


async def apply(
    body: DiscountApply, me: Principal, settings: Settings, client: Client, keyed: Keyed
) -> OrderDetail:
    """The order's workflow reserves the use and re-totals the order; it refuses a bad code
    (422 discount_invalid with the reason) and an order past pending and unpaid (409)."""
    viewer = viewer_of(me)
    order = await load_detail(settings, viewer, body.order_id)
    authorize(Act.APPLY_DISCOUNT, me, order)
    handle = client.get_workflow_handle(order.workflow_id)
    command = DiscountCommand(code=body.code, actor=me.user_id)
    update_id = keyed.update_id(f"discount:{order.id}")
    await call_workflow(handle.execute_update(OrderWorkflow.apply_discount, command, id=update_id))
    return await load_detail(settings, viewer, order.id)


_TERMS = ("discount_type", "discount_value", "valid_from", "valid_until")


def _check_terms(fields: dict[str, Any]) -> None:
    problem = terms_problem(*(fields[name] for name in _TERMS))
    if problem is not None:
        field, message = problem
        raise ApiError(
            422,
            "validation_error",
            f"{field} {message}",
            [{"loc": ["body", field], "msg": message}],
        )


def _out(row: Discount | None) -> DiscountOut | None:
    return None if row is None else discount_out(row, _now())
