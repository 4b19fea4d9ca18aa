"""Money is a Decimal with exactly two places; rounding is half-up, as invoices expect."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The largest amount anything may be: a listing's price, an order's total, a payment.
MAX_AMOUNT = Decimal("99999999.99")


def quantize(amount: Decimal | int | str) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def to_minor_units(amount: Decimal) -> int:
    return int(quantize(amount) * 100)
