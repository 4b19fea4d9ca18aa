"""The one Temporal client every process builds (API, worker, CLI, tests): same address,
namespace and data converter, so Decimal stays Decimal end to end (DESIGN.md, rule 2)."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.contrib.pydantic import pydantic_data_converter

from config import Settings


async def connect(settings: Settings, lazy: bool = False) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        lazy=lazy,
    )


async def schedule_outbox_sweeper(client: Client, task_queue: str, every: timedelta) -> None:
    """The Temporal schedule that runs OutboxSweepWorkflow (workflows/outbox_sweep.py) on the
    task queue; made by the first worker that starts, kept by the others."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            "OutboxSweepWorkflow", id=f"outbox-sweep-{task_queue}", task_queue=task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(f"outbox-sweeper-{task_queue}", schedule)
    except ScheduleAlreadyRunningError:
        return  # another worker made it
