"""Writers of one process on one SQLite file: the queue of db/sqlite_writers.py against
SQLite's busy handler alone, with the same pragmas, threads and transactions.

    .venv/bin/python -m bench.sqlite_writers [--threads 16] [--transactions 60] [--rounds 2]

Each transaction writes a row, reads, and holds the GIL for a while inside (as an ORM step
does); the rounds alternate the two kinds so that a drift of the machine hits both.
"""

import argparse
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from db.engine import get_engine


def busy_handler_only(url: str) -> Engine:
    """db/engine.py's SQLite engine as it was before the queue: plain pysqlite connections."""
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def run(engine: Engine, threads: int, transactions: int) -> dict[str, float]:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    waits: list[float] = []

    def write() -> None:
        for _ in range(transactions):
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO t (v) VALUES (1)")
                connection.exec_driver_sql("SELECT count(*) FROM t WHERE v = 1").all()
                sum(range(20_000))  # ~0.3 ms of Python holding the GIL, as an ORM flush does
            waits.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=write) for _ in range(threads)]
    wall, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    waits.sort()
    return {
        "tx_per_s": len(waits) / wall,
        "cpu_ms_per_tx": cpu / len(waits) * 1000,
        "mean_ms": sum(waits) / len(waits),
        "p50_ms": waits[len(waits) // 2],
        "p99_ms": waits[int(len(waits) * 0.99)],
        "max_ms": waits[-1],
    }


KINDS: dict[str, Callable[[str], Engine]] = {
    "queue": get_engine,
    "busy handler": busy_handler_only,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--transactions", type=int, default=60, help="per thread")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{'':14}{'tx/s':>7}{'CPU ms/tx':>11}{'mean':>7}{'p50':>7}{'p99':>7}{'max ms':>8}")
    for _ in range(args.rounds):
        for name, build in KINDS.items():
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite:///{Path(folder) / 'writers.db'}"
                r = run(build(url), args.threads, args.transactions)
            print(
                f"{name:14}{r['tx_per_s']:7.0f}{r['cpu_ms_per_tx']:11.2f}{r['mean_ms']:7.1f}"
                f"{r['p50_ms']:7.1f}{r['p99_ms']:7.1f}{r['max_ms']:8.1f}"
            )
    print(f"sqlite {sqlite3.sqlite_version}, {args.threads} threads")


if __name__ == "__main__":
    main()
