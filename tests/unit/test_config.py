import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from config import Settings, parse_duration


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ORDER_ENGINE_* variable or .env file of the developer leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("ORDER_ENGINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("90", timedelta(seconds=90)),
        ("30s", timedelta(seconds=30)),
        ("30m", timedelta(minutes=30)),
        ("3h", timedelta(hours=3)),
        ("3d", timedelta(days=3)),
        ("1.5h", timedelta(minutes=90)),
        (" 7d ", timedelta(days=7)),
        ("0", timedelta(0)),
        (90, timedelta(seconds=90)),
        (2.5, timedelta(seconds=2.5)),
    ],
)
def test_parse_duration(raw: object, expected: timedelta) -> None:
    assert parse_duration(raw) == expected


def test_parse_duration_passes_timedeltas_through() -> None:
    value = timedelta(hours=1)
    assert parse_duration(value) is value


@pytest.mark.parametrize("raw", ["", "abc", "30x", "3 days", "-5m", "m", "1e3", "3d4h"])
def test_parse_duration_refuses_bad_values(raw: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(raw)


def test_settings_defaults() -> None:
    settings = Settings()
    assert settings.payment_timeout == timedelta(minutes=30)
    assert settings.bank_transfer_timeout == timedelta(days=3)
    assert settings.ship_timeout == timedelta(days=7)
    assert settings.delivery_timeout == timedelta(days=14)
    assert settings.escrow_hold == timedelta(days=3)
    assert settings.tax_rate == Decimal("0")
    assert settings.platform_fee_rate == Decimal("0.05")
    assert settings.payment_gateway == "sandbox"


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("PAYMENT_TIMEOUT", "45m", "payment_timeout", timedelta(minutes=45)),
        ("BANK_TRANSFER_TIMEOUT", "5d", "bank_transfer_timeout", timedelta(days=5)),
        ("SHIP_TIMEOUT", "90", "ship_timeout", timedelta(seconds=90)),
        ("DELIVERY_TIMEOUT", "2h", "delivery_timeout", timedelta(hours=2)),
        ("ESCROW_HOLD", "10s", "escrow_hold", timedelta(seconds=10)),
        ("PAYMENT_ANSWER_WAIT", "1", "payment_answer_wait", timedelta(seconds=1)),
        ("TAX_RATE", "0.0825", "tax_rate", Decimal("0.0825")),
        ("PLATFORM_FEE_RATE", "0.1", "platform_fee_rate", Decimal("0.1")),
        ("DATABASE_URL", "postgresql+psycopg://x/y", "database_url", "postgresql+psycopg://x/y"),
        ("TASK_QUEUE", "q-1", "task_queue", "q-1"),
        ("CURRENCY", "EUR", "currency", "EUR"),
        ("API_PORT", "9001", "api_port", 9001),
        ("WEBHOOK_ALLOW_LOOPBACK", "true", "webhook_allow_loopback", True),
    ],
)
def test_settings_read_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(f"ORDER_ENGINE_{variable}", value)
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PAYMENT_TIMEOUT", "soon"),
        ("SHIP_TIMEOUT", "7 days"),
        ("TAX_RATE", "1"),
        ("TAX_RATE", "-0.1"),
        ("CURRENCY", "usd"),
        ("PAYMENT_GATEWAY", "paypal"),
    ],
)
def test_settings_refuse_bad_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(f"ORDER_ENGINE_{variable}", value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings_read_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ORDER_ENGINE_SHIP_TIMEOUT=2d\n")
    assert Settings().ship_timeout == timedelta(days=2)


def test_environment_wins_over_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ORDER_ENGINE_SHIP_TIMEOUT=2d\n")
    monkeypatch.setenv("ORDER_ENGINE_SHIP_TIMEOUT", "3h")
    assert Settings().ship_timeout == timedelta(hours=3)


def test_dev_secret_warns() -> None:
    with pytest.warns(UserWarning, match="JWT_SECRET"):
        Settings().warn_if_insecure()
