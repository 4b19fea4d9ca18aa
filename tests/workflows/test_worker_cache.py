"""ORDER_ENGINE_WORKER_CACHED_WORKFLOWS sizes the worker's sticky cache (bench/README.md: ~0.3
MiB per workflow kept; a step of a workflow not kept replays its history first)."""

from concurrent.futures import ThreadPoolExecutor

from temporalio.testing import WorkflowEnvironment

from config import Settings
from worker import ACTIVITY_THREADS, build_worker


async def test_the_worker_keeps_as_many_workflows_as_the_setting_says(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    settings = Settings(database_url=sqlite_url, worker_cached_workflows=10_000)
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        worker = build_worker(time_env.client, settings, executor)
    assert worker.config()["max_cached_workflows"] == 10_000


def test_by_default_it_keeps_the_sdk_default_of_a_thousand() -> None:
    assert Settings().worker_cached_workflows == 1000
