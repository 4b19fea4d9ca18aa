"""WebhookDeliveryWorkflow on the time-skipping server with the real activity and a receiver
on loopback: retried with backoff until a 2xx; a receiver that always fails is given up after
3 days (`failed`, its last status kept); a refused address fails at once, never connecting."""

import uuid
from concurrent.futures import ThreadPoolExecutor

from temporalio.common import WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.webhooks import WebhookActivities
from domain.outbox_contracts import OutboxRef
from tests.services.test_webhook_delivery import MASTER, delivery, seed
from tests.webhook_receiver import receiving
from workflows.webhook_delivery import WebhookDeliveryWorkflow


async def deliver(env: WorkflowEnvironment, url: str, delivery_id: str, loopback: bool) -> str:
    queue = f"webhooks-{uuid.uuid4().hex[:8]}"
    activities = WebhookActivities(url, MASTER, loopback)
    with ThreadPoolExecutor(4) as executor:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[WebhookDeliveryWorkflow],
            activities=[activities.deliver_webhook, activities.give_up_webhook],
            activity_executor=executor,
        ):
            result: str = await env.client.execute_workflow(
                WebhookDeliveryWorkflow.run,
                OutboxRef(ref=delivery_id),
                id=f"webhook-{delivery_id}",
                task_queue=queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
    return result


async def test_retried_until_a_2xx(time_env: WorkflowEnvironment, sqlite_url: str) -> None:
    async with receiving(lambda n: 503 if n < 2 else 200) as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        assert await deliver(time_env, sqlite_url, delivery_id, True) == "succeeded"
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 3, 200)


async def test_given_up_after_three_days(time_env: WorkflowEnvironment, sqlite_url: str) -> None:
    async with receiving(lambda _n: 500) as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        assert await deliver(time_env, sqlite_url, delivery_id, True) == "failed"
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.last_status_code) == ("failed", 500)
    # 1 s, 2 s, 4 s, … capped at 1 h apart: about 80 tries in 3 days.
    assert 60 <= row.attempts <= 90
    assert len(receiver.received) == row.attempts


async def test_a_refused_address_fails_at_once(
    time_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    async with receiving() as receiver:
        delivery_id, _ = seed(sqlite_url, receiver.url)
        assert await deliver(time_env, sqlite_url, delivery_id, False) == "failed"
    assert receiver.received == []
    row = delivery(sqlite_url, delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error is not None and "loopback" in row.last_error
