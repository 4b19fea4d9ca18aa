"""The payout of API.md: total minus PLATFORM_FEE_RATE (rounded half-up to the cent); after a
refund, computed on what was not refunded."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.payout import payout_plan, platform_fee

AT = datetime(2026, 11, 29, tzinfo=UTC)


def test_the_seller_gets_the_total_minus_five_percent() -> None:
    plan = payout_plan(Decimal("1524.00"), Decimal("0.00"), Decimal("0.05"), "USD", AT)
    assert (plan.amount, plan.fee) == (Decimal("1447.80"), Decimal("76.20"))


def test_the_fee_rounds_half_up_to_the_cent() -> None:
    # 0.05 * 10.10 = 0.505 → 0.51 (half-up), not 0.50 (banker's rounding)
    assert platform_fee(Decimal("10.10"), Decimal("0.05")) == Decimal("0.51")
    assert platform_fee(Decimal("10.09"), Decimal("0.05")) == Decimal("0.50")


def test_a_refund_lowers_what_the_fee_is_taken_on() -> None:
    plan = payout_plan(Decimal("200.00"), Decimal("50.00"), Decimal("0.05"), "USD", AT)
    assert (plan.amount, plan.fee) == (Decimal("142.50"), Decimal("7.50"))


def test_a_full_refund_pays_nothing() -> None:
    plan = payout_plan(Decimal("99.99"), Decimal("99.99"), Decimal("0.05"), "USD", AT)
    assert (plan.amount, plan.fee) == (Decimal("0.00"), Decimal("0.00"))


def test_more_refunded_than_paid_is_a_bug() -> None:
    with pytest.raises(ValueError):
        payout_plan(Decimal("10.00"), Decimal("10.01"), Decimal("0.05"), "USD", AT)


cents = st.integers(min_value=0, max_value=9_999_999_999).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=9999).map(lambda r: Decimal(r) / 10000)


@given(total=cents, rate=rates)
def test_seller_and_fee_add_up_to_the_total_to_the_cent(total: Decimal, rate: Decimal) -> None:
    plan = payout_plan(total, Decimal("0.00"), rate, "USD", AT)
    assert plan.amount + plan.fee == total
    assert plan.amount >= 0 and plan.fee >= 0
    assert plan.fee.as_tuple().exponent == -2 and plan.amount.as_tuple().exponent == -2
