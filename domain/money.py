"""Money is a Decimal with exactly two places; rounding is half-up, as invoices expect."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The largest amount anything may be: a listing's price, an order's total, a payment.
MAX_AMOUNT = Decimal("99999999.99")


def quantize(amount: Decimal | int | str) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def as_text(amount: Decimal) -> str:
    """The contract's form of an amount: exactly two places ("1499.00"), never an exponent."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def from_minor_units(cents: int) -> Decimal:
    """Exact: a shift of the exponent, no division and no rounding."""
    return Decimal(cents).scaleb(-2)


def to_minor_units(amount: Decimal) -> int:
    return int(quantize(amount) * 100)
