"""Engines and sessions. SQLite gets WAL, a busy timeout and write-locking transactions."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _prepare_sqlite(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN is deferred; a deferred writer that meets another writer fails
        # at once instead of waiting, so transactions are begun by hand below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


@lru_cache(maxsize=16)
def get_engine(url: str, read_only: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if read_only:
            return get_engine(url)
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    # Readers take no lock up front: under WAL they never wait for the writer.
    _prepare_sqlite(engine, "BEGIN" if read_only else "BEGIN IMMEDIATE")
    return engine


@lru_cache(maxsize=16)
def _session_factory(url: str, read_only: bool) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url, read_only), expire_on_commit=False)


@contextmanager
def session_scope(url: str, read_only: bool = False) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises.

    `read_only` is a promise of the caller: on SQLite it skips the write lock.
    """
    with _session_factory(url, read_only).begin() as session:
        yield session


@contextmanager
def connection_scope(url: str) -> Iterator[Connection]:
    """A read-only transaction on a Core connection: for reads made of statements on the
    tables, without an ORM session around them (a third of a short read's CPU)."""
    with get_engine(url, True).begin() as connection:
        yield connection
