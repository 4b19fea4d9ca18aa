"""The app in process (httpx over ASGI, no server, no lifespan) on a SQLite file, with a fake
Temporal client that records what the routes ask of it and answers as each test tells it."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.auth import issue_token
from config import Settings

SECRET = "api-tests-secret-0123456789abcdef0123"
HANG = object()  # a reply that makes the fake engine never answer


class FakeHandle:
    def __init__(self, engine: "FakeEngine", workflow_id: str) -> None:
        self.engine, self.workflow_id = engine, workflow_id

    async def execute_update(
        self, update: Any, arg: Any = None, id: str | None = None, **_options: Any
    ) -> Any:
        return await self.engine.answer(self.workflow_id, update, arg, id)

    async def start_update(self, update: Any, arg: Any = None, **kwargs: Any) -> Any:
        result = await self.engine.answer(self.workflow_id, update, arg, kwargs.get("id"))

        class Started:
            async def result(self) -> Any:
                return result

        return Started()


@dataclass
class FakeEngine:
    """Stands in for the Temporal client; `reply` decides each answer (default: hang)."""

    calls: list[tuple[str, str, Any, str | None]] = field(default_factory=list)
    reply: Callable[[str, Any], Any] | None = None
    # The workflows started with an update (their ids, policies and summaries).
    starts: list[Any] = field(default_factory=list)

    async def answer(self, workflow_id: str, update: Any, arg: Any, update_id: str | None) -> Any:
        name = getattr(update, "__name__", str(update))
        self.calls.append((workflow_id, name, arg, update_id))
        answer = HANG if self.reply is None else self.reply(name, arg)
        if answer is HANG:
            await asyncio.Event().wait()  # an engine that never answers
        return answer

    def get_workflow_handle(self, workflow_id: str) -> FakeHandle:
        return FakeHandle(self, workflow_id)

    async def start_workflow(self, workflow: Any, arg: Any, **kwargs: Any) -> None:
        """A workflow started without an update (an invoice's email): recorded, never run."""
        self.starts.append(SimpleNamespace(workflow=workflow, args=[arg], **kwargs))

    async def execute_update_with_start_workflow(self, update: Any, **kwargs: Any) -> Any:
        start = kwargs["start_workflow_operation"]._start_workflow_input
        self.starts.append(start)
        return await self.answer(start.id, update, start.args[0], None)


@dataclass
class Api:
    settings: Settings
    engine: FakeEngine
    app: Any

    def client(self, sub: str | None = None, *roles: str) -> httpx.AsyncClient:
        headers = {}
        if sub is not None:
            headers["Authorization"] = f"Bearer {issue_token(SECRET, sub, list(roles))}"
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)


@pytest.fixture
def make_api(sqlite_url: str) -> Callable[..., Api]:
    def build(**overrides: Any) -> Api:
        settings = Settings(database_url=sqlite_url, jwt_secret=SECRET, **overrides)
        app = create_app(settings)
        engine = FakeEngine()
        app.state.temporal = engine
        return Api(settings, engine, app)

    return build


@pytest.fixture
async def api(make_api: Callable[..., Api]) -> AsyncIterator[Api]:
    yield make_api()
