"""Refunds end to end over HTTP (API.md, Refunds; issue 9's proofs): a half refund of a
delivered card order (the seller then gets (total - refund) * 0.95), a full refund (the order
`refunded`), a refund to the wallet (the ledger balanced), a rejection (nothing moves), two
refunds asked at once (never more than captured), an approval sent twice (one refund)."""

import asyncio
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.e2e.conftest import Party, party_on, running_stack
from tests.e2e.flows import book, list_item, pay, place_order
from tests.e2e.wallet_flows import wallet

WAIT = 60.0


async def paid_order(party: Party, price: str = "1499.00", fee: str = "25.00") -> dict[str, Any]:
    listing = await list_item(party.seller, price=price, fee=fee)
    order = await place_order(party.buyer, listing["id"])
    assert (await pay(party.buyer, order["id"]))["status"] == "completed"
    return order


async def ask(party: Party, order_id: str, **fields: Any) -> httpx.Response:
    body = {"order_id": order_id, "refund_reason": "damaged", "reason_description": "a dent"}
    return await party.buyer.post("/api/refunds/", json={**body, **fields})


async def settled(client: httpx.AsyncClient, refund_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        refund: dict[str, Any] = (await client.get(f"/api/refunds/{refund_id}/")).json()
        if refund["status"] == status:
            return refund
        assert time.monotonic() < deadline, f"refund {refund_id} is {refund['status']}"
        await asyncio.sleep(0.1)


async def order_becomes(party: Party, order_id: str, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        order: dict[str, Any] = (await party.buyer.get(f"/api/orders/{order_id}/")).json()
        if check(order):
            return order
        assert time.monotonic() < deadline, f"order {order_id}: {order}"
        await asyncio.sleep(0.1)


async def ledger_balanced(party: Party) -> None:
    check = (await party.admin.get("/api/admin/ledger/check/")).json()
    assert (check["balanced"], check["drift"]) == (True, [])


async def test_half_refund_of_a_delivered_order_then_the_seller_paid_on_the_rest(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # A hold long enough to ask for the refund after delivery, before the payout.
    url = f"sqlite:///{tmp_path / 'refunds.db'}"
    async with (
        running_stack(dev_env, url, escrow_hold=timedelta(seconds=8)) as stack,
        party_on(stack) as party,
    ):
        order = await paid_order(party)
        shipped = await party.seller.post(
            f"/api/orders/{order['id']}/ship/", json={"tracking_number": "1Z"}
        )
        assert shipped.status_code == 200, shipped.text
        assert (await party.buyer.post(f"/api/orders/{order['id']}/deliver/")).status_code == 200
        asked = await ask(party, order["id"], refund_percentage="50.00")
        assert asked.status_code == 201, asked.text
        refund = asked.json()
        assert (refund["status"], refund["refund_amount"], refund["destination"]) == (
            "pending",
            "762.00",
            "original_method",
        )
        held = (await party.buyer.get(f"/api/orders/{order['id']}/")).json()
        assert held["payout"]["status"] == "held"
        approved = await party.admin.post(f"/api/refunds/{refund['id']}/approve/", json={})
        assert approved.status_code == 200, approved.text
        done = await settled(party.buyer, refund["id"], "completed")
        assert done["credit_note_id"] is not None

        paid = await order_becomes(party, order["id"], lambda o: o["payout"]["status"] == "paid")
        assert (paid["status"], paid["refunded_amount"]) == ("delivered", "762.00")
        # (1524.00 - 762.00) * 0.95 = 723.90 to the seller, 38.10 to the platform.
        assert (paid["payout"]["amount"], paid["payout"]["fee"]) == ("723.90", "38.10")
        assert (await wallet(party.seller))["balance"] == "723.90"
        assert (paid["payment"]["status"]) == "partially_refunded"
        refunds = [op for op in book(url, order["id"]) if op.kind == "refund"]
        assert [(op.amount, op.idempotency_key) for op in refunds] == [
            (Decimal("762.00"), f"refund-{refund['id']}")
        ]
        invoice = (await party.buyer.get(f"/api/invoices/{paid['invoice_id']}/")).json()
        assert invoice["amount_refunded"] == "762.00"
        [note] = invoice["credit_notes"]
        assert (note["refund_id"], note["amount"]) == (refund["id"], "762.00")
        assert note["credit_note_number"].startswith("CN-")
        await ledger_balanced(party)


async def test_a_full_refund_refunds_the_order(party: Party) -> None:
    order = await paid_order(party)
    asked = await ask(party, order["id"])  # neither amount: all that is refundable
    assert asked.status_code == 201, asked.text
    assert asked.json()["refund_amount"] == "1524.00"
    await party.admin.post(f"/api/refunds/{asked.json()['id']}/approve/", json={})
    await settled(party.buyer, asked.json()["id"], "completed")
    refunded = await order_becomes(party, order["id"], lambda o: o["status"] == "refunded")
    assert (refunded["refunded_amount"], refunded["payment"]["status"]) == ("1524.00", "refunded")
    again = await ask(party, order["id"], refund_amount="1.00")
    assert again.status_code == 409, again.text
    await ledger_balanced(party)


async def test_a_refund_to_the_wallet_credits_it(each_party: Party) -> None:
    party = each_party
    order = await paid_order(party, price="80.00", fee="20.00")
    asked = await ask(party, order["id"], refund_amount="40.00", destination="wallet")
    assert asked.status_code == 201, asked.text
    assert asked.json()["destination"] == "wallet"
    await party.admin.post(f"/api/refunds/{asked.json()['id']}/approve/", json={})
    await settled(party.buyer, asked.json()["id"], "completed")
    mine = await wallet(party.buyer)
    assert (mine["balance"], mine["total_earned"]) == ("40.00", "40.00")
    # Back to the wallet, not the card: the gateway's book has no refund.
    assert [op.kind for op in book(party.stack.settings.database_url, order["id"])] == ["charge"]
    await ledger_balanced(party)


async def test_a_rejected_refund_moves_nothing(party: Party) -> None:
    order = await paid_order(party, price="80.00", fee="20.00")
    asked = await ask(party, order["id"], refund_amount="10.00")
    rejected = await party.admin.post(
        f"/api/refunds/{asked.json()['id']}/reject/", json={"admin_notes": "not damaged"}
    )
    assert rejected.status_code == 200, rejected.text
    done = await settled(party.buyer, asked.json()["id"], "rejected")
    assert (done["admin_notes"], done["credit_note_id"]) == ("not damaged", None)
    unchanged = (await party.buyer.get(f"/api/orders/{order['id']}/")).json()
    assert (unchanged["refunded_amount"], unchanged["payment"]["status"]) == ("0.00", "completed")
    assert [op.kind for op in book(party.stack.settings.database_url, order["id"])] == ["charge"]
    # Decided, the window is open again for another request.
    assert (await ask(party, order["id"], refund_amount="10.00")).status_code == 201


async def test_two_refunds_asked_at_once_never_exceed_what_was_captured(party: Party) -> None:
    order = await paid_order(party, price="80.00", fee="20.00")
    answers = await asyncio.gather(
        ask(party, order["id"], refund_amount="70.00"),
        ask(party, order["id"], refund_amount="70.00"),
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    [conflict] = [a for a in answers if a.status_code == 409]
    assert conflict.json()["error"]["code"] == "refund_already_open"
    [accepted] = [a for a in answers if a.status_code == 201]
    await party.admin.post(f"/api/refunds/{accepted.json()['id']}/approve/", json={})
    await settled(party.buyer, accepted.json()["id"], "completed")
    # 30.00 is left of the 100.00 captured: 70.00 more is refused, 30.00 is not.
    over = await ask(party, order["id"], refund_amount="70.00")
    assert over.status_code == 422 and over.json()["error"]["code"] == "amount_exceeds_refundable"
    assert (await ask(party, order["id"], refund_amount="30.00")).status_code == 201


async def test_an_approval_sent_twice_refunds_once(party: Party) -> None:
    order = await paid_order(party, price="80.00", fee="20.00")
    refund_id = (await ask(party, order["id"], refund_amount="25.00")).json()["id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    path = f"/api/refunds/{refund_id}/approve/"
    first, second = await asyncio.gather(
        party.admin.post(path, json={}, headers=key), party.admin.post(path, json={}, headers=key)
    )
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    await settled(party.buyer, refund_id, "completed")
    refunds = [
        op for op in book(party.stack.settings.database_url, order["id"]) if op.kind == "refund"
    ]
    assert [(str(op.amount), op.calls) for op in refunds] == [("25.00", 1)]
    # Approved once, an approval without the key is refused: the refund is no longer pending.
    assert (await party.admin.post(path, json={})).status_code == 409
