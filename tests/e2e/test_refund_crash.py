"""kill -9 of the worker during the gateway refund: after a restart the refund is made once
(issue 9's proof, on PostgreSQL).

The test holds the charge's row in the sandbox gateway's book, which a refund locks before it
books itself, so the refund's call stops inside the gateway; the worker is killed there, its
transaction dies with its connection, and the engine retries the call on a new worker under
the same idempotency key."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import psycopg
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api import order_flow
from config import Settings
from db.engine import session_scope
from db.tables import Refund, SandboxOperation
from domain.contracts import NewOrder, PayCommand
from domain.refund_contracts import ApproveCommand, RefundAsk
from services import ledger_queries
from tests.conftest import fresh_postgres
from tests.e2e.test_payout_crash import plain, waiting_on_a_lock
from tests.e2e.test_worker_crash import until, worker_process
from tests.support import ADDRESS, make_listing
from workflows.order import OrderWorkflow
from workflows.refund import RefundWorkflow


@contextmanager
def charge_locked(url: str, transaction_id: str) -> Iterator[None]:
    with psycopg.connect(plain(url)) as holder:
        holder.execute(
            "SELECT 1 FROM sandbox_operations WHERE transaction_id = %s FOR UPDATE",
            (transaction_id,),
        )
        yield
        holder.rollback()


async def test_kill_during_the_gateway_refund_refunds_once(dev_env: WorkflowEnvironment) -> None:
    with fresh_postgres() as url:
        settings = Settings(
            database_url=url,
            task_queue=f"refund-crash-{uuid.uuid4().hex[:8]}",
            temporal_address=dev_env.client.service_client.config.target_host,
            gateway_timeout=timedelta(seconds=3),
        )
        new = NewOrder(
            order_id=str(uuid.uuid4()),
            buyer_id="buyer-refund",
            listing_id=make_listing(url),
            quantity=1,
            shipping_address=ADDRESS,
            tax_rate=settings.tax_rate,
        )
        order = dev_env.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{new.order_id}")
        ask = RefundAsk(
            refund_id=str(uuid.uuid4()),
            reason="damaged",
            description="dent",
            amount=Decimal("500.00"),
            actor=new.buyer_id,
        )
        with worker_process(settings) as doomed:
            await order_flow.start_order(dev_env.client, settings, new)
            pay = PayCommand(
                payment_id=str(uuid.uuid4()),
                payment_method="credit_card",
                card_token="tok_visa",
                actor=new.buyer_id,
            )
            assert (await order.execute_update(OrderWorkflow.pay, pay)).status == "completed"
            with session_scope(url) as session:
                charge = session.scalars(
                    select(SandboxOperation).where(SandboxOperation.kind == "charge")
                ).one()
            opened = await order.execute_update(OrderWorkflow.request_refund, ask)
            refund = dev_env.client.get_workflow_handle_for(RefundWorkflow.run, opened.workflow_id)
            with charge_locked(url, charge.transaction_id or ""):
                await refund.execute_update(RefundWorkflow.approve, ApproveCommand(actor="admin"))
                # The refund's call waits inside the gateway, on the charge's row.
                await until(lambda: waiting_on_a_lock(url), seconds=30)
                doomed.kill()
                doomed.wait(timeout=10)
            await until(lambda: not waiting_on_a_lock(url), seconds=30)
        with worker_process(settings):
            assert await refund.result(rpc_timeout=timedelta(seconds=90)) == "completed"
            await order.terminate("the test is over")
        with session_scope(url) as session:
            booked = session.scalars(
                select(SandboxOperation).where(SandboxOperation.kind == "refund")
            ).all()
            row = session.get(Refund, ask.refund_id)
            check = ledger_queries.check(session)
        assert [(op.idempotency_key, op.amount, op.calls) for op in booked] == [
            (f"refund-{ask.refund_id}", Decimal("500.00"), 1)
        ]
        assert row is not None and (row.status, row.gateway_refund_id) == (
            "completed",
            booked[0].transaction_id,
        )
        assert check.balanced, check.drift
