"""Running the synchronous services from async routes, off the event loop."""

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from db.engine import connection_scope, session_scope

T = TypeVar("T")


async def in_transaction(url: str, work: Callable[[Session], T]) -> T:
    """One transaction in a worker thread; the Temporal client stays on the event loop."""
    return await asyncio.to_thread(_run, url, work, False)


async def reading(url: str, work: Callable[[Session], T]) -> T:
    """A transaction that only reads: on SQLite it does not wait for writers."""
    return await asyncio.to_thread(_run, url, work, True)


async def reading_rows(url: str, work: Callable[[Connection], T]) -> T:
    """`reading` for work made of Core statements only: a connection, no ORM session."""
    return await asyncio.to_thread(_rows, url, work)


def _rows(url: str, work: Callable[[Connection], T]) -> T:
    with connection_scope(url) as connection:
        return work(connection)


def _run(url: str, work: Callable[[Session], T], read_only: bool) -> T:
    with session_scope(url, read_only) as session:
        return work(session)
