"""Running the synchronous services from async routes, off the event loop."""

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from db.engine import session_scope

T = TypeVar("T")


async def in_transaction(url: str, work: Callable[[Session], T]) -> T:
    """One transaction in a worker thread; the Temporal client stays on the event loop."""

    def run() -> T:
        with session_scope(url) as session:
            return work(session)

    return await asyncio.to_thread(run)
