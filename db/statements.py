"""Statements built once, for the writes every order step makes.

A statement built per call costs SQLAlchemy its construction and its cache key each time (a
quarter of a step's CPU in `bench.steps`); one built once and run with new parameters costs
neither. They are Core statements on the tables: the session runs them without the ORM's
bookkeeping (it still autoflushes before them).
"""

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def table_of(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The INSERT of the session's dialect, which has ON CONFLICT (both speak it)."""
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


class PerDialect:
    """A statement whose SQL differs by dialect (their INSERTs' ON CONFLICT), built once for
    each from the dialect's INSERT construct."""

    def __init__(self, build: Callable[[Callable[..., Any]], Any]) -> None:
        self._build = build
        self._built: dict[str, Any] = {}

    def __call__(self, session: Session) -> Any:
        dialect = session.get_bind().dialect.name
        statement = self._built.get(dialect)
        if statement is None:
            statement = self._build(dialect_insert(session))
            # Two threads may both build it first: the same statement, either is kept.
            self._built[dialect] = statement
        return statement


def insert_ignoring(table: Table, *returning: str) -> PerDialect:
    """INSERT … ON CONFLICT DO NOTHING [RETURNING columns] into `table`: a row that would
    break a unique index is not written, and a concurrent writer of the same row is waited
    for. Run it with the row (or rows) as parameters."""

    def build(insert: Callable[..., Any]) -> Any:
        statement = insert(table).on_conflict_do_nothing()
        if returning:
            statement = statement.returning(*(table.c[name] for name in returning))
        return statement

    return PerDialect(build)
