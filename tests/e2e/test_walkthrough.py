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
    # 5. wallets
    "202 POST /api/wallets/my_wallet/top_up/",
    "201 POST /api/orders/",
    "201 POST /api/payments/",
    "200 GET /api/wallets/my_wallet/",
    "202 POST /api/wallets/my_wallet/withdraw/",
    "200 GET /api/wallets/my_wallet/",
    "200 GET /api/admin/ledger/check/",
]


async def walk(stack: Stack, secret: str) -> tuple[int | None, str, str]:
    """Runs the script against the stack; its exit code, stdout and stderr."""
    env = {**os.environ, "API": stack.base_url, "ORDER_ENGINE_JWT_SECRET": secret}
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
    return process.returncode, out.decode(), err.decode()


async def test_the_readme_walkthrough_runs_as_written(stack: Stack) -> None:
    code, stdout, stderr = await walk(stack, stack.settings.jwt_secret)

    assert code == 0, f"stdout:\n{stdout}\nstderr:\n{stderr}"
    assert [UUID.sub("{id}", line) for line in stderr.splitlines()] == STEPS
    assert stdout.splitlines()[-1] == "walkthrough done"
    assert "/namespaces/default/workflows/order-" in stdout


async def test_the_walkthrough_stops_at_the_first_unexpected_answer(stack: Stack) -> None:
    """Tokens signed with another secret: the first request is a 401, and the script says so."""
    code, stdout, stderr = await walk(stack, "not-the-stack-secret-0123456789abcdef")

    assert code != 0
    assert stderr.splitlines()[0] == "401 POST /api/listings/"
    assert stderr.splitlines()[1].startswith("expected 201: ")
    assert "walkthrough done" not in stdout
