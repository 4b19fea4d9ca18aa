"""The outbox (services/outbox.py, activities/outbox.py): a step starts the workflows it queued
once it has committed, and nothing else; a start that hangs or fails never fails the committed
step; whatever a step left behind (a worker killed between its commit and its starts) is started
by the sweeper."""

import asyncio
import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from temporalio import activity, workflow
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

import activities.outbox as outbox_activities
from activities.orders import OrderActivities
from activities.outbox import Dispatcher
from db.engine import session_scope
from db.tables import Invoice, OutboxItem
from db.types import utcnow
from tests.services.outbox_helpers import RecordingClient, transfer_asked

# A local step re-run after its workflow task was lost is attempt 1 again: the step cannot know
# that it ran before, which is why rows left behind are the sweeper's.
SEEN_ATTEMPTS: list[int] = []
DIED: list[bool] = []


@activity.defn
def probe_step() -> int:
    SEEN_ATTEMPTS.append(activity.info().attempt)
    return activity.info().attempt


@workflow.defn(sandboxed=False)
class DiesAfterLocalStep:
    @workflow.run
    async def run(self) -> int:
        attempt: int = await workflow.execute_local_activity(
            probe_step, start_to_close_timeout=timedelta(seconds=10)
        )
        if not DIED:
            DIED.append(True)
            # The worker "dies" after the local step ran and before its task completed.
            raise RuntimeError("worker lost after the local activity committed")
        return attempt


async def test_premise_a_local_step_rerun_after_a_lost_workflow_task_is_attempt_1(
    time_env: WorkflowEnvironment,
) -> None:
    """Not a defect by itself: the fact the outbox's healing relies on does not hold."""
    queue = f"premise-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[DiesAfterLocalStep],
        activities=[probe_step],
        activity_executor=ThreadPoolExecutor(2),
    ):
        # By name: mypy 2.4, meeting the typed call of a workflow without arguments, solves the
        # client's overloads wrongly for every later get_workflow_handle_for of the run.
        result = await time_env.client.execute_workflow(
            "DiesAfterLocalStep", id=f"premise-{uuid.uuid4()}", task_queue=queue, result_type=int
        )
    # The local step ran twice, both times as attempt 1: it cannot tell that it ran before.
    assert SEEN_ATTEMPTS == [1, 1] and result == 1


class HangsOnEveryStart:
    """Temporal that never answers a start."""

    async def start_workflow(self, workflow: Any, arg: Any, **kwargs: Any) -> None:
        await asyncio.Event().wait()


def step_env() -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, is_local=True, attempt=1)
    return env


def outbox_ids(url: str) -> set[str]:
    with session_scope(url) as session:
        return {row.id for row in session.scalars(select(OutboxItem))}


def invoice_mail_id(url: str, order_id: str) -> str:
    with session_scope(url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        return f"mail-invoice:{invoice.id}:issued"


async def test_a_step_starts_what_it_queued_and_nothing_else(sqlite_url: str) -> None:
    other = f"mail-notification:{uuid.uuid4()}"
    with session_scope(sqlite_url) as session:
        session.add(OutboxItem(id=other, kind="mail", ref=other[5:], created_at=utcnow()))
    client = RecordingClient()
    dispatcher = Dispatcher(client, asyncio.get_running_loop(), "q", sqlite_url, mail=True)  # type: ignore[arg-type]
    steps = OrderActivities(sqlite_url, dispatcher)
    attempt, request, order_id = transfer_asked(sqlite_url)
    await asyncio.to_thread(step_env().run, steps.begin_payment_attempt, attempt)
    await asyncio.to_thread(step_env().run, steps.request_bank_transfer, request)
    mail = invoice_mail_id(sqlite_url, order_id)
    # Its invoice's email and its buyer's notification; another order's row is not its own.
    assert mail in client.started and other not in client.started
    assert all(i.startswith("mail-") for i in client.started)
    assert outbox_ids(sqlite_url) == {other}


async def test_a_start_that_hangs_never_fails_the_committed_step(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_activities, "START_TIMEOUT_SECONDS", 0.2)  # 5 s in production
    client = HangsOnEveryStart()
    dispatcher = Dispatcher(client, asyncio.get_running_loop(), "q", sqlite_url, mail=True)  # type: ignore[arg-type]
    steps = OrderActivities(sqlite_url, dispatcher)
    attempt, request, order_id = transfer_asked(sqlite_url)
    await asyncio.to_thread(step_env().run, steps.begin_payment_attempt, attempt)
    await asyncio.to_thread(step_env().run, steps.request_bank_transfer, request)
    # The step is done (the invoice sent); its email waits in the outbox for the sweeper.
    with session_scope(sqlite_url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        assert invoice.status == "sent"
    assert invoice_mail_id(sqlite_url, order_id) in outbox_ids(sqlite_url)


class WorkerKilled(BaseException):
    """The process dies: nothing after this point runs."""


class DiesBeforeItsStarts(Dispatcher):
    """The worker is killed between the step's commit and its starts, once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.killed = False

    def start_from_thread(self, items: list[tuple[str, str, str]]) -> None:
        if not self.killed:
            self.killed = True
            raise WorkerKilled()
        super().start_from_thread(items)


async def test_what_a_killed_worker_left_behind_is_started_by_the_sweeper(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RecordingClient()
    dispatcher = DiesBeforeItsStarts(client, asyncio.get_running_loop(), "q", sqlite_url, mail=True)  # type: ignore[arg-type]
    steps = OrderActivities(sqlite_url, dispatcher)
    attempt, request, order_id = transfer_asked(sqlite_url)
    await asyncio.to_thread(step_env().run, steps.begin_payment_attempt, attempt)
    with pytest.raises(WorkerKilled):
        await asyncio.to_thread(step_env().run, steps.request_bank_transfer, request)
    # The next workflow task runs the step again, as attempt 1: it is idempotent, queues nothing.
    await asyncio.to_thread(step_env().run, steps.request_bank_transfer, request)
    mail = invoice_mail_id(sqlite_url, order_id)
    assert client.started == [] and mail in outbox_ids(sqlite_url)

    # Young rows are their step's; once older than SWEEP_AFTER they are the sweeper's.
    assert await dispatcher.sweep() == 0
    with session_scope(sqlite_url) as session:
        session.execute(
            update(OutboxItem).values(created_at=utcnow() - outbox_activities.SWEEP_AFTER * 2)
        )
    assert await dispatcher.sweep() == len(client.started) >= 2
    assert mail in client.started and outbox_ids(sqlite_url) == set()
