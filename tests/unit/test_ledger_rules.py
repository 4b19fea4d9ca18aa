from decimal import Decimal

import pytest

from domain.ledger import (
    ESCROW,
    Drift,
    currency_code,
    ledger_check,
    platform_kind,
    transfer_amount,
)


@pytest.mark.parametrize("amount", ["0.01", "10", "10.5", "99999999.99"])
def test_a_transfer_amount_is_whole_cents(amount: str) -> None:
    moved = transfer_amount(Decimal(amount))
    assert moved == Decimal(amount)
    assert moved.as_tuple().exponent == -2


@pytest.mark.parametrize("amount", ["0", "-0.01", "0.001", "10.005", "100000000.00", "NaN"])
def test_a_transfer_amount_that_is_not_whole_positive_cents_is_refused(amount: str) -> None:
    with pytest.raises(ValueError):
        transfer_amount(Decimal(amount))


def test_a_float_is_never_money() -> None:
    with pytest.raises(TypeError):
        transfer_amount(10.0)  # type: ignore[arg-type]


def test_currencies_and_platform_kinds() -> None:
    assert currency_code("EUR") == "EUR"
    assert platform_kind(ESCROW) == ESCROW
    for bad in ("eur", "EURO", "E1R", ""):
        with pytest.raises(ValueError):
            currency_code(bad)
    for kind in ("wallet", "bank"):
        with pytest.raises(ValueError):
            platform_kind(kind)


def test_a_check_is_balanced_only_without_drift() -> None:
    assert ledger_check(3, []).balanced
    drift = Drift(
        problem="currency_not_zero", currency="EUR", expected=Decimal(0), actual=Decimal("1")
    )
    result = ledger_check(3, [drift])
    assert (result.balanced, result.accounts, result.drift) == (False, 3, [drift])
