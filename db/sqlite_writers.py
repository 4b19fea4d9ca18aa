"""SQLite has one writer at a time. A writer that finds the lock taken waits in SQLite's busy
handler, which polls with sleeps growing to 100 ms: under load a transaction that could have
started at once sleeps on, and one write of a step waits a whole sleep for nothing (the
p99 of a payment's steps). Within a process, writers to a file queue here instead, on a lock
that hands over the moment the writer before commits; between processes (the API and the
worker) SQLite's own lock and busy handler still decide, so nothing about isolation changes.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

# As long as the busy timeout (db/engine.py): a writer that waits this long gets SQLite's own
# "database is locked", as it would have from the busy handler.
WAIT_S = 30.0

_QUEUES: dict[str, threading.Lock] = {}
_QUEUES_GUARD = threading.Lock()


def _queue_of(database: str) -> threading.Lock | None:
    if database in ("", ":memory:") or database.startswith("file:"):
        return None  # a private database per connection: no writer to wait for
    with _QUEUES_GUARD:
        return _QUEUES.setdefault(str(Path(database).resolve()), threading.Lock())


class QueuedWriterConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions take their turn in the file's queue."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._queue = _queue_of(str(database))
        self._holding = False

    def begin_writing(self, statement: str) -> None:
        if self._queue is not None:
            if not self._queue.acquire(timeout=WAIT_S):
                raise sqlite3.OperationalError("database is locked")
            self._holding = True
        try:
            self.execute(statement)
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            assert self._queue is not None
            self._queue.release()
