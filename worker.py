"""The worker: runs the order, top-up and payout workflows and their activities. Start as
many as the load needs."""

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import lru_cache
from types import CodeType
from typing import Any, cast

import uvloop
from temporalio.client import Client
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

from activities.gateway import GatewayActivities
from activities.mail import MailActivities
from activities.orders import OrderActivities
from activities.outbox import Dispatcher, OutboxActivities
from activities.refunds import RefundActivities
from activities.wallets import PayoutRailActivities, WalletActivities
from activities.webhooks import WebhookActivities
from config import Settings, get_settings, settle_collector
from db.migrate import upgrade
from services.gateways import build_gateway
from services.payout_rails import build_payout_rail
from workflows.client import connect, schedule_outbox_sweeper
from workflows.mail import MailWorkflow
from workflows.order import OrderWorkflow
from workflows.outbox_sweep import OutboxSweepWorkflow
from workflows.payout import PayoutWorkflow
from workflows.refund import RefundWorkflow
from workflows.topup import TopUpWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow

ACTIVITY_THREADS = 32
log = logging.getLogger("order_engine.worker")


def activities_of(*providers: object) -> list[Callable[..., Any]]:
    """Every @activity.defn method of these objects: a new activity is registered by being
    written, not by being listed again here."""
    return [
        getattr(provider, name)
        for provider in providers
        for name in dir(type(provider))
        if not name.startswith("_")
        and hasattr(getattr(type(provider), name), "__temporal_activity_definition")
    ]


@lru_cache(maxsize=64)
def _compiled(code: str) -> CodeType:
    return compile(code, "<sandbox>", "exec")


class _CompiledCodeInstance(_Instance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        super()._run_code(cast(str, _compiled(code)), **extra_globals)


class SandboxRunner(SandboxedWorkflowRunner):
    """The SDK's sandbox, unchanged but for one cost: it runs every activation (and every
    payload's serialization context) as a short code string that `exec` compiled anew each
    time, some 300 times per order. The strings are a handful of fixed templates: compiled
    once here. Restrictions and isolation are the SDK's own (temporalio pinned in pyproject;
    `_Instance` is private, so an upgrade checks this class first)."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _CompiledCodeInstance(det, self.runner_class, self.restrictions)


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """Built inside the running event loop that will run it (the outbox starts workflows on it)."""
    url = settings.database_url
    outbox = Dispatcher(
        client,
        asyncio.get_running_loop(),
        settings.task_queue,
        url,
        mail=bool(settings.smtp_url),
        mail_retry_max_interval=settings.mail_retry_max_interval,
    )
    orders = OrderActivities(url, outbox)
    gateway = GatewayActivities(build_gateway(settings))
    wallets = WalletActivities(url, outbox)
    rail = PayoutRailActivities(build_payout_rail(url))
    refunds = RefundActivities(url, outbox)
    mailer = MailActivities(url, settings.smtp_url, settings.smtp_from)
    webhooks = WebhookActivities(url, settings.jwt_secret, settings.webhook_allow_loopback)
    sweeper = OutboxActivities(outbox)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[
            OrderWorkflow,
            RefundWorkflow,
            TopUpWorkflow,
            PayoutWorkflow,
            MailWorkflow,
            WebhookDeliveryWorkflow,
            OutboxSweepWorkflow,
        ],
        activities=activities_of(
            orders, gateway, wallets, rail, refunds, mailer, webhooks, sweeper
        ),
        workflow_runner=SandboxRunner(),
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        max_cached_workflows=settings.worker_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    upgrade(settings.database_url)
    client = await connect(settings)
    await schedule_outbox_sweeper(client, settings.task_queue, settings.outbox_sweep_every)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(client, settings, executor)
        settle_collector()
        async with worker:
            log.info(
                "worker polling task queue %s at %s", settings.task_queue, settings.temporal_address
            )
            await stop.wait()
            log.info("shutting down: letting running activities finish")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    uvloop.run(run_worker())
