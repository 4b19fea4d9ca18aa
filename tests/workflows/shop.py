"""Drives OrderWorkflow on the time-skipping server with the real activities, and reads the rows."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment

from config import Settings
from db.engine import session_scope
from db.tables import (
    Base,
    Invoice,
    LedgerAccount,
    Listing,
    Notification,
    Order,
    OrderEvent,
    Payment,
    SandboxOperation,
)
from domain.contracts import (
    Admission,
    CancelCommand,
    DeliverCommand,
    OrderResult,
    PayCommand,
    PaymentOutcome,
    ShipCommand,
)
from domain.ledger import LedgerCheck
from services import ledger, ledger_queries
from tests.support import order_input
from worker import ACTIVITY_THREADS, build_worker
from workflows.order import OrderWorkflow

BUYER = "buyer-1"
SELLER = "seller-1"
Handle = WorkflowHandle[OrderWorkflow, OrderResult]
Role = Literal["buyer", "seller", "admin", "system"]


@dataclass
class Purchase:
    """One started order: its workflow handle, its id and what admission answered."""

    handle: Handle
    order_id: str
    admission: Admission

    async def pay(self, token: str = "tok_visa", payment_id: str | None = None) -> PaymentOutcome:
        command = PayCommand(
            payment_id=payment_id or str(uuid.uuid4()),
            payment_method="credit_card",
            card_token=token,
            actor=BUYER,
        )
        return await self.handle.execute_update(OrderWorkflow.pay, command)

    async def pay_from_wallet(self, payment_id: str) -> PaymentOutcome:
        command = PayCommand(payment_id=payment_id, payment_method="wallet", actor=BUYER)
        return await self.handle.execute_update(OrderWorkflow.pay, command)

    async def ship(self) -> str:
        command = ShipCommand(tracking_number="1Z999", carrier="UPS", actor=SELLER)
        return await self.handle.execute_update(OrderWorkflow.ship, command)

    async def deliver(self) -> str:
        return await self.handle.execute_update(OrderWorkflow.deliver, DeliverCommand(actor=BUYER))

    async def cancel(self, role: Role = "buyer") -> str:
        command = CancelCommand(reason="changed_mind", actor=BUYER, role=role)
        return await self.handle.execute_update(OrderWorkflow.cancel, command)


@dataclass
class Shop:
    env: WorkflowEnvironment
    settings: Settings
    started: list[Handle] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.settings.database_url

    async def start(
        self, listing_id: str, buyer_id: str = BUYER, discount_code: str | None = None
    ) -> Purchase:
        params = order_input(listing_id, buyer_id=buyer_id, settings=self.settings)
        if discount_code is not None:
            order = params.order.model_copy(update={"discount_code": discount_code})
            params = params.model_copy(update={"order": order})
        order_id = params.order.order_id
        handle = await self.env.client.start_workflow(
            OrderWorkflow.run,
            params,
            id=f"order-{order_id}",
            task_queue=self.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
        self.started.append(handle)
        admission = await handle.execute_update(OrderWorkflow.admitted)
        return Purchase(handle, order_id, admission)

    async def stop_leftovers(self) -> None:
        """Orders a test leaves open would otherwise fire their timers in later tests.

        Each is first let settle: the test server never gives back the time-skipping lock of an
        activity still in flight when its workflow is terminated (temporalio/sdk-java#1138), and
        every later timer in the session would then wait in real time.
        """
        for handle in self.started:
            if await settled(handle) == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test finished")


async def settled(handle: Handle) -> WorkflowExecutionStatus | None:
    """The workflow's status once no activity or workflow task of it is in flight (or 5 s)."""
    for _ in range(50):
        described = await handle.describe()
        raw = described.raw_description
        busy = raw.pending_activities or raw.HasField("pending_workflow_task")
        if described.status != WorkflowExecutionStatus.RUNNING or not busy:
            break
        await asyncio.sleep(0.1)
    return described.status


@asynccontextmanager
async def open_shop(
    env: WorkflowEnvironment, database_url: str, **overrides: Any
) -> AsyncIterator[Shop]:
    """A worker with the real activities on its own task queue, against `database_url`."""
    settings = Settings(
        database_url=database_url, task_queue=f"orders-{uuid.uuid4().hex[:12]}", **overrides
    )
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        async with build_worker(env.client, settings, executor):
            shop = Shop(env, settings)
            try:
                yield shop
            finally:
                await shop.stop_leftovers()


# Reading the rows back


def order_row(url: str, order_id: str) -> Order | None:
    with session_scope(url) as session:
        return session.get(Order, order_id)


def the_order(url: str, order_id: str) -> Order:
    order = order_row(url, order_id)
    assert order is not None, f"no order row for {order_id}"
    return order


def listing_row(url: str, listing_id: str) -> Listing:
    with session_scope(url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None
        return listing


def invoice_of(url: str, order_id: str) -> Invoice:
    with session_scope(url) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.order_id == order_id)).one()
        return invoice


def payments_of(url: str, order_id: str) -> list[Payment]:
    with session_scope(url) as session:
        return list(session.scalars(select(Payment).where(Payment.order_id == order_id)))


def notifications_of(url: str, user_id: str, kind: str) -> list[Notification]:
    with session_scope(url) as session:
        query = select(Notification).where(
            Notification.user_id == user_id, Notification.kind == kind
        )
        return list(session.scalars(query))


async def eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    """Until `check()` holds: a row the worker writes a moment after the engine moved on."""
    for _ in range(int(seconds * 20)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def timeline(url: str, order_id: str) -> list[OrderEvent]:
    with session_scope(url) as session:
        query = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        return list(session.scalars(query))


def gateway_book(url: str, kind: str | None = None) -> list[SandboxOperation]:
    with session_scope(url) as session:
        query = select(SandboxOperation)
        if kind is not None:
            query = query.where(SandboxOperation.kind == kind)
        return list(session.scalars(query))


def account(url: str, kind: str, user_id: str | None = None) -> LedgerAccount | None:
    """A ledger account (a user's wallet when `user_id` is given), None if never used."""
    with session_scope(url) as session:
        query = select(LedgerAccount).where(
            LedgerAccount.kind == kind,
            LedgerAccount.user_id.is_(None)
            if user_id is None
            else LedgerAccount.user_id == user_id,
        )
        return session.scalars(query).one_or_none()


def fund_wallet(url: str, user_id: str, amount: str, key: str) -> None:
    """Money into a user's wallet, as an admin's adjustment would put it there."""
    with session_scope(url) as session:
        wallet = ledger.wallet(session, user_id, "USD")
        source = ledger.platform_account(session, "adjustments", "USD")
        ledger.post(session, key, source.id, wallet.id, Decimal(amount), "USD", "test funds")


def ledger_check(url: str) -> LedgerCheck:
    with session_scope(url) as session:
        return ledger_queries.check(session)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused command changed nothing."""
    with session_scope(url) as session:
        return {
            table.name: [tuple(row) for row in session.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }
