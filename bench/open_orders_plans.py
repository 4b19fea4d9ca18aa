"""The query plans of the order reads the bench times: the SQL that the endpoints' services
run is captured with an engine event, then explained on the same database (EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from db.engine import get_engine, session_scope
from services import order_queries
from services.order_queries import Viewer

# The indexes that would serve each list without a scan, a sort or rows thrown away: the
# equality columns first, then the keyset order (created_at, id) of services/pagination.py.
FIXES = {
    "list_buyer": "CREATE INDEX ix_orders_buyer_created_id ON orders (buyer_id, created_at, id);",
    "list_seller_confirmed": (
        "CREATE INDEX ix_orders_seller_status_created ON orders "
        "(seller_id, status, created_at, id);"
    ),
}
# Seen at 100,000 past orders: orders_of() adds `buyer_id = u OR seller_id = u` to the role's own
# `buyer_id = u`, PostgreSQL estimates the doubled condition at a few rows, reads all of the
# user's orders through a BitmapOr and sorts them; an index alone does not change that.
OR_NOTE = (
    "the visibility OR (orders_of) beside the role's own equality makes PostgreSQL read all of "
    "the user's orders (BitmapOr) and sort them; without it (role given) a buyer's list walks "
    "ix_orders_buyer backward and stops at the page (measured: 0.2 ms instead of 3.7)"
)
LIST_LIMIT = 50  # the endpoint's default page
BIG_FILTER = 1000  # rows removed by a filter above which the index is judged too coarse


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its DBAPI parameters) that the engine runs inside the block."""
    statements: list[tuple[str, Any]] = []

    def before(
        _conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _many: bool,
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def reads(buyer: str, seller: str, order: tuple[str, str]) -> dict[str, Callable[[Session], Any]]:
    """What GET /api/orders/?role=buyer, ?role=seller&status=confirmed and /{id}/ (`order`:
    its id and its buyer, who reads it) run."""

    def listing(viewer: Viewer, role: str, status: str | None) -> Callable[[Session], Any]:
        def read(session: Session) -> Any:
            return order_queries.list_orders(session, viewer, role, status, LIST_LIMIT, None)

        return read

    def detail(session: Session) -> Any:
        order_id, reader = order
        found = order_queries.visible_order_row(session, Viewer(reader, False), order_id)
        return order_queries.timeline(session, found.id) if found else None

    return {
        "list_buyer": listing(Viewer(buyer, False), "buyer", None),
        "list_seller_confirmed": listing(Viewer(seller, False), "seller", "confirmed"),
        "detail": detail,
    }


def explain_all(url: str, buyer: str, seller: str, order: tuple[str, str]) -> dict[str, Any]:
    engine = get_engine(url, True)  # positional: the cache key session_scope uses
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    result: dict[str, Any] = {}
    for name, read in reads(buyer, seller, order).items():
        with captured(engine) as statements, session_scope(url, read_only=True) as session:
            read(session)
        plans = []
        for statement, parameters in statements:
            lines = _explain(engine, statement, parameters, postgres)
            plans.append({"sql": " ".join(statement.split()), "plan": lines})
        result[name] = {"statements": plans, **_judge(name, plans, postgres)}
    return result


def _explain(engine: Engine, statement: str, parameters: Any, postgres: bool) -> list[str]:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).fetchall()
    if postgres:
        return [str(row[0]) for row in rows]
    # SQLite: (id, parent, notused, detail); indent each step under its parent.
    depth: dict[int, int] = {0: -1}
    lines = []
    for row in rows:
        depth[row[0]] = depth.get(row[1], -1) + 1
        lines.append("  " * depth[row[0]] + str(row[3]))
    return lines


def _judge(name: str, plans: list[dict[str, Any]], postgres: bool) -> dict[str, Any]:
    """Whether orders is read whole, sorted, or filtered after the index; the fix if so."""
    text = "\n".join(line for plan in plans for line in plan["plan"])
    if postgres:
        full_scan = bool(re.search(r"Seq Scan on orders", text))
        sort = bool(re.search(r"^\s*(->\s*)?(Incremental )?Sort\b", text, re.M))
        removed = [int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", text)]
        indexes = sorted(set(re.findall(r"Index (?:Only )?Scan(?: Backward)? using (\w+)", text)))
        indexes += sorted(set(re.findall(r"Bitmap Index Scan on (\w+)", text)))
        times = [float(t) for t in re.findall(r"Execution Time: ([\d.]+) ms", text)]
    else:
        full_scan = bool(re.search(r"^\s*SCAN orders\b", text, re.M))
        sort = "TEMP B-TREE" in text
        removed = []
        indexes = sorted(set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", text)))
        indexes += ["PRIMARY KEY"] if "PRIMARY KEY" in text else []
        times = []
    filtered = max(removed, default=0)
    verdict: dict[str, Any] = {
        "indexes_used": indexes,
        "full_scan_of_orders": full_scan,
        "sorts": sort and name in FIXES,
        "rows_removed_by_filter": filtered if postgres else None,
        "execution_ms": round(sum(times), 3) if times else None,
    }
    if postgres and "BitmapOr" in text and name in FIXES:
        verdict["note"] = OR_NOTE
    if name not in FIXES:  # the detail: a lookup by primary key, its timeline sorted by id
        return verdict
    if full_scan or sort or filtered > BIG_FILTER:
        verdict["would_fix"] = FIXES[name]
    return verdict


def short(line: str, width: int = 150) -> str:
    """Columns and long IN lists elided, so that a plan fits a terminal (the JSON has all)."""
    line = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", line)
    line = re.sub(r"IN \((%\(\w+\)s::VARCHAR, )+%\(\w+\)s::VARCHAR\)", "IN (…)", line)
    line = re.sub(r"IN \((\?, )+\?\)", "IN (…)", line)
    line = re.sub(r"'\{[^}]{60,}\}'", "'{…}'", line)
    return line if len(line) <= width else line[: width - 1] + "…"


def plan_lines(plans: dict[str, Any]) -> list[str]:
    """The plans as printed: each query's plan, then what it uses and what it lacks."""
    lines: list[str] = []
    for name, found in plans.items():
        lines.append(f"-- {name}: indexes {', '.join(found['indexes_used']) or 'none'}")
        for statement in found["statements"]:
            lines.append(f"   {short(statement['sql'])}")
            lines.extend(f"     {short(line)}" for line in statement["plan"])
        if found["full_scan_of_orders"]:
            lines.append("   !! a full scan of orders")
        if found["sorts"]:
            lines.append("   !! sorts the rows it found (the index does not give the page order)")
        if (found["rows_removed_by_filter"] or 0) > BIG_FILTER:
            lines.append(f"   !! {found['rows_removed_by_filter']} rows removed by a filter")
        if "note" in found:
            lines.append(f"   note: {found['note']}")
        if "would_fix" in found:
            lines.append(f"   fix: {found['would_fix']}")
    return lines
