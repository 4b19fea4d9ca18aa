from decimal import Decimal

from domain.summary import order_summary


def test_names_the_order_its_total_and_its_item() -> None:
    line = order_summary("ORD-2026-000123", Decimal("1524"), "USD", "1998 Mazda MX-5")
    assert line == "ORD-2026-000123 · 1524.00 USD · 1998 Mazda MX-5"


def test_before_admission_it_has_no_number_and_a_long_title_is_cut() -> None:
    line = order_summary(None, Decimal("10.50"), "EUR", "x" * 200)
    assert line.startswith("10.50 EUR · xxx") and line.endswith("…")
    assert len(line.encode()) <= 200
