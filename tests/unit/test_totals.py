from decimal import Decimal

import pytest

from domain.totals import Totals, order_totals

D = Decimal


@pytest.mark.parametrize(
    ("price", "qty", "fee", "rate", "discount", "expected"),
    [
        ("1499.00", 1, "25.00", "0", "0", ("1499.00", "0.00", "0.00", "25.00", "1524.00")),
        ("19.99", 3, "4.50", "0", "0", ("59.97", "0.00", "0.00", "4.50", "64.47")),
        # 121.27 * 0.0825 = 10.004775 -> 10.00; 121.33 * 0.0825 = 10.009725 -> 10.01
        ("121.27", 1, "0", "0.0825", "0", ("121.27", "0.00", "10.00", "0.00", "131.27")),
        ("121.33", 1, "0", "0.0825", "0", ("121.33", "0.00", "10.01", "0.00", "131.34")),
        # exactly half a cent rounds up: 100.10 * 0.05 = 5.005 -> 5.01
        ("100.10", 1, "0", "0.05", "0", ("100.10", "0.00", "5.01", "0.00", "105.11")),
        # tax is on subtotal minus discount
        ("50.00", 2, "10.00", "0.10", "20.00", ("100.00", "20.00", "8.00", "10.00", "98.00")),
        # discount capped at subtotal: goods are free, shipping still due, no tax
        ("30.00", 1, "5.00", "0.20", "45.00", ("30.00", "30.00", "0.00", "5.00", "5.00")),
        ("30.00", 1, "5.00", "0.20", "30.00", ("30.00", "30.00", "0.00", "5.00", "5.00")),
        ("0.01", 1, "0", "0", "0", ("0.01", "0.00", "0.00", "0.00", "0.01")),
    ],
)
def test_order_totals(
    price: str, qty: int, fee: str, rate: str, discount: str, expected: tuple[str, ...]
) -> None:
    totals = order_totals(D(price), qty, D(fee), D(rate), D(discount))
    assert totals == Totals(*(D(value) for value in expected))
    assert totals.total_amount == totals.subtotal - totals.discount + totals.tax + totals.shipping


def test_every_amount_has_two_places() -> None:
    totals = order_totals(D("3.333"), 3, D("1"), D("0.0825"), D("0.5"))
    for amount in (totals.subtotal, totals.discount, totals.tax, totals.shipping):
        assert amount.as_tuple().exponent == -2
    assert totals.total_amount.as_tuple().exponent == -2


def test_default_discount_is_zero() -> None:
    assert order_totals(D("10.00"), 1, D("0"), D("0")).discount == D("0.00")


@pytest.mark.parametrize("qty", [0, -1])
def test_quantity_below_one_is_refused(qty: int) -> None:
    with pytest.raises(ValueError, match="quantity"):
        order_totals(D("10.00"), qty, D("0"), D("0"))


def test_a_negative_discount_is_refused() -> None:
    with pytest.raises(ValueError):
        order_totals(Decimal("10.00"), 1, Decimal("0"), Decimal("0"), discount=Decimal("-5"))
