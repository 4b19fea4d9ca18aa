"""The worker: runs OrderWorkflow and its activities. Start as many as the load needs."""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.gateway import GatewayActivities
from activities.orders import OrderActivities
from config import Settings, get_settings
from db.migrate import upgrade
from services.gateways import build_gateway
from workflows.order import OrderWorkflow

ACTIVITY_THREADS = 32
log = logging.getLogger("order_engine.worker")


async def connect(settings: Settings, lazy: bool = False) -> Client:
    """The one way every process builds its client: same address, namespace and converter."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        lazy=lazy,
    )


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    orders = OrderActivities(settings.database_url)
    gateway = GatewayActivities(build_gateway(settings))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[OrderWorkflow],
        activities=[
            orders.admit_order,
            orders.begin_payment_attempt,
            orders.request_bank_transfer,
            orders.complete_payment,
            orders.note_unknown_outcome,
            orders.record_gateway_event,
            orders.fail_payment,
            orders.record_transition,
            orders.cancel_order,
            orders.note_cancel_requested,
            orders.settle_refund,
            orders.alert_admins,
            gateway.charge,
            gateway.find_charge,
            gateway.refund,
            gateway.find_refund,
        ],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def run_worker(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    upgrade(settings.database_url)
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(client, settings, executor)
        async with worker:
            log.info(
                "worker polling task queue %s at %s", settings.task_queue, settings.temporal_address
            )
            await stop.wait()
            log.info("shutting down: letting running activities finish")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run_worker())
