"""The order row, its stock reservation and its workflow come into being together.

The API starts the workflow and waits for it to write the order; if the API gives up (or dies)
before that, the workflow still writes the order and reserves the stock once a worker runs it,
and it is that workflow which later releases the stock: nothing is ever held by nobody.
"""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from api import order_flow
from api.errors import ApiError
from config import Settings
from db.engine import session_scope
from db.migrate import upgrade
from db.tables import Listing, Order
from domain.contracts import NewOrder
from tests.support import ADDRESS, make_listing
from worker import build_worker
from workflows.order import OrderWorkflow


async def test_order_survives_the_api_giving_up(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        task_queue=f"late-{uuid.uuid4().hex[:8]}",
        payment_timeout=timedelta(seconds=3),
    )
    listing_id = make_listing(url, quantity=1)
    new = NewOrder(
        order_id=str(uuid.uuid4()),
        buyer_id="buyer-late",
        listing_id=listing_id,
        quantity=1,
        shipping_address=ADDRESS,
        tax_rate=settings.tax_rate,
    )
    monkeypatch.setattr(order_flow, "ADMISSION_WAIT", 0.5)

    with pytest.raises(ApiError) as gave_up:  # no worker polls this task queue yet
        await order_flow.start_order(dev_env.client, settings, new)
    assert gave_up.value.status == 503
    assert gave_up.value.details == {"order_id": new.order_id}
    with session_scope(url) as session:
        assert session.get(Order, new.order_id) is None
        assert session.get(Listing, listing_id).quantity_available == 1  # type: ignore[union-attr]

    handle = dev_env.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{new.order_id}")
    with ThreadPoolExecutor(max_workers=32) as executor:
        async with build_worker(dev_env.client, settings, executor):
            admission = await handle.execute_update(OrderWorkflow.admitted)
            assert admission.accepted
            with session_scope(url) as session:
                order = session.get(Order, new.order_id)
                assert order is not None and order.status == "pending"
                assert session.get(Listing, listing_id).quantity_available == 0  # type: ignore[union-attr]
            # Unpaid, the workflow's own timer cancels it and gives the car back.
            result = await handle.result()
    assert result.status == "cancelled"
    with session_scope(url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None and listing.quantity_available == 1
        assert session.get(Order, new.order_id).cancel_reason == "payment_timeout"  # type: ignore[union-attr]
