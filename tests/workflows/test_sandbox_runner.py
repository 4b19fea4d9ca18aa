"""The worker's sandbox runner compiles the SDK's code strings once; it must still be the
SDK's sandbox: a workflow that reads the wall clock fails its task and never completes."""

import asyncio
import uuid
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support import binary
from tests.workflows.clock_reader import ClockReader
from worker import SandboxRunner


async def _first_task_failure(handle: WorkflowHandle[Any, Any]) -> Failure:
    # The time-skipping server does not long-poll a history: it is read again until the
    # failed task is in it (or the workflow ended, which would be the defect).
    for _ in range(400):
        history = await handle.fetch_history()
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                return event.workflow_task_failed_event_attributes.failure
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
                raise AssertionError("the workflow read the wall clock and completed")
        await asyncio.sleep(0.05)
    raise AssertionError("no workflow task failed within 20 s")


async def test_the_sandbox_still_refuses_the_wall_clock() -> None:
    # A server of its own: a workflow whose task fails stops the shared server's time skipping.
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server")
    )
    queue = f"sandbox-{uuid.uuid4().hex}"
    async with (
        env,
        Worker(
            env.client, task_queue=queue, workflows=[ClockReader], workflow_runner=SandboxRunner()
        ),
    ):
        # By name: mypy 2.4 mis-solves the client's overloads for the whole run after a typed
        # workflow method without an argument.
        handle = await env.client.start_workflow(
            "ClockReader", id=f"clock-{uuid.uuid4().hex}", task_queue=queue
        )
        failure = await _first_task_failure(handle)
        await handle.terminate()
    assert failure.application_failure_info.type == "RestrictedWorkflowAccessError"
    assert "datetime.datetime.now" in failure.message
