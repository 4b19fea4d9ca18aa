"""Starting the workflows that a committed transaction asked for (services/outbox.py).

Activities run in threads; the Temporal client lives on the worker's event loop, so a start is
handed to that loop. A crash between the commit and the start is healed by the retry of the
activity (the engine retries it; its second attempt flushes whatever is still queued).
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import timedelta

from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from db.engine import session_scope
from domain.outbox_contracts import OutboxRef
from services import outbox

WORKFLOW_OF_KIND = {"mail": "MailWorkflow", "webhook": "WebhookDeliveryWorkflow"}
START_TIMEOUT_SECONDS = 30
log = logging.getLogger("order_engine.outbox")


class Dispatcher:
    def __init__(
        self,
        client: Client,
        loop: asyncio.AbstractEventLoop,
        task_queue: str,
        database_url: str,
        mail: bool,
        mail_retry_max_interval: timedelta | None = None,
    ) -> None:
        self._client = client
        self._loop = loop
        self._task_queue = task_queue
        self._url = database_url
        self.mail = mail
        self._mail_retry = mail_retry_max_interval

    def flush(self) -> None:
        """Start every queued workflow (from an activity's thread), then forget the rows."""
        with session_scope(self._url, read_only=True) as session:
            items = [(i.id, i.kind, i.ref) for i in outbox.pending(session)]
        if not items:
            return
        for workflow_id, kind, ref in items:
            start = self._start(workflow_id, kind, ref)
            asyncio.run_coroutine_threadsafe(start, self._loop).result(START_TIMEOUT_SECONDS)
        with session_scope(self._url) as session:
            outbox.started(session, [workflow_id for workflow_id, _, _ in items])

    async def _start(self, workflow_id: str, kind: str, ref: str) -> None:
        retry = self._mail_retry if kind == "mail" else None
        # Already started: by a retried activity, or by another worker flushing the same rows.
        with suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                WORKFLOW_OF_KIND[kind],
                OutboxRef(ref=ref, retry_max_interval=retry),
                id=workflow_id,
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )


@contextmanager
def transaction(url: str, dispatcher: Dispatcher | None) -> Iterator[Session]:
    """One activity's transaction; what it queued in the outbox is started once it commits."""
    with session_scope(url) as session:
        session.info[outbox.MAIL_ON] = dispatcher is not None and dispatcher.mail
        yield session
        queued = bool(session.info.get(outbox.QUEUED))
    if dispatcher is not None and (queued or _retried()):
        dispatcher.flush()


def _retried() -> bool:
    try:
        return activity.info().attempt > 1
    except RuntimeError:  # not inside an activity (a test calling the code directly)
        return False


class DatabaseActivities:
    """Activities whose every call is one transaction of the read model and the money."""

    def __init__(self, database_url: str, dispatcher: Dispatcher | None = None) -> None:
        self._url = database_url
        self._dispatcher = dispatcher

    def _tx(self) -> AbstractContextManager[Session]:
        return transaction(self._url, self._dispatcher)
