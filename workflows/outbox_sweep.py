"""OutboxSweepWorkflow: run by a Temporal schedule, it starts the workflows (emails, webhook
deliveries) whose own step did not start them after its commit (a crashed worker, a start that
failed, a row written by an API request)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.outbox import OutboxActivities


@workflow.defn
class OutboxSweepWorkflow:
    @workflow.run
    async def run(self) -> int:
        started: int = await workflow.execute_activity_method(
            OutboxActivities.sweep_outbox,
            start_to_close_timeout=timedelta(minutes=2),
            # The next run of the schedule comes soon: no long retries here.
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        return started
