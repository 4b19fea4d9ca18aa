"""The seller's payout: what is left of the order after refunds, minus the platform's fee."""

from datetime import datetime
from decimal import Decimal

from domain.contracts import PayoutPlan
from domain.money import quantize


def platform_fee(amount: Decimal, rate: Decimal) -> Decimal:
    """The fee on `amount`, rounded half-up to the cent."""
    return quantize(amount * rate)


def payout_plan(
    total: Decimal, refunded: Decimal, rate: Decimal, currency: str, at: datetime
) -> PayoutPlan:
    kept = quantize(total - refunded)
    if kept < 0:
        raise ValueError(f"refunded {refunded} is more than the total {total}")
    fee = platform_fee(kept, rate)
    return PayoutPlan(amount=kept - fee, fee=fee, currency=currency, at=at)
