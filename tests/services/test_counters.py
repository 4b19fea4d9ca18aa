import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from db.engine import session_scope
from services.counters import yearly_number
from tests.services.helpers import fresh_year


def _number(url: str, prefix: str, year: int) -> str:
    with session_scope(url) as session:
        return yearly_number(session, prefix, year)


def test_yearly_number_counts_from_one(database_url: str) -> None:
    year = fresh_year()
    assert _number(database_url, "ORD", year) == f"ORD-{year}-000001"
    assert _number(database_url, "ORD", year) == f"ORD-{year}-000002"
    # Another prefix and another year have their own sequences.
    assert _number(database_url, "INV", year) == f"INV-{year}-000001"
    other = fresh_year()
    assert _number(database_url, "ORD", other) == f"ORD-{other}-000001"
    assert _number(database_url, "ORD", year) == f"ORD-{year}-000003"


def test_rolled_back_number_leaves_no_gap(database_url: str) -> None:
    year = fresh_year()
    assert _number(database_url, "ORD", year) == f"ORD-{year}-000001"
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        assert yearly_number(session, "ORD", year) == f"ORD-{year}-000002"
        raise RuntimeError("the order could not be written")
    assert _number(database_url, "ORD", year) == f"ORD-{year}-000002"


def test_concurrent_numbers_are_distinct_and_gapless(database_url: str) -> None:
    year, threads = fresh_year(), 20
    start = threading.Barrier(threads)

    def take(_: int) -> str:
        start.wait()
        return _number(database_url, "ORD", year)

    with ThreadPoolExecutor(threads) as pool:
        numbers = list(pool.map(take, range(threads)))

    assert sorted(numbers) == [f"ORD-{year}-{n:06d}" for n in range(1, threads + 1)]
