"""The limits of API.md on creating orders, answered early by the route; admission (in the
workflow's transaction) enforces the open-orders and total bounds again, race-safely."""

import math

from api.db import in_transaction, reading
from api.errors import ApiError
from config import Settings
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
    limit, window, what = _RATES[kind]
    wait = await in_transaction(
        settings.database_url,
        lambda s: rate_limits.hit(
            s,
            f"{kind}:{user_id}",
            utcnow(),
            getattr(settings, window),
            getattr(settings, limit),
        ),
    )
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many {what}; retry in {seconds} s",
            {"retry_after": seconds},
            headers={"Retry-After": str(seconds)},
        )


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


async def check_open_orders(settings: Settings, buyer_id: str) -> None:
    count = await reading(settings.database_url, lambda s: admission.open_orders(s, buyer_id))
    if count >= settings.max_open_unpaid_orders:
        raise await too_many_open_orders(settings, buyer_id)


def check_quantity(settings: Settings, quantity: int) -> None:
    if quantity > settings.max_order_quantity:
        raise ApiError(
            422,
            "validation_error",
            f"An order is for at most {settings.max_order_quantity} units",
            [{"loc": ["body", "quantity"], "msg": f"at most {settings.max_order_quantity}"}],
        )


def check_total(settings: Settings, listing: Listing, quantity: int) -> None:
    """Bounds compose: a listing that can be listed can be ordered, or the order is refused."""
    totals = order_totals(listing.unit_price, quantity, listing.shipping_fee, settings.tax_rate)
    if totals.total_amount > MAX_AMOUNT:
        raise ApiError(
            422,
            "validation_error",
            TOTAL_TOO_LARGE,
            [{"loc": ["body", "quantity"], "msg": f"total above {MAX_AMOUNT}"}],
        )
