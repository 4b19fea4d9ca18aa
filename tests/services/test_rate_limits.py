"""The fixed-window counter behind the payment rate limit, on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from db.engine import session_scope
from services.rate_limits import hit

MINUTE = timedelta(minutes=1)


def test_the_limit_holds_within_a_window_and_resets_after(database_url: str) -> None:
    key = f"payment:{uuid.uuid4()}"
    start = datetime(2026, 11, 26, 12, 0, 10, tzinfo=UTC)
    with session_scope(database_url) as session:
        answers = [hit(session, key, start + timedelta(seconds=i), MINUTE, 3) for i in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == 47.0  # the window ends at 12:01:00, hit at 12:00:13
    with session_scope(database_url) as session:
        assert hit(session, key, start + MINUTE, MINUTE, 3) is None
        assert hit(session, f"other-{key}", start, MINUTE, 3) is None


def test_a_window_ends_exactly_on_its_boundary(database_url: str) -> None:
    """The last instant of a window still counts there; the next starts a fresh count."""
    key = f"payment:{uuid.uuid4()}"
    boundary = datetime(2026, 12, 31, 23, 59, 0, tzinfo=UTC)
    last = boundary - timedelta(microseconds=1)
    with session_scope(database_url) as session:
        assert hit(session, key, last, MINUTE, 1) is None
        # limited, with a microsecond left (timestamps are floats: to within a tenth of one)
        assert hit(session, key, last, MINUTE, 1) == pytest.approx(1e-06, abs=1e-07)
        assert hit(session, key, boundary, MINUTE, 1) is None
        assert hit(session, key, boundary + MINUTE - timedelta(seconds=1), MINUTE, 1) == 1.0
