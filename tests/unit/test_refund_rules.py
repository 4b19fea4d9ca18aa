"""How much a refund gives back (API.md, Refunds): neither amount → all that is still
refundable; a percentage is of the order's total, rounded half-up; never more than refundable."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.refunds import AmountExceedsRefundable, refund_amount, refundable

TOTAL = Decimal("1524.00")


def test_nothing_asked_is_everything_still_refundable() -> None:
    assert refund_amount(TOTAL, refundable(TOTAL, Decimal("24.00")), None, None) == Decimal(
        "1500.00"
    )


def test_a_percentage_is_of_the_total_rounded_half_up() -> None:
    assert refund_amount(TOTAL, TOTAL, None, Decimal(50)) == Decimal("762.00")
    # 33.33 % of 10.05 = 3.349665 → 3.35
    assert refund_amount(Decimal("10.05"), Decimal("10.05"), None, Decimal("33.33")) == Decimal(
        "3.35"
    )


def test_more_than_refundable_is_refused() -> None:
    with pytest.raises(AmountExceedsRefundable):
        refund_amount(TOTAL, Decimal("100.00"), Decimal("100.01"), None)
    with pytest.raises(AmountExceedsRefundable):
        refund_amount(TOTAL, Decimal("100.00"), None, Decimal(10))  # 152.40 > 100.00


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-1.00"), Decimal("1.005")])
def test_a_refund_is_a_positive_amount_of_whole_cents(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        refund_amount(TOTAL, TOTAL, amount, None)


def test_amount_and_percentage_together_are_refused() -> None:
    with pytest.raises(ValueError):
        refund_amount(TOTAL, TOTAL, Decimal("1.00"), Decimal(1))


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@given(total=cents, data=st.data())
def test_refunds_in_any_order_never_exceed_the_total(total: Decimal, data: st.DataObject) -> None:
    refunded = Decimal("0.00")
    for _ in range(5):
        left = refundable(total, refunded)
        if left == 0:
            break
        asked = data.draw(st.integers(1, int(left * 100) + 50).map(lambda c: Decimal(c) / 100))
        try:
            refunded += refund_amount(total, left, asked, None)
        except AmountExceedsRefundable:
            assert asked > left
    assert Decimal("0.00") <= refunded <= total
