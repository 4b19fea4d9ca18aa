from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import CENT, as_text, from_minor_units, quantize, to_minor_units


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Decimal("10.005"), Decimal("10.01")),
        (Decimal("10.004"), Decimal("10.00")),
        (Decimal("0.015"), Decimal("0.02")),
        (Decimal("0.025"), Decimal("0.03")),
        (Decimal("-0.005"), Decimal("-0.01")),
        ("1524", Decimal("1524.00")),
        (7, Decimal("7.00")),
        (Decimal("99999999.99"), Decimal("99999999.99")),
    ],
)
def test_quantize_rounds_half_up_to_cents(raw: Decimal | int | str, expected: Decimal) -> None:
    result = quantize(raw)
    assert result == expected
    assert result.as_tuple().exponent == CENT.as_tuple().exponent


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("0.01"), 1),
        (Decimal("1524.00"), 152400),
        (Decimal("10.005"), 1001),
        (Decimal("99999999.99"), 9999999999),
        (Decimal("0"), 0),
        (Decimal("-3.50"), -350),
    ],
)
def test_to_minor_units(amount: Decimal, cents: int) -> None:
    result = to_minor_units(amount)
    assert result == cents
    assert isinstance(result, int)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1499"), "1499.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("0"), "0.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("-12.345"), "-12.35"),
        (Decimal("99999999.99"), "99999999.99"),
    ],
)
def test_as_text_has_two_places_and_no_exponent(amount: Decimal, text: str) -> None:
    assert as_text(amount) == text


# Every amount an integer column of cents holds (SQLite's are 64-bit), far beyond MAX_AMOUNT.
CENTS = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(CENTS)
def test_minor_units_round_trip_exactly(cents: int) -> None:
    amount = from_minor_units(cents)
    assert amount == Decimal(cents) / 100
    assert amount.as_tuple().exponent == -2
    assert to_minor_units(amount) == cents
    assert as_text(amount) == f"{Decimal(cents) / 100:.2f}"
