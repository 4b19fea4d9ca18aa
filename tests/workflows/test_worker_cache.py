"""ORDER_ENGINE_WORKER_CACHED_WORKFLOWS sizes the worker's sticky cache (bench/README.md: 0.23-0.3
MiB per workflow kept; a step of a workflow not kept replays its history first)."""

import inspect
from concurrent.futures import ThreadPoolExecutor

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from config import Settings
from worker import ACTIVITY_THREADS, build_worker


async def test_the_worker_keeps_as_many_workflows_as_the_setting_says(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    settings = Settings(database_url=sqlite_url, worker_cached_workflows=10_000)
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        worker = build_worker(time_env.client, settings, executor)
    assert worker.config()["max_cached_workflows"] == 10_000


def test_by_default_it_keeps_as_many_as_the_sdk_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDER_ENGINE_WORKER_CACHED_WORKFLOWS", raising=False)
    sdk_default = inspect.signature(Worker.__init__).parameters["max_cached_workflows"].default
    assert Settings(_env_file=None).worker_cached_workflows == sdk_default == 1000
