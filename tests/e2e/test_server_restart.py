"""Restart the (file-backed) Temporal dev server while orders wait: all of them go on after."""

import asyncio
import subprocess
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from temporalio.service import RPCError

from api import order_flow
from cli import DEV_SERVER_TUNING
from config import Settings
from db.engine import session_scope
from db.migrate import upgrade
from db.tables import Order
from domain.contracts import NewOrder, PayCommand, ShipCommand
from tests.e2e.conftest import free_port
from tests.support import ADDRESS, binary, make_listing
from worker import build_worker
from workflows.client import connect
from workflows.order import OrderWorkflow
from workflows.search_attributes import cli_flags

T = TypeVar("T")


@contextmanager
def dev_server(db_file: Path, port: int) -> Iterator[None]:
    process = subprocess.Popen(
        [
            binary("temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--db-filename",
            str(db_file),
            "--log-level",
            "error",
            *DEV_SERVER_TUNING,
            *cli_flags(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


async def retrying(call: Callable[[], Awaitable[T]], seconds: float = 60) -> T:
    """The server is coming back: ask again until it answers."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await call()
        except (RPCError, RuntimeError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def status_of(url: str, order_id: str) -> str:
    with session_scope(url) as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.status


async def test_orders_go_on_after_a_server_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade(url)
    port = free_port()
    settings = Settings(
        database_url=url, temporal_address=f"127.0.0.1:{port}", task_queue="restart"
    )
    orders = [
        NewOrder(
            order_id=str(uuid.uuid4()),
            buyer_id="buyer-r",
            listing_id=make_listing(url),
            quantity=1,
            shipping_address=ADDRESS,
            tax_rate=settings.tax_rate,
        )
        for _ in range(2)
    ]
    unpaid, paid = orders
    with dev_server(tmp_path / "temporal.db", port):
        client = await retrying(lambda: connect(settings))
        with ThreadPoolExecutor(max_workers=32) as executor:
            async with build_worker(client, settings, executor):
                for new in orders:
                    await order_flow.start_order(client, settings, new)
                await order_flow.pay(
                    client,
                    settings,
                    f"order-{paid.order_id}",
                    PayCommand(
                        payment_id=str(uuid.uuid4()),
                        payment_method="credit_card",
                        card_token="tok_visa",
                        actor="buyer-r",
                    ),
                )
                assert [status_of(url, o.order_id) for o in orders] == ["pending", "confirmed"]
    # The server is down, the orders wait; the same file brings them back.
    with dev_server(tmp_path / "temporal.db", port):
        client = await retrying(lambda: connect(settings))
        with ThreadPoolExecutor(max_workers=32) as executor:
            async with build_worker(client, settings, executor):
                pay_handle = client.get_workflow_handle(f"order-{unpaid.order_id}")
                ship_handle = client.get_workflow_handle(f"order-{paid.order_id}")
                paid_now = await retrying(
                    lambda: pay_handle.execute_update(
                        OrderWorkflow.pay,
                        PayCommand(
                            payment_id=str(uuid.uuid4()),
                            payment_method="credit_card",
                            card_token="tok_visa",
                            actor="buyer-r",
                        ),
                    )
                )
                assert paid_now.status == "completed"
                shipped = await retrying(
                    lambda: ship_handle.execute_update(
                        OrderWorkflow.ship, ShipCommand(tracking_number="1Z", actor="seller-1")
                    )
                )
                assert shipped == "shipped"
    assert [status_of(url, o.order_id) for o in orders] == ["confirmed", "shipped"]
