"""An order's use of a discount code: reserved when the code is applied, released when the order
is cancelled unpaid, counted when it is paid.

The counters move only by conditional UPDATEs (DESIGN.md rule 7): `discounts.reserved < max_uses`
and `discount_user_counts.uses < max_uses_per_user` are in the WHERE of the UPDATE that bumps
them, so however many orders race, no more uses are reserved than the code allows; a use's
status moves by an UPDATE that names the status it leaves, so it moves once.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from db.statements import insert_ignoring, table_of
from db.tables import Discount, DiscountUse, DiscountUserCount
from db.types import utcnow
from domain.discounts import (
    ZERO,
    DiscountRefused,
    Reason,
    code_key,
    discount_amount,
    refusal_of,
    uses_refusal,
)

RESERVED, USED, RELEASED = "reserved", "used", "released"


def find_code(session: Session, code: str) -> Discount | None:
    return session.scalars(select(Discount).where(Discount.code_key == code_key(code))).first()


def reserve(
    session: Session, code: str, user_id: str, order_id: str, subtotal: Decimal, at: datetime
) -> tuple[str, Decimal]:
    """Reserve one use of `code` for the order: (the code as stored, its amount off `subtotal`),
    or DiscountRefused. The same order and code again return the reservation it has; another
    code first gives the order's previous use back."""
    for _ in range(2):
        reserved = _reserve(session, code, user_id, order_id, subtotal, at)
        if reserved is not None:
            return reserved
    raise RuntimeError(f"order {order_id}: its discount use changed under it twice")


def _reserve(
    session: Session, code: str, user_id: str, order_id: str, subtotal: Decimal, at: datetime
) -> tuple[str, Decimal] | None:
    discount = find_code(session, code)
    if discount is None:
        raise DiscountRefused("not_found")
    current = _use_of(session, order_id)
    if current is not None and current.status != RELEASED:
        if current.discount_id == discount.id:
            return discount.code, current.amount
        if current.status == USED:
            raise ValueError(f"order {order_id} has paid with its discount: it cannot change")
        # Both codes' rows locked in the order of their ids before either counter moves: two
        # orders swapping codes in opposite directions queue instead of deadlocking.
        both = select(Discount.id).where(Discount.id.in_((current.discount_id, discount.id)))
        session.execute(both.order_by(Discount.id).with_for_update()).all()
        release(session, order_id)
    refusal = refusal_of(
        discount.status,
        discount.valid_from,
        discount.valid_until,
        discount.min_order_amount,
        subtotal,
        at,
    )
    if refusal is not None:
        raise DiscountRefused(refusal)
    amount = discount_amount(
        discount.discount_type, discount.discount_value, discount.max_discount_amount, subtotal
    )
    stored = discount.code
    # A savepoint: a refused counter leaves neither the use nor the other counter behind.
    with session.begin_nested():
        if not _claim(session, current is not None, discount.id, user_id, order_id, amount):
            return None  # another transaction wrote this order's use first: look again
        _count_up(session, discount.id, user_id)
    session.expire_all()  # the UPDATEs went around the session
    return stored, amount


def release(session: Session, order_id: str) -> None:
    """The order's reserved use is given back, once: a second call, or one racing it, finds it
    released already and changes nothing. A used one is never released."""
    row = session.execute(
        _leave(order_id, RESERVED, RELEASED).returning(DiscountUse.discount_id, DiscountUse.user_id)
    ).first()
    if row is None:
        return
    discount_id, user_id = row
    _bump(session, Discount, Discount.id == discount_id, reserved=Discount.reserved - 1)
    _bump(
        session,
        DiscountUserCount,
        (DiscountUserCount.discount_id == discount_id) & (DiscountUserCount.user_id == user_id),
        uses=DiscountUserCount.uses - 1,
    )
    session.expire_all()


def mark_used(session: Session, order_id: str) -> None:
    """The order was paid: its reserved use is counted in `times_used`, once."""
    row = session.execute(
        _leave(order_id, RESERVED, USED).returning(DiscountUse.discount_id)
    ).first()
    if row is None:
        return
    _bump(session, Discount, Discount.id == row[0], times_used=Discount.times_used + 1)
    session.expire_all()


