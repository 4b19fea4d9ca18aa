"""WebhookDeliveryWorkflow (`webhook-{delivery id}`): one event to one endpoint, started from
the outbox once the transition that emitted it committed. The engine retries the POST with
exponential backoff for up to three days, then the delivery is `failed`; the order never waits
on it, and each endpoint's deliveries are workflows of their own."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.step_options import DB_RETRY, STEP_TIMEOUT

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from domain.outbox_contracts import OutboxRef
    from domain.webhooks import RETRY_DAYS

GIVE_UP_AFTER = timedelta(days=RETRY_DAYS)
# The POST's own timeout is 10 s; the attempt's records around it fit in the rest.
ATTEMPT_TIMEOUT = timedelta(seconds=15)
DEFAULT_MAX_INTERVAL = timedelta(hours=1)


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, job: OutboxRef) -> str:
        workflow.set_current_details(f"webhook delivery {job.ref}")
        try:
            status: str = await workflow.execute_activity_method(
                WebhookActivities.deliver_webhook,
                job.ref,
                start_to_close_timeout=ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=GIVE_UP_AFTER,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    backoff_coefficient=2.0,
                    maximum_interval=job.retry_max_interval or DEFAULT_MAX_INTERVAL,
                ),
            )
            return status
        except ActivityError as error:
            workflow.logger.warning("webhook delivery %s given up: %s", job.ref, error.cause)
        given_up: str = await workflow.execute_activity_method(
            WebhookActivities.give_up_webhook,
            job.ref,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        return given_up
