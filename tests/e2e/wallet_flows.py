"""Wallet steps of the end-to-end tests: read a wallet, top it up, withdraw, and wait (polled,
bounded) for the outcome."""

import asyncio
import time
from typing import Any

import httpx

FAILS, PAYS = "000111111116", "000123456789"
WAIT = 60.0  # a bound on each wait, never a fixed sleep


async def wallet(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/api/wallets/my_wallet/")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def transactions(client: httpx.AsyncClient) -> list[tuple[str, str, str]]:
    """(type, amount, balance_after), newest first."""
    page = (await client.get("/api/wallets/my_wallet/transactions/")).json()
    return [(t["transaction_type"], t["amount"], t["balance_after"]) for t in page["items"]]


async def settled_payout(client: httpx.AsyncClient, payout_id: str) -> dict[str, Any]:
    """The payout once it is paid or failed (polled, bounded)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        payout: dict[str, Any] = (await client.get(f"/api/payouts/{payout_id}/")).json()
        if payout["status"] != "processing":
            return payout
        await asyncio.sleep(0.2)
    raise AssertionError(f"payout {payout_id} still processing after {WAIT} s")


async def balance_becomes(client: httpx.AsyncClient, expected: str) -> None:
    deadline = time.monotonic() + WAIT
    while (await wallet(client))["balance"] != expected:
        assert time.monotonic() < deadline, f"the balance never became {expected}"
        await asyncio.sleep(0.2)


async def notified(client: httpx.AsyncClient, kind: str) -> None:
    deadline = time.monotonic() + WAIT
    while kind not in {
        n["kind"] for n in (await client.get("/api/notifications/")).json()["items"]
    }:
        assert time.monotonic() < deadline, f"no {kind} notification after {WAIT} s"
        await asyncio.sleep(0.2)


async def withdraw(client: httpx.AsyncClient, amount: str, account: str) -> httpx.Response:
    body = {"amount": amount, "destination": {"account_number": account}}
    return await client.post("/api/wallets/my_wallet/withdraw/", json=body)


async def funded_payout(client: httpx.AsyncClient) -> dict[str, Any]:
    """A top-up of 10.00 by card, then a paid withdrawal of 5.00 out of it: the payout."""
    topped = await client.post(
        "/api/wallets/my_wallet/top_up/", json={"amount": "10.00", "card_token": "tok_visa"}
    )
    assert topped.status_code == 202, topped.text
    await balance_becomes(client, "10.00")
    payout = await withdraw(client, "5.00", PAYS)
    assert payout.status_code == 202, payout.text
    return await settled_payout(client, payout.json()["id"])
