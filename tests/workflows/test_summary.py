"""Each order's workflow names its business object in the Temporal UI: its current details
(read by the UI and `temporal workflow describe` through the metadata query) once admission has
numbered the order, kept current on every transition."""

from temporalio.api.sdk.v1 import WorkflowMetadata

from tests.support import make_listing
from tests.workflows.shop import Handle, Shop, the_order


async def current_details(handle: Handle) -> str:
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
