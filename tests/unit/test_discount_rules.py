"""Discount rules (domain/discounts.py): amounts, caps, the refusals' reasons, the derived
status; and, as properties, that a discount is never negative nor above the subtotal and that
the order's totals follow API.md's formula to the cent."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.discounts import (
    REASONS,
    DiscountRefused,
    code_key,
    discount_amount,
    refusal_of,
    status_of,
    terms_problem,
    uses_refusal,
)
from domain.totals import order_totals

D = Decimal
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("kind", "value", "cap", "subtotal", "expected"),
    [
        ("percentage", "10", None, "1499.00", "149.90"),
        # 12.5% of 0.10 = 0.0125 -> 0.01; of 0.20 = 0.025 -> 0.03 (half-up)
        ("percentage", "12.5", None, "0.10", "0.01"),
        ("percentage", "12.5", None, "0.20", "0.03"),
        ("percentage", "50", "100.00", "1000.00", "100.00"),
        ("percentage", "50", "600.00", "1000.00", "500.00"),
        ("percentage", "100", None, "42.42", "42.42"),
        ("fixed", "25.00", None, "100.00", "25.00"),
        ("fixed", "25.00", None, "10.00", "10.00"),
        # the cap speaks of percentages only
        ("fixed", "25.00", "5.00", "100.00", "25.00"),
        ("fixed", "25.00", None, "0.00", "0.00"),
    ],
)
def test_discount_amount(
    kind: str, value: str, cap: str | None, subtotal: str, expected: str
) -> None:
    amount = discount_amount(kind, D(value), None if cap is None else D(cap), D(subtotal))
    assert amount == D(expected)
    assert amount.as_tuple().exponent == -2


def test_unknown_type_is_a_bug() -> None:
    with pytest.raises(ValueError):
        discount_amount("bogus", D("1"), None, D("10.00"))


def test_codes_compare_case_insensitively() -> None:
    assert code_key(" summer10 ") == code_key("SUMMER10") == code_key("Summer10") == "SUMMER10"


@pytest.mark.parametrize(
    ("status", "valid_until", "expected"),
    [
        ("active", None, "active"),
        ("active", NOW + HOUR, "active"),
        ("active", NOW, "active"),
        ("active", NOW - HOUR, "expired"),
        ("inactive", NOW - HOUR, "inactive"),
        ("inactive", None, "inactive"),
    ],
)
def test_status_is_derived(status: str, valid_until: datetime | None, expected: str) -> None:
    assert status_of(status, valid_until, NOW) == expected


@pytest.mark.parametrize(
    ("status", "valid_from", "valid_until", "minimum", "amount", "expected"),
    [
        ("active", None, None, None, "0.00", None),
        ("inactive", None, None, None, "10.00", "inactive"),
        ("active", None, NOW - HOUR, None, "10.00", "expired"),
        ("active", NOW + HOUR, None, None, "10.00", "not_yet_valid"),
        ("active", NOW, NOW + HOUR, None, "10.00", None),
        ("active", None, None, "50.00", "49.99", "min_order_not_met"),
        ("active", None, None, "50.00", "50.00", None),
        # the code's own state speaks first
        ("inactive", NOW + HOUR, None, "50.00", "1.00", "inactive"),
        ("active", NOW + HOUR, None, "50.00", "1.00", "not_yet_valid"),
    ],
)
def test_refusals(
    status: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    minimum: str | None,
    amount: str,
    expected: str | None,
) -> None:
    found = refusal_of(
        status, valid_from, valid_until, None if minimum is None else D(minimum), D(amount), NOW
    )
    assert found == expected


@pytest.mark.parametrize(
    ("reserved", "max_uses", "mine", "per_user", "expected"),
    [
        (0, None, 0, None, None),
        (4, 5, 0, 1, None),
        (5, 5, 0, 1, "max_uses_reached"),
        (1, 5, 1, 1, "max_uses_per_user_reached"),
        (5, 5, 1, 1, "max_uses_reached"),
        (100, None, 2, 3, None),
    ],
)
def test_uses(
    reserved: int, max_uses: int | None, mine: int, per_user: int | None, expected: str | None
) -> None:
    assert uses_refusal(reserved, max_uses, mine, per_user) == expected


def test_every_reason_has_a_message() -> None:
    for reason in REASONS:
        refused = DiscountRefused(reason)  # type: ignore[arg-type]
        assert refused.reason == reason and str(refused)
    assert len(REASONS) == 7


@pytest.mark.parametrize(
    ("kind", "value", "valid_from", "valid_until", "field"),
    [
        ("percentage", "100.01", None, None, "discount_value"),
        ("fixed", "0", None, None, "discount_value"),
        ("percentage", "10", NOW, NOW, "valid_until"),
        ("percentage", "10", NOW, NOW - HOUR, "valid_until"),
        ("fixed", "1000.00", NOW, NOW + HOUR, None),
    ],
)
def test_terms(
    kind: str,
    value: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    field: str | None,
) -> None:
    problem = terms_problem(kind, D(value), valid_from, valid_until)
    assert (problem[0] if problem else None) == field


cents = st.integers(min_value=0, max_value=10_000_000_00).map(lambda n: D(n) / 100)
percentages = st.integers(min_value=1, max_value=100_00).map(lambda n: D(n) / 100)
caps = st.none() | st.integers(min_value=1, max_value=1_000_000_00).map(lambda n: D(n) / 100)
kinds = st.sampled_from(["percentage", "fixed"])


@given(kind=kinds, percentage=percentages, fixed=cents, cap=caps, subtotal=cents)
def test_a_discount_is_never_negative_nor_above_the_subtotal(
    kind: str, percentage: Decimal, fixed: Decimal, cap: Decimal | None, subtotal: Decimal
) -> None:
    value = percentage if kind == "percentage" else fixed
    amount = discount_amount(kind, value, cap, subtotal)
    assert D("0.00") <= amount <= subtotal
    assert amount.as_tuple().exponent == -2
    if kind == "percentage":
        exact = (subtotal * value / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert amount == (exact if cap is None else min(exact, cap))
    else:
        assert amount == min(fixed, subtotal)


@given(
    kind=kinds,
    percentage=percentages,
    fixed=cents,
    cap=caps,
    unit_price=st.integers(min_value=1, max_value=1_000_000_00).map(lambda n: D(n) / 100),
    quantity=st.integers(min_value=1, max_value=100),
    shipping=cents,
    tax_rate=st.integers(min_value=0, max_value=9999).map(lambda n: D(n) / 10000),
)
def test_totals_follow_api_md_to_the_cent(
    kind: str,
    percentage: Decimal,
    fixed: Decimal,
    cap: Decimal | None,
    unit_price: Decimal,
    quantity: int,
    shipping: Decimal,
    tax_rate: Decimal,
) -> None:
    subtotal = unit_price * quantity
    value = percentage if kind == "percentage" else fixed
    discount = discount_amount(kind, value, cap, subtotal)
    totals = order_totals(unit_price, quantity, shipping, tax_rate, discount)
    tax = ((subtotal - discount) * tax_rate).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert totals.subtotal == subtotal
    assert totals.discount == discount
    assert totals.tax == tax
    assert totals.shipping == shipping
    assert totals.total_amount == subtotal - discount + tax + shipping
    assert totals.total_amount >= shipping
