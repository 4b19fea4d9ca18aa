import ast
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from tests.support import binary, register_search_attributes

# CPython 3.11 builds Python AST objects with interpreter-wide state (gh-106905): two threads in
# `ast.parse` at once can fail with "SystemError: AST constructor recursion depth mismatch". The
# fuzzing thread (Hypothesis describing its strategies) and the main thread (pytest rewriting a
# module's asserts) did, so the tests parse one at a time.
_parse, _parsing = ast.parse, threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):  # type: ignore[no-untyped-def]
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time

# A server where tests may create and drop their own database.
PG_ADMIN = os.environ.get(
    "ORDER_ENGINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# CI sets this: there, a PostgreSQL test that cannot connect fails instead of skipping.
PG_REQUIRED = os.environ.get("ORDER_ENGINE_TEST_POSTGRES_REQUIRED") == "1"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    yield url


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards; skips if none is reachable."""
    name = f"order_engine_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if PG_REQUIRED:
            raise
        pytest.skip(f"PostgreSQL is not reachable ({error}); CI requires it")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        url = f"{base}/{name}"
        upgrade(url)
        try:
            yield url
        finally:
            from db.engine import get_engine

            get_engine(url).dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The database-layer tests' PostgreSQL database, one for the session."""
    with fresh_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a database-layer test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        sqlite = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(sqlite)
        return sqlite
    postgres: str = request.getfixturevalue("postgres_url")
    return postgres


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=binary("temporal-test-server"),
    )
    async with env:
        await register_search_attributes(env.client)
        yield env
