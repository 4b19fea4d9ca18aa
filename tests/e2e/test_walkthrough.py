"""The README's walkthrough is scripts/walkthrough.sh, run here as written against the real stack:
the README cannot drift from the code without this test failing."""

import asyncio
import os
import re
from pathlib import Path

from tests.e2e.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "walkthrough.sh"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Each request the script makes, with the status it must answer, in order.
STEPS = [
    "201 POST /api/listings/",
    # a purchase: declined, retried, shipped, delivered, read back
    "201 POST /api/orders/",
    "201 POST /api/payments/",
    "200 POST /api/payments/{id}/retry/",
    "200 POST /api/orders/{id}/ship/",
    "200 POST /api/orders/{id}/deliver/",
    "200 GET /api/orders/{id}/",
    "200 GET /api/invoices/{id}/",
    "200 GET /api/notifications/",
    # paid, then cancelled and refunded
    "201 POST /api/orders/",
    "201 POST /api/payments/",
    "200 POST /api/orders/{id}/cancel/",
    # a bank transfer an admin confirms
    "201 POST /api/orders/",
    "201 POST /api/payments/",
    "200 POST /api/orders/{id}/confirm/",
    # an Idempotency-Key: the first answer, its replay, the key reused for another body
    "201 POST /api/orders/",
    "201 POST /api/payments/",
    "201 POST /api/payments/",
    "409 POST /api/payments/",
]


async def test_the_readme_walkthrough_runs_as_written(stack: Stack) -> None:
    env = {
        **os.environ,
        "API": stack.base_url,
        "ORDER_ENGINE_JWT_SECRET": stack.settings.jwt_secret,
    }
    # Asynchronously: the API under test answers on this very event loop.
    process = await asyncio.create_subprocess_exec(
        "bash",
        str(SCRIPT),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    stdout, stderr = out.decode(), err.decode()

    assert process.returncode == 0, f"stdout:\n{stdout}\nstderr:\n{stderr}"
    assert [UUID.sub("{id}", line) for line in stderr.splitlines()] == STEPS
    assert stdout.splitlines()[-1] == "walkthrough done"
    assert "/namespaces/default/workflows/order-" in stdout
