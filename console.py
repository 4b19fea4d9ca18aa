"""What a newcomer or an operator runs against a running stack (`order-engine demo`,
`order-engine order ID`): plain HTTP to the API with tokens signed by the configured secret, and
the Temporal client for the workflow's own state."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.service import RPCError

from api.auth import issue_token
from config import Settings
from workflows.search_attributes import ALL

ADDRESS = {
    "name": "Demo Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
LISTING = {
    "listing_type": "car",
    "title": "1998 Mazda MX-5",
    "description": "Red, 120k km, one careful owner",
    "unit_price": "1499.00",
    "shipping_fee": "25.00",
    "quantity_available": 1,
}


def workflow_link(ui_url: str, namespace: str, workflow_id: str) -> str:
    return f"{ui_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"


class Api:
    """The API as one user sees it; an error answer ends the command with its envelope."""

    def __init__(self, settings: Settings, api_url: str, sub: str, *roles: str) -> None:
        token = issue_token(settings.jwt_secret, sub, list(roles), timedelta(hours=1))
        self._http = httpx.Client(
            base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=35
        )

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            answer = self._http.request(method, path, json=body)
        except httpx.TransportError as error:
            message = f"{method} {path}: the API does not answer ({error}); is `make run` up?"
            raise _fail(message) from error
        if answer.status_code >= 400:
            raise _fail(f"{method} {path} → {answer.status_code} {answer.text}")
        return answer.json()


def run_demo(settings: Settings, api_url: str, ui_url: str, console: Console) -> dict[str, Any]:
    """One whole purchase: a seller lists a car, a buyer orders and pays it by card, the seller
    ships it and the buyer takes delivery. Returns the delivered order."""
    run = uuid.uuid4().hex[:8]
    seller = Api(settings, api_url, f"demo-seller-{run}", "seller")
    buyer = Api(settings, api_url, f"demo-buyer-{run}", "buyer")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("listing a car", total=5)

        def step(done: str, then: str) -> None:
            console.print(f"[green]✓[/] {done}")
            progress.update(task, advance=1, description=then)

        listing = seller.call("POST", "/api/listings/", LISTING)
        step(f"listed {listing['title']} at {listing['unit_price']} {listing['currency']}", "order")
        order = buyer.call(
            "POST", "/api/orders/", {"listing_id": listing["id"], "shipping_address": ADDRESS}
        )
        step(
            f"ordered {order['order_number']}: {order['total_amount']} {order['currency']}",
            "paying by card",
        )
        payment = buyer.call(
            "POST",
            "/api/payments/",
            {"order_id": order["id"], "payment_method": "credit_card", "card_token": "tok_visa"},
        )
        step(f"paid by card (tok_visa): payment {payment['status']}", "shipping")
        path = f"/api/orders/{order['id']}"
        seller.call("POST", f"{path}/ship/", {"tracking_number": f"1Z{run}", "carrier": "UPS"})
        step(f"shipped with UPS, tracking 1Z{run}", "delivering")
        order = buyer.call("POST", f"{path}/deliver/")
        step(f"delivered: the order is {order['status']}", "done")
    link = workflow_link(ui_url, settings.temporal_namespace, order["workflow_id"])
    # Never wrapped: the ids, the link and the command are copied whole from any terminal width.
    console.print(
        f"\nOrder {order['order_number']} ({order['id']}) is {order['status']}.", soft_wrap=True
    )
    console.print(f"Its workflow in the Temporal UI: {link}", soft_wrap=True)
    console.print(f"More: order-engine order {order['id']}", soft_wrap=True)
    return order


def show_order(
    settings: Settings, api_url: str, ui_url: str, order_id: str, console: Console
) -> None:
    """An order as the API has it, its timeline, and its workflow's state as Temporal has it."""
    order = Api(settings, api_url, "order-engine-cli", "admin").call(
        "GET", f"/api/orders/{order_id}/"
    )
    fields = Table.grid(padding=(0, 2))
    for name in ("order_number", "status", "item_name", "quantity", "total_amount", "currency"):
        fields.add_row(name, str(order[name]))
    fields.add_row("buyer / seller", f"{order['buyer_id']} / {order['seller_id']}")
    payment = order.get("payment")
    fields.add_row(
        "payment", f"{payment['status']} ({payment['payment_method']})" if payment else "-"
    )
    deadline = order.get("deadline")
    fields.add_row("next deadline", f"{deadline['kind']} at {deadline['at']}" if deadline else "-")
    console.print(fields)
    timeline = Table("at", "event", "status", "actor", "note", title="timeline")
    for entry in order["timeline"]:
        timeline.add_row(
            entry["at"], entry["event"], entry["status"], entry["actor"], entry["note"] or ""
        )
    console.print(timeline)
    console.print(asyncio.run(_workflow_state(settings, order["workflow_id"])))
    link = workflow_link(ui_url, settings.temporal_namespace, order["workflow_id"])
    console.print(f"Temporal UI: {link}", soft_wrap=True)


async def _workflow_state(settings: Settings, workflow_id: str) -> Table:
    from workflows.client import connect

    handle = (await connect(settings)).get_workflow_handle(workflow_id)
    state = Table.grid(padding=(0, 2))
    state.add_row("workflow", workflow_id)
    try:
        description = await handle.describe()
    except RPCError as error:
        state.add_row("state", f"unknown to Temporal ({error.message})")
        return state
    state.add_row("execution", description.status.name if description.status else "?")
    state.add_row("summary", await description.static_summary() or "-")
    ours = {key.name for key in ALL}
    attributes = [f"{key.name}={value}" for key, value in description.typed_search_attributes]
    state.add_row("search attributes", ", ".join(a for a in attributes if a.split("=")[0] in ours))
    try:
        queried = await handle.query("status", result_type=str)
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    except Exception as error:  # no worker polling: describe still told the essentials
        state.add_row("query status", f"no answer ({error})")
        return state
    state.add_row("query status", str(queried))
    state.add_row("current details", metadata.current_details or "-")
    return state


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]{message}[/]")
    return typer.Exit(1)
