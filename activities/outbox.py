"""Starting the workflows that a committed transaction asked for (services/outbox.py).

Activities run in threads; the Temporal client lives on the worker's event loop, so a start is
handed to that loop. The step that queued a row starts it after its commit, with a short
deadline; a start that fails or hangs is only logged (the step's work is committed and must not
be retried for it), and the sweeper (`sweep_outbox`, run by a Temporal schedule) starts every row
left behind, a crash between a commit and its start included.
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
from db.types import utcnow
from domain.outbox_contracts import OutboxRef
from services import outbox

WORKFLOW_OF_KIND = {"mail": "MailWorkflow", "webhook": "WebhookDeliveryWorkflow"}
# The step that queued rows waits this long for their starts, then leaves them to the sweeper.
START_TIMEOUT_SECONDS = 5.0
# The sweeper leaves younger rows to the step that queued them.
SWEEP_AFTER = timedelta(seconds=10)
log = logging.getLogger("order_engine.outbox")
Item = tuple[str, str, str]


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

    def start_from_thread(self, items: list[Item]) -> None:
        """From an activity's thread, after its commit: never raises (the sweeper catches up)."""
        done = asyncio.run_coroutine_threadsafe(self.start_all(items), self._loop)
        try:
            done.result(START_TIMEOUT_SECONDS)
        except Exception as error:
            done.cancel()
            log.warning("outbox: %d start(s) left to the sweeper: %r", len(items), error)

    async def start_all(self, items: list[Item]) -> None:
        for workflow_id, kind, ref in items:
            await self._start(workflow_id, kind, ref)
        ids = [workflow_id for workflow_id, _, _ in items]
        await asyncio.to_thread(self._forget, ids)

    async def sweep(self) -> int:
        """Start every row its own step left behind; how many there were."""
        items = await asyncio.to_thread(self._left_behind)
        if items:
            await self.start_all(items)
        return len(items)

    def _left_behind(self) -> list[Item]:
        with session_scope(self._url, read_only=True) as session:
            return outbox.left_behind(session, utcnow() - SWEEP_AFTER)

    def _forget(self, ids: list[str]) -> None:
        with session_scope(self._url) as session:
            outbox.started(session, ids)

    async def _start(self, workflow_id: str, kind: str, ref: str) -> None:
        retry = self._mail_retry if kind == "mail" else None
        # Already started: by a retried step, the sweeper, or another worker.
        with suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                WORKFLOW_OF_KIND[kind],
                OutboxRef(ref=ref, retry_max_interval=retry),
                id=workflow_id,
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )


class OutboxActivities:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    @activity.defn
    async def sweep_outbox(self) -> int:
        return await self._dispatcher.sweep()


@contextmanager
def transaction(url: str, dispatcher: Dispatcher | None) -> Iterator[Session]:
    """One activity's transaction; what it queued in the outbox is started once it commits."""
    with session_scope(url) as session:
        session.info[outbox.MAIL_ON] = dispatcher is not None and dispatcher.mail
        yield session
        items = outbox.queued(session)
    if dispatcher is not None and items:
        dispatcher.start_from_thread(items)


class DatabaseActivities:
    """Activities whose every call is one transaction of the read model and the money."""

    def __init__(self, database_url: str, dispatcher: Dispatcher | None = None) -> None:
        self._url = database_url
        self._dispatcher = dispatcher

    def _tx(self) -> AbstractContextManager[Session]:
        return transaction(self._url, self._dispatcher)
