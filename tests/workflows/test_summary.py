"""Each order's workflow names its business object in the Temporal UI: its current details
(read by the UI and `temporal workflow describe` through the metadata query) once admission has
numbered the order, kept current on every transition."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle

from domain.contracts import Admission, CarriedState
from domain.order_states import OrderStatus
from tests.support import make_listing, order_input
from tests.workflows.shop import Shop, the_order
from workflows.order import OrderWorkflow


async def current_details(handle: WorkflowHandle[Any, Any]) -> str:
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details


async def test_the_details_name_the_order_its_total_and_its_item(shop: Shop) -> None:
    purchase = await shop.start(make_listing(shop.url, price="1499.00", fee="25.00"))
    number = the_order(shop.url, purchase.order_id).order_number
    assert number.startswith("ORD-")
    line = f"{number} · 1524.00 USD · 1998 Mazda MX-5"
    assert await current_details(purchase.handle) == f"{line}\n\nstatus: pending"

    await purchase.pay("tok_visa")
    assert await current_details(purchase.handle) == f"{line}\n\nstatus: confirmed"
    await purchase.ship()
    await purchase.deliver()
    await purchase.handle.result()
    assert await current_details(purchase.handle) == f"{line}\n\nstatus: delivered"


async def test_a_continued_run_names_the_order_too(shop: Shop) -> None:
    params = order_input(make_listing(shop.url), settings=shop.settings)
    admission = Admission(
        accepted=True,
        order_number="ORD-2026-000042",
        buyer_id="buyer-1",
        seller_id="seller-1",
        total_amount=Decimal("1524.00"),
        currency="USD",
        item_name="1998 Mazda MX-5",
    )
    carried = CarriedState(
        admission=admission,
        status=OrderStatus.SHIPPED,
        deadline=datetime(2100, 1, 1, tzinfo=UTC),
        attempts={},
    )
    handle = await shop.env.client.start_workflow(
        OrderWorkflow.run,
        params.model_copy(update={"carried": carried}),
        id=f"order-{params.order.order_id}",
        task_queue=shop.settings.task_queue,
    )
    try:
        line = "ORD-2026-000042 · 1524.00 USD · 1998 Mazda MX-5\n\nstatus: shipped"
        assert await current_details(handle) == line
    finally:
        await handle.terminate("test finished")
