"""The whole stack for end-to-end tests: a real Temporal dev server, a worker and the API over
TCP, on a SQLite file (`stack`) or a PostgreSQL database (`pg_stack`). Started once per session;
each test makes its own users (`party`, `each_party`) and listings."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import issue_token
from cli import DEV_SERVER_TUNING
from config import Settings
from db.migrate import upgrade
from services import rate_limits
from tests.conftest import fresh_postgres
from tests.support import binary
from worker import build_worker
from workflows.search_attributes import ALL

SECRET = "e2e-secret-0123456789abcdef0123456789"
WEBHOOK_SECRET = "whsec_e2e_0123456789abcdef"


@dataclass
class Stack:
    base_url: str
    settings: Settings
    env: WorkflowEnvironment

    def token(self, sub: str, *roles: str) -> str:
        return issue_token(SECRET, sub, list(roles))

    def client(self, sub: str | None = None, *roles: str) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token(sub, *roles)}"} if sub else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Short, so that a delivered order reaches its payout (and its workflow its end) within a test.
ESCROW_HOLD = timedelta(seconds=2)


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=binary("temporal"),
        search_attributes=ALL,
        dev_server_extra_args=list(DEV_SERVER_TUNING),
    )
    async with env:
        yield env


@asynccontextmanager
async def running_stack(
    dev_env: WorkflowEnvironment, database_url: str, **overrides: Any
) -> AsyncIterator[Stack]:
    """A worker and the API on `database_url` (migrated here), with a task queue of their own;
    `overrides` are settings (fault injection, a gateway, short windows)."""
    port = free_port()
    settings = Settings(
        database_url=database_url,
        temporal_address=dev_env.client.service_client.config.target_host,
        task_queue=f"e2e-{uuid.uuid4().hex[:8]}",
        jwt_secret=SECRET,
        stripe_webhook_secret=WEBHOOK_SECRET,
        api_port=port,
        **{"escrow_hold": ESCROW_HOLD, **overrides},
    )
    upgrade(settings.database_url)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    )
    with ThreadPoolExecutor(max_workers=32) as executor:
        async with build_worker(dev_env.client, settings, executor):
            serving = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
                await asyncio.sleep(0.05)
            yield Stack(f"http://127.0.0.1:{port}", settings, dev_env)
            server.should_exit = True
            await serving


@pytest.fixture(scope="session")
async def stack(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    db_file: Path = tmp_path_factory.mktemp("e2e") / "orders.db"
    async with running_stack(dev_env, f"sqlite:///{db_file}") as built:
        yield built


@pytest.fixture(scope="session")
async def pg_stack(dev_env: WorkflowEnvironment) -> AsyncIterator[Stack]:
    """The same stack on PostgreSQL, the production database (skipped where none is reachable,
    except in CI)."""
    with fresh_postgres() as url:
        async with running_stack(dev_env, url) as built:
            yield built


@pytest.fixture(params=["sqlite", "postgres"])
def each_stack(request: pytest.FixtureRequest) -> Stack:
    """Runs a money test once on each database."""
    built: Stack = request.getfixturevalue("pg_stack" if request.param == "postgres" else "stack")
    return built


class Party:
    """The people of one test on one stack, with ids no other test has (so that no one else's
    orders, keys or limits are theirs): a seller and a buyer, an admin, and a stranger (buyer and
    seller roles, party to nothing). Each one's client is made on first use; every client made
    here is closed with the party."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.suffix = uuid.uuid4().hex[:8]
        self.seller_id = f"seller-{self.suffix}"
        self.buyer_id = f"buyer-{self.suffix}"
        self.admin_id = f"admin-{self.suffix}"
        self.stranger_id = f"stranger-{self.suffix}"
        self._clients: list[httpx.AsyncClient] = []

    def _client(self, sub: str, *roles: str) -> httpx.AsyncClient:
        client = self.stack.client(sub, *roles)
        self._clients.append(client)
        return client

    def another(self, name: str, *roles: str) -> httpx.AsyncClient:
        """A client for one more user of this party, `<name>-<suffix>`."""
        return self._client(f"{name}-{self.suffix}", *roles)

    @cached_property
    def seller(self) -> httpx.AsyncClient:
        return self._client(self.seller_id, "seller")

    @cached_property
    def buyer(self) -> httpx.AsyncClient:
        return self._client(self.buyer_id, "buyer")

    @cached_property
    def admin(self) -> httpx.AsyncClient:
        return self._client(self.admin_id, "admin")

    @cached_property
    def stranger(self) -> httpx.AsyncClient:
        return self._client(self.stranger_id, "buyer", "seller")

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))


@asynccontextmanager
async def party_on(stack: Stack) -> AsyncIterator[Party]:
    """A `Party` on any stack (`pg_stack`, a test's own), its clients closed on leaving."""
    party = Party(stack)
    try:
        yield party
    finally:
        await party.aclose()


@pytest.fixture
async def party(stack: Stack) -> AsyncIterator[Party]:
    """A fresh party on the SQLite stack."""
    async with party_on(stack) as opened:
        yield opened


@pytest.fixture
async def each_party(each_stack: Stack) -> AsyncIterator[Party]:
    """A fresh party on each database in turn (`each_party.stack` says which)."""
    async with party_on(each_stack) as opened:
        yield opened


@dataclass
class RateClock:
    """The instant the API's rate-limit windows see: fixed, so that no window ends mid-test."""

    now: datetime


@pytest.fixture
def rate_clock(monkeypatch: pytest.MonkeyPatch) -> RateClock:
    """Freezes the clock of every rate limit in this (in-process) API at 30 s into a minute; a
    test moves it by hand. The windows are fixed, so a real clock crossing a minute mid-test
    would reset the count and make the proof depend on when it runs."""
    clock = RateClock(datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC))
    real = rate_limits.hit

    def hit(
        session: Session, key: str, now: datetime, window: timedelta, limit: int
    ) -> float | None:
        return real(session, key, clock.now, window, limit)

    monkeypatch.setattr(rate_limits, "hit", hit)
    return clock
