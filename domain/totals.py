"""Order amounts as API.md defines them."""

from dataclasses import dataclass
from decimal import Decimal

from domain.money import quantize


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    shipping: Decimal
    total_amount: Decimal


def order_totals(
    unit_price: Decimal,
    quantity: int,
    shipping_fee: Decimal,
    tax_rate: Decimal,
    discount: Decimal = Decimal("0"),
) -> Totals:
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    subtotal = quantize(unit_price * quantity)
    if discount < 0:
        raise ValueError("a discount cannot be negative")
    # A discount never takes the goods below zero.
    discount = min(quantize(discount), subtotal)
    tax = quantize((subtotal - discount) * tax_rate)
    shipping = quantize(shipping_fee)
    return Totals(subtotal, discount, tax, shipping, subtotal - discount + tax + shipping)
