"""The limits of API.md on creating orders, answered early by the route; admission (in the
workflow's transaction) enforces the open-orders and total bounds again, race-safely."""

import math
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from api.db import in_transaction, reading
from api.errors import ApiError
from config import Settings
from db.statements import table_of
from db.tables import Listing
from db.types import utcnow
from domain.money import MAX_AMOUNT
from domain.totals import order_totals
from services import admission, rate_limits

TOTAL_TOO_LARGE = f"The order's total would be above {MAX_AMOUNT}; order fewer units"


# Per user and window, counted in the database (so every API process counts the same hits).
_RATES = {
    "order": ("order_rate_limit", "order_rate_window", "orders created"),
    "payment": ("payment_rate_limit", "payment_rate_window", "payment attempts"),
    # Per invoice, not per user: sends of one invoice again.
    "invoice_send": (
        "invoice_send_rate_limit",
        "invoice_send_rate_window",
        "sends of this invoice",
    ),
}


async def rate_limit(settings: Settings, kind: str, user_id: str) -> None:
    wait = await in_transaction(settings.database_url, lambda s: hit(s, settings, kind, user_id))
    if wait is not None:
        raise rate_limited(kind, wait)


def hit(session: Session, settings: Settings, kind: str, user_id: str) -> float | None:
    """Count one hit of `kind`: None when allowed, else the seconds until its window ends."""
    limit, window, _ = _RATES[kind]
    key = f"{kind}:{user_id}"
    return rate_limits.hit(
        session, key, utcnow(), getattr(settings, window), getattr(settings, limit)
    )


def rate_limited(kind: str, wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(
        429,
        "rate_limited",
        f"Too many {_RATES[kind][2]}; retry in {seconds} s",
        {"retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


class CreateChecks(NamedTuple):
    """What a create needs to know before its workflow starts, read in one transaction."""

    refused: ApiError | None
    listing: Row[Any] | None  # the listing's columns
    open_orders: int


def create_checks(
    session: Session, settings: Settings, buyer_id: str, listing_id: str, paying: bool
) -> CreateChecks:
    """The rate limits' hits (the payment's only when the order's is allowed: a refused
    request counts once), then the listing and the buyer's unpaid orders."""
    for kind in ("order", "payment") if paying else ("order",):
        wait = hit(session, settings, kind, buyer_id)
        if wait is not None:
            return CreateChecks(rate_limited(kind, wait), None, 0)
    listing = session.execute(_LISTING, {"listing_id": listing_id}).first()
    return CreateChecks(None, listing, admission.open_orders(session, buyer_id))


_LISTINGS = table_of(Listing)
_LISTING = select(_LISTINGS).where(_LISTINGS.c.id == bindparam("listing_id"))


async def too_many_open_orders(settings: Settings, buyer_id: str) -> ApiError:
    """429 with the time until the oldest pending order's payment deadline passes."""
    oldest = await reading(
        settings.database_url, lambda s: admission.oldest_open_order(s, buyer_id)
    )
    seconds = 60
    if oldest is not None:
        left = (oldest + settings.payment_timeout - utcnow()).total_seconds()
        seconds = math.ceil(left) if left >= 1 else seconds  # a bank transfer waits longer
    return ApiError(
        429,
        "too_many_open_orders",
        f"You have {settings.max_open_unpaid_orders} unpaid orders; "
        "pay or cancel one before ordering more",
        {"max_open_unpaid_orders": settings.max_open_unpaid_orders, "retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


def check_quantity(settings: Settings, quantity: int) -> None:
    if quantity > settings.max_order_quantity:
        raise ApiError(
            422,
            "validation_error",
            f"An order is for at most {settings.max_order_quantity} units",
            [{"loc": ["body", "quantity"], "msg": f"at most {settings.max_order_quantity}"}],
        )


def check_total(settings: Settings, listing: Row[Any], quantity: int) -> None:
    """Bounds compose: a listing that can be listed can be ordered, or the order is refused."""
    totals = order_totals(listing.unit_price, quantity, listing.shipping_fee, settings.tax_rate)
    if totals.total_amount > MAX_AMOUNT:
        raise ApiError(
            422,
            "validation_error",
            TOTAL_TOO_LARGE,
            [{"loc": ["body", "quantity"], "msg": f"total above {MAX_AMOUNT}"}],
        )
