"""Where an order's time goes inside Temporal, read back from workflow histories: how long
workflow and activity tasks wait for a worker (queue) and how long they run (run), and how
long each update takes from acceptance (the admitted update: from the start) to its result."""

import asyncio
from collections.abc import Iterable
from datetime import datetime

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

E = EventType
FETCH_CONCURRENCY = 8


def at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime()


def ms(start: HistoryEvent, end: HistoryEvent) -> float:
    return (at(end) - at(start)).total_seconds() * 1000


def durations(events: list[HistoryEvent]) -> Iterable[tuple[str, float]]:
    """(step, milliseconds) for every task and update in one history."""
    by_id = {event.event_id: event for event in events}
    for event in events:
        kind = event.event_type
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            done = event.workflow_task_completed_event_attributes
            started, scheduled = by_id[done.started_event_id], by_id[done.scheduled_event_id]
            yield "workflow task queue", ms(scheduled, started)
            yield "workflow task run", ms(started, event)
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done_a = event.activity_task_completed_event_attributes
            scheduled = by_id[done_a.scheduled_event_id]
            name = scheduled.activity_task_scheduled_event_attributes.activity_type.name
            started = by_id[done_a.started_event_id]
            yield f"activity {name} queue", ms(scheduled, started)
            yield f"activity {name} run", ms(started, event)
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            accepted = by_id[
                event.workflow_execution_update_completed_event_attributes.accepted_event_id
            ]
            update = accepted.workflow_execution_update_accepted_event_attributes
            name = update.accepted_request.input.name
            origin = events[0] if name == "admitted" else accepted
            yield f"update {name}", ms(origin, event)


async def history_steps(client: Client, workflow_ids: list[str]) -> dict[str, list[float]]:
    steps: dict[str, list[float]] = {}
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def read(workflow_id: str) -> None:
        async with gate:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        events = list(history.events)
        # Not a duration: the history's length, held against the twin's (issue 13).
        steps.setdefault("history events", []).append(float(len(events)))
        for step, value in durations(events):
            steps.setdefault(step, []).append(value)

    await asyncio.gather(*(read(workflow_id) for workflow_id in workflow_ids))
    return steps


def sample(items: list[str], size: int) -> list[str]:
    """Evenly spread over the run, so the start and the end both count."""
    if size <= 0 or not items:
        return []
    stride = max(1, len(items) // size)
    return items[::stride][:size]
