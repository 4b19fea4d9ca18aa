"""kill -9 of the worker in the middle of the seller's payout: after a restart the seller is
credited once and the platform's fee taken once (issue 8's proof, on PostgreSQL).

The test holds the platform-fees account's row lock, so the payout's transaction stops after
it has moved the seller's share and before the fee; the worker is killed there, its transaction
dies with its connection, and a new worker runs the payout again."""

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
from db.tables import LedgerAccount, LedgerTransfer
from domain.contracts import DeliverCommand, NewOrder, PayCommand, ShipCommand
from services import ledger, ledger_queries
from tests.conftest import fresh_postgres
from tests.e2e.test_worker_crash import until, worker_process
from tests.support import ADDRESS, make_listing
from workflows.order import OrderWorkflow

SELLER_SHARE, FEE = Decimal("1447.80"), Decimal("76.20")  # 1524.00 less 5 %


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def fees_account_locked(url: str) -> Iterator[psycopg.Connection]:
    """The fees account exists and this connection holds its row lock until the block ends."""
    with session_scope(url) as session:
        ledger.platform_account(session, "fees", "USD")
    with psycopg.connect(plain(url)) as holder:
        holder.execute("SELECT id FROM ledger_accounts WHERE kind = 'fees' FOR UPDATE")
        yield holder
        holder.rollback()


def waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(plain(url), autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ).fetchone()
    return row is not None and row[0] > 0


def wallet_balance(url: str, user_id: str) -> Decimal:
    with session_scope(url) as session:
        found = session.scalars(
            select(LedgerAccount.balance).where(LedgerAccount.user_id == user_id)
        ).one_or_none()
    return Decimal("0.00") if found is None else found


async def test_kill_during_the_payout_credits_the_seller_once(dev_env: WorkflowEnvironment) -> None:
    with fresh_postgres() as url:
        settings = Settings(
            database_url=url,
            task_queue=f"payout-crash-{uuid.uuid4().hex[:8]}",
            temporal_address=dev_env.client.service_client.config.target_host,
            escrow_hold=timedelta(seconds=1),
        )
        new = NewOrder(
            order_id=str(uuid.uuid4()),
            buyer_id="buyer-payout",
            listing_id=make_listing(url, seller_id="seller-payout"),
            quantity=1,
            shipping_address=ADDRESS,
            tax_rate=settings.tax_rate,
        )
        handle = dev_env.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{new.order_id}")
        with worker_process(settings) as doomed:
            await order_flow.start_order(dev_env.client, settings, new)
            pay = PayCommand(
                payment_id=str(uuid.uuid4()),
                payment_method="credit_card",
                card_token="tok_visa",
                actor=new.buyer_id,
            )
            assert (await handle.execute_update(OrderWorkflow.pay, pay)).status == "completed"
            ship = ShipCommand(tracking_number="1Z", actor="seller-payout")
            await handle.execute_update(OrderWorkflow.ship, ship)
            with fees_account_locked(url):
                deliver = DeliverCommand(actor=new.buyer_id)
                await handle.execute_update(OrderWorkflow.deliver, deliver)
                # The hold is over and the payout's transaction waits on the fee's row.
                await until(lambda: waiting_on_a_lock(url), seconds=30)
                doomed.kill()
                doomed.wait(timeout=10)
            # The killed transaction moved nothing that stayed.
            await until(lambda: not waiting_on_a_lock(url), seconds=30)
            assert wallet_balance(url, "seller-payout") == Decimal("0.00")
        with worker_process(settings):
            result = await handle.result(rpc_timeout=timedelta(seconds=90))
        assert result.status == "delivered"
        assert wallet_balance(url, "seller-payout") == SELLER_SHARE
        with session_scope(url) as session:
            keys = session.scalars(
                select(LedgerTransfer.key).where(LedgerTransfer.order_id == new.order_id)
            ).all()
            fees = ledger.platform_account(session, "fees", "USD").balance
            check = ledger_queries.check(session)
        assert sorted(keys) == sorted(
            f"order:{new.order_id}:{step}" for step in ("escrow", "payout", "fee")
        )
        assert fees == FEE
        assert check.balanced, check.drift
