"""Migration 0006 goes down and up again on both databases, triggers and function included."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from db.engine import get_engine
from db.migrate import alembic_config, upgrade
from tests.conftest import fresh_postgres

LEDGER = {"ledger_accounts", "ledger_transfers", "ledger_entries"}


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test alone: going down would break the session's shared one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'down.db'}"
        upgrade(url)
        yield url
    else:
        with fresh_postgres() as url:
            yield url


def _triggers(url: str) -> set[str]:
    engine = get_engine(url)
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text(sql))}


def test_the_ledger_goes_down_and_up_again(own_database: str) -> None:
    config = alembic_config(own_database)
    assert len(_triggers(own_database)) == 4
    command.downgrade(config, "0005")
    get_engine(own_database).dispose()
    assert not LEDGER & set(inspect(get_engine(own_database)).get_table_names())
    assert _triggers(own_database) == set()
    upgrade(own_database)
    get_engine(own_database).dispose()
    assert set(inspect(get_engine(own_database)).get_table_names()) >= LEDGER
    assert len(_triggers(own_database)) == 4
