"""How much a refund gives back: an amount, a percentage of the order, or (neither) all that is
still refundable; never more than that."""

from decimal import Decimal

from domain.money import quantize


class AmountExceedsRefundable(ValueError):
    def __init__(self, asked: Decimal, refundable: Decimal) -> None:
        super().__init__(f"{asked:.2f} is more than the {refundable:.2f} still refundable")
        self.asked = asked
        self.refundable = refundable


def refundable(captured: Decimal, refunded: Decimal) -> Decimal:
    return quantize(captured - refunded)


def refund_amount(
    total: Decimal, still_refundable: Decimal, amount: Decimal | None, percentage: Decimal | None
) -> Decimal:
    """The amount a refund moves. `percentage` is of the order's total, rounded half-up."""
    if amount is not None and percentage is not None:
        raise ValueError("give an amount or a percentage, not both")
    if amount is not None:
        asked = amount
    elif percentage is not None:
        asked = quantize(total * percentage / 100)
    else:
        asked = still_refundable
    if asked <= 0 or quantize(asked) != asked:
        raise ValueError(f"a refund is a positive amount of whole cents, not {asked}")
    if asked > still_refundable:
        raise AmountExceedsRefundable(asked, still_refundable)
    return asked
