"""MailWorkflow (`mail-{what}`): one email, sent by an activity the engine retries while the
mail server is down, for up to three days; the order that asked for it never waits on it."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from domain.outbox_contracts import OutboxRef

GIVE_UP_AFTER = timedelta(days=3)
DEFAULT_MAX_INTERVAL = timedelta(minutes=10)


@workflow.defn
class MailWorkflow:
    @workflow.run
    async def run(self, job: OutboxRef) -> str:
        workflow.set_current_details(f"email: {job.ref}")
        try:
            result: str = await workflow.execute_activity_method(
                MailActivities.send_mail,
                job,
                start_to_close_timeout=timedelta(minutes=1),
                schedule_to_close_timeout=GIVE_UP_AFTER,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    backoff_coefficient=2.0,
                    maximum_interval=job.retry_max_interval or DEFAULT_MAX_INTERVAL,
                ),
            )
        except ActivityError as error:
            workflow.logger.warning("email %s given up: %s", job.ref, error.cause)
            return "undeliverable"
        return result
