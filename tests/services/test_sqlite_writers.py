"""The in-process queue of SQLite writers (db/sqlite_writers.py): a write transaction holds
its file's turn from BEGIN to COMMIT or ROLLBACK, readers never take it, writers of many
threads take turns without losing an update, and a writer that waits too long is told so."""

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from db import sqlite_writers
from db.engine import session_scope


def _queue(url: str) -> threading.Lock:
    queue = sqlite_writers._queue_of(url.removeprefix("sqlite:///"))
    assert queue is not None
    return queue


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    with session_scope(url) as session:
        session.execute(text("CREATE TABLE tally (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO tally (id, n) VALUES (1, 0)"))
    return url


def test_a_write_transaction_holds_the_turn_until_it_commits(url: str) -> None:
    with session_scope(url) as session:
        session.execute(text("UPDATE tally SET n = n + 1"))
        assert _queue(url).locked()
    assert not _queue(url).locked()


def test_a_write_transaction_that_fails_gives_the_turn_back(url: str) -> None:
    with pytest.raises(RuntimeError), session_scope(url) as session:
        session.execute(text("UPDATE tally SET n = n + 1"))
        raise RuntimeError("the step failed")
    assert not _queue(url).locked()
    with session_scope(url, read_only=True) as session:
        assert session.execute(text("SELECT n FROM tally")).scalar_one() == 0


def test_a_reader_never_takes_the_turn(url: str) -> None:
    with session_scope(url) as writer:
        writer.execute(text("UPDATE tally SET n = 5"))
        with session_scope(url, read_only=True) as reader:
            # WAL: the reader sees the last commit, and does not wait for the writer.
            assert reader.execute(text("SELECT n FROM tally")).scalar_one() == 0
    assert not _queue(url).locked()


def test_writers_of_many_threads_take_turns_and_lose_no_update(url: str) -> None:
    threads, rounds = 8, 25
    inside, most_inside, guard = 0, 0, threading.Lock()
    failures: list[BaseException] = []

    def add_one_at_a_time() -> None:
        nonlocal inside, most_inside
        try:
            for _ in range(rounds):
                with session_scope(url) as session:
                    # Read, then write what was read plus one: a lost update would show.
                    n = session.execute(text("SELECT n FROM tally")).scalar_one()
                    with guard:  # the transaction began with its first statement
                        inside += 1
                        most_inside = max(most_inside, inside)
                    session.execute(text("UPDATE tally SET n = :n"), {"n": n + 1})
                    with guard:
                        inside -= 1
        except BaseException as error:  # reported below, with the thread's failure
            failures.append(error)

    workers = [threading.Thread(target=add_one_at_a_time) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert most_inside == 1
    with session_scope(url, read_only=True) as session:
        assert session.execute(text("SELECT n FROM tally")).scalar_one() == threads * rounds


def test_a_writer_that_waits_too_long_is_told_the_database_is_locked(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writers, "WAIT_S", 0.05)
    holding, release = threading.Event(), threading.Event()

    def hold_the_turn() -> None:
        with session_scope(url) as session:
            session.execute(text("UPDATE tally SET n = 1"))
            holding.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_the_turn)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        with (
            pytest.raises((sqlite3.OperationalError, exc.OperationalError), match="locked"),
            session_scope(url) as session,
        ):
            session.execute(text("UPDATE tally SET n = 2"))
    finally:
        release.set()
        holder.join()
    with session_scope(url) as session:
        session.execute(text("UPDATE tally SET n = n + 10"))
    with session_scope(url, read_only=True) as session:
        assert session.execute(text("SELECT n FROM tally")).scalar_one() == 11
