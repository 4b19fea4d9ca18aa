from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from db.engine import get_engine, session_scope
from db.tables import Listing
from tests.support import make_listing


@pytest.mark.parametrize("amount", ["99999999.99", "0.01", "1524.00", "0.00", "10.10", "7"])
def test_money_round_trips_exactly(database_url: str, amount: str) -> None:
    listing_id = make_listing(database_url, price=amount, fee=amount)
    with session_scope(database_url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        assert isinstance(listing.unit_price, Decimal)
        assert listing.unit_price == Decimal(amount)
        assert str(listing.unit_price) == str(Decimal(amount).quantize(Decimal("0.01")))
        assert listing.shipping_fee == listing.unit_price


def test_money_is_stored_as_cents_on_sqlite_and_numeric_on_postgres(database_url: str) -> None:
    listing_id = make_listing(database_url, price="1524.37")
    with get_engine(database_url).connect() as connection:
        raw = connection.execute(
            text("SELECT unit_price FROM listings WHERE id = :id"), {"id": listing_id}
        ).scalar_one()
    if connection.dialect.name == "sqlite":
        assert raw == 152437
    else:
        assert raw == Decimal("1524.37")


def test_money_refuses_a_float(database_url: str) -> None:
    listing_id = make_listing(database_url, price="10.00")
    with pytest.raises(StatementError) as raised, session_scope(database_url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        listing.unit_price = 10.5  # type: ignore[assignment]
    assert isinstance(raised.value.orig, TypeError)
    with session_scope(database_url) as session:
        assert session.get(Listing, listing_id).unit_price == Decimal("10.00")  # type: ignore[union-attr]


@pytest.mark.parametrize("offset_hours", [0, 5, -7])
def test_utc_datetime_returns_aware_utc(database_url: str, offset_hours: int) -> None:
    listing_id = make_listing(database_url)
    written = datetime(
        2026, 3, 1, 23, 30, 15, 123456, tzinfo=timezone(timedelta(hours=offset_hours))
    )
    with session_scope(database_url) as session:
        session.get(Listing, listing_id).created_at = written  # type: ignore[union-attr]
    with session_scope(database_url) as session:
        read = session.get(Listing, listing_id).created_at  # type: ignore[union-attr]
    assert read.tzinfo is UTC
    assert read == written
    assert read.replace(tzinfo=None) == written.astimezone(UTC).replace(tzinfo=None)


def test_utc_datetime_refuses_naive(database_url: str) -> None:
    listing_id = make_listing(database_url)
    with pytest.raises(StatementError) as raised, session_scope(database_url) as session:
        session.get(Listing, listing_id).created_at = datetime(2026, 1, 1)  # type: ignore[union-attr]
    assert isinstance(raised.value.orig, ValueError)