def validate(
    session: Session, code: str, user_id: str, order_amount: Decimal, at: datetime
) -> tuple[bool, Decimal, Reason | None]:
    """What `reserve` would say now, without reserving: (valid, amount, reason)."""
    discount = find_code(session, code)
    if discount is None:
        return False, ZERO, "not_found"
    reason = refusal_of(
        discount.status,
        discount.valid_from,
        discount.valid_until,
        discount.min_order_amount,
        order_amount,
        at,
    ) or uses_refusal(
        discount.reserved,
        discount.max_uses,
        _user_uses(session, discount.id, user_id),
        discount.max_uses_per_user,
    )
    if reason is not None:
        return False, ZERO, reason
    amount = discount_amount(
        discount.discount_type, discount.discount_value, discount.max_discount_amount, order_amount
    )
    return True, amount, None


def use_of(session: Session, order_id: str) -> DiscountUse | None:
    return session.scalars(select(DiscountUse).where(DiscountUse.order_id == order_id)).first()


def _use_of(session: Session, order_id: str) -> DiscountUse | None:
    query = select(DiscountUse).where(DiscountUse.order_id == order_id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


def _user_uses(session: Session, discount_id: str, user_id: str) -> int:
    found = session.scalar(
        select(DiscountUserCount.uses).where(
            DiscountUserCount.discount_id == discount_id, DiscountUserCount.user_id == user_id
        )
    )
    return found or 0


def _claim(
    session: Session, exists: bool, discount_id: str, user_id: str, order_id: str, amount: Decimal
) -> bool:
    """The order's use row, reserved: a new row, or its released one taken again."""
    fields: dict[str, Any] = {
        "discount_id": discount_id,
        "user_id": user_id,
        "amount": amount,
    }
    if exists:
        claim = _leave(order_id, RELEASED, RESERVED, **fields).returning(DiscountUse.id)
        return session.execute(claim).first() is not None
    now = utcnow()
    values = {
        **fields,
        "id": str(uuid.uuid4()),
        "order_id": order_id,
        "status": RESERVED,
        "created_at": now,
        "updated_at": now,
    }
    return session.execute(_CLAIM_USE(session), values).first() is not None


def _count_up(session: Session, discount_id: str, user_id: str) -> None:
    """One more use of the code, and of the code by the user, each under its limit; the code's
    row first, so every reservation takes the locks in one order."""
    code = Discount
    row = session.execute(
        update(code)
        .where(code.id == discount_id, or_(code.max_uses.is_(None), code.reserved < code.max_uses))
        .values(reserved=code.reserved + 1)
        .returning(code.max_uses_per_user)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise DiscountRefused("max_uses_reached")
    per_user = row[0]
    session.execute(
        _USER_COUNT(session), {"discount_id": discount_id, "user_id": user_id, "uses": 0}
    )
    mine = DiscountUserCount
    query = update(mine).where(mine.discount_id == discount_id, mine.user_id == user_id)
    if per_user is not None:
        query = query.where(mine.uses < per_user)
    counted = session.execute(
        query.values(uses=mine.uses + 1)
        .returning(mine.uses)
        .execution_options(synchronize_session=False)
    ).first()
    if counted is None:
        raise DiscountRefused("max_uses_per_user_reached")


def _leave(order_id: str, status: str, to: str, **fields: Any) -> Any:
    """The UPDATE that moves the order's use out of `status`, if it is (still) in it."""
    values = {"status": to, "updated_at": utcnow(), **fields}
    return (
        update(DiscountUse)
        .where(DiscountUse.order_id == order_id, DiscountUse.status == status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _bump(session: Session, table: type[Any], where: Any, **values: Any) -> None:
    session.execute(
        update(table).where(where).values(**values).execution_options(synchronize_session=False)
    )


_CLAIM_USE = insert_ignoring(table_of(DiscountUse), "id")
_USER_COUNT = insert_ignoring(table_of(DiscountUserCount))
