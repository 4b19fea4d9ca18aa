"""The order lists walk an index that fits their filter (bench/open_orders.py shows the plans at
scale on PostgreSQL): a role alone is the filter, without the visibility OR beside it."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from bench.open_orders_data import Cast, write_past_orders
from db.engine import get_engine, session_scope
from services.order_queries import Viewer, list_orders
from tests.conftest import fresh_postgres


def list_query(url: str, viewer: Viewer, role: str | None, status: str | None) -> tuple[str, Any]:
    """The SQL and parameters list_orders sends for this page."""
    engine = get_engine(url, False)  # the engine the sessions use (the cache keys by arguments)
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM orders" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with session_scope(url) as session:
            list_orders(session, viewer, role, status, 50, None)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [query] = sent
    return query


def explained(url: str, explain: str, query: tuple[str, Any], column: int) -> str:
    statement, parameters = query
    with get_engine(url, False).connect() as connection:
        rows = connection.exec_driver_sql(f"{explain} {statement}", parameters)
        return "\n".join(str(row[column]) for row in rows)


def plan_of(url: str, role: str | None, status: str | None) -> str:
    """SQLite's plan of the list query, as list_orders sends it."""
    query = list_query(url, Viewer("user-1", False), role, status)
    return explained(url, "EXPLAIN QUERY PLAN", query, -1)


def test_a_sellers_orders_in_one_status_use_their_index(sqlite_url: str) -> None:
    plan = plan_of(sqlite_url, "seller", "confirmed")
    # Both equalities in the index, and its order is the page's: no sort at all.
    assert "ix_orders_seller_status (seller_id=? AND status=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_buyers_orders_use_the_buyers_index_alone(sqlite_url: str) -> None:
    plan = plan_of(sqlite_url, "buyer", None)
    assert "ix_orders_buyer (buyer_id=?)" in plan and "MULTI-INDEX OR" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # the index's order is the page's


def test_a_sellers_orders_of_every_status_use_their_index_without_a_sort(
    sqlite_url: str,
) -> None:
    plan = plan_of(sqlite_url, "seller", None)
    assert "ix_orders_seller (seller_id=?)" in plan and "TEMP B-TREE" not in plan, plan


def test_without_a_role_both_sides_are_searched_by_index(sqlite_url: str) -> None:
    plan = plan_of(sqlite_url, None, None)
    assert "MULTI-INDEX OR" in plan and "SCAN orders" not in plan, plan


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A database of its own: the past orders take order numbers others' tests would have."""
    with fresh_postgres() as url:
        yield url


def test_on_postgresql_a_buyers_page_is_read_from_the_index_without_an_or(
    empty_postgres: str,
) -> None:
    """20,000 past orders (bench/open_orders_data.py), analysed: a buyer's page is read from
    their index alone, never a BitmapOr of the buyer and seller indexes."""
    postgres_url = empty_postgres
    cast = Cast(
        [f"plan-buyer-{i}" for i in range(10)],
        [f"plan-seller-{i}" for i in range(5)],
        [f"past-buyer-{i}" for i in range(100)],
        [f"past-seller-{i}" for i in range(20)],
    )
    write_past_orders(postgres_url, cast, 20_000, seed=7)
    engine = get_engine(postgres_url, False)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE orders")
    for role in ("buyer", "seller"):
        plan = pg_plan_of(postgres_url, Viewer(f"plan-{role}-0", False), role)
        assert "BitmapOr" not in plan and "Index" in plan, plan


def pg_plan_of(url: str, viewer: Viewer, role: str) -> str:
    return explained(url, "EXPLAIN", list_query(url, viewer, role, None), 0)
