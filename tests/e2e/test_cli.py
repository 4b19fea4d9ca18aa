"""`order-engine demo` and `order-engine order` against the real stack, as the typer app runs
them (in a thread: the stack's API and worker run on this test's event loop)."""

import asyncio
import re

from typer.testing import CliRunner, Result

import cli
from config import get_settings
from tests.e2e.conftest import Stack
from workflows.order import OrderWorkflow

UI = "http://localhost:8233"


async def invoke(stack: Stack, *args: str, columns: int = 200) -> Result:
    env = {
        "ORDER_ENGINE_JWT_SECRET": stack.settings.jwt_secret,
        "ORDER_ENGINE_TEMPORAL_ADDRESS": stack.settings.temporal_address,
        "COLUMNS": str(columns),
    }
    command = [*args, "--api-url", stack.base_url, "--ui-url", UI]

    def run() -> Result:
        # The settings are cached per process: read afresh from this environment, then forgotten.
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli.app, command, env=env)
        finally:
            get_settings.cache_clear()

    return await asyncio.to_thread(run)


async def test_demo_delivers_an_order_and_order_shows_it(stack: Stack) -> None:
    demo = await invoke(stack, "demo", columns=60)  # the link is never wrapped
    assert demo.exit_code == 0, demo.output
    link = re.search(rf"{UI}/namespaces/default/workflows/order-([0-9a-f-]{{36}})", demo.output)
    assert link is not None, demo.output
    order_id = link.group(1)
    assert f"({order_id}) is delivered" in demo.output
    for step in ("listed 1998 Mazda MX-5", "ordered ORD-", "paid by card", "shipped", "delivered"):
        assert step in demo.output

    handle = stack.env.client.get_workflow_handle_for(OrderWorkflow.run, f"order-{order_id}")
    assert (await handle.result()).status == "delivered"

    shown = await invoke(stack, "order", order_id)
    assert shown.exit_code == 0, shown.output
    for line in ("delivered", "1998 Mazda MX-5", "1524.00", "timeline", "created", "shipped"):
        assert line in shown.output
    assert re.search(r"execution\s+COMPLETED", shown.output), shown.output
    assert re.search(r"query status\s+delivered", shown.output), shown.output
    assert "OrderStatus=delivered" in shown.output
    # The UI's list shows the summary the API gave at start; the details add the order number.
    assert re.search(r"summary\s+1524.00 USD · 1998 Mazda MX-5", shown.output), shown.output
    number = re.search(r"ORD-\d{4}-\d{6}", demo.output)
    assert number is not None
    details = rf"current details\s+{number.group(0)} · 1524.00 USD · 1998 Mazda MX-5"
    assert re.search(details, shown.output), shown.output
    assert link.group(0) in shown.output


async def test_an_unknown_order_exits_1(stack: Stack) -> None:
    shown = await invoke(stack, "order", "00000000-0000-0000-0000-000000000000")
    assert shown.exit_code == 1
    assert "404" in shown.output
