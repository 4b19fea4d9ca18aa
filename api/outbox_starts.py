"""Starting, from a request, the workflows its committed transaction queued (an email of a
notification the API wrote); what cannot start now is left to the outbox's sweeper."""

import asyncio
import logging

from temporalio.client import Client

from activities.outbox import START_TIMEOUT_SECONDS, Dispatcher, Item
from config import Settings

log = logging.getLogger("order_engine.outbox")


async def start_after_commit(client: Client, settings: Settings, items: list[Item]) -> None:
    if not items:
        return
    dispatcher = Dispatcher(
        client,
        asyncio.get_running_loop(),
        settings.task_queue,
        settings.database_url,
        mail=bool(settings.smtp_url),
        mail_retry_max_interval=settings.mail_retry_max_interval,
    )
    try:
        await asyncio.wait_for(dispatcher.start_all(items), START_TIMEOUT_SECONDS)
    except Exception as error:  # the request's work is committed; the sweeper starts them
        log.warning("outbox: %d start(s) left to the sweeper: %r", len(items), error)
