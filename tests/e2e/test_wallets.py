"""Wallets end to end (API.md, Wallets) on each database: a card top-up credits the wallet, a
withdrawal to the failing test account puts the money back, one to the paying account is
paid, more than the balance is refused, and the ledger adds up after all of it."""

from tests.e2e.conftest import Party
from tests.e2e.wallet_flows import (
    FAILS,
    PAYS,
    balance_becomes,
    notified,
    settled_payout,
    transactions,
    wallet,
    withdraw,
)


async def test_top_up_withdraw_and_the_ledger_adds_up(each_party: Party) -> None:
    buyer = each_party.buyer
    assert (await wallet(buyer))["balance"] == "0.00"

    topped = await buyer.post(
        "/api/wallets/my_wallet/top_up/",
        json={"amount": "100.00", "card_token": "tok_visa"},
        headers={"Idempotency-Key": "top-up-1"},
    )
    assert topped.status_code == 202, topped.text
    assert topped.json()["status"] in ("processing", "completed")
    await balance_becomes(buyer, "100.00")
    assert await transactions(buyer) == [("credit", "100.00", "100.00")]

    failing = await withdraw(buyer, "60.00", FAILS)
    assert failing.status_code == 202, failing.text
    assert (failing.json()["status"], failing.json()["amount"]) == ("processing", "60.00")
    failed = await settled_payout(buyer, failing.json()["id"])
    assert (failed["status"], failed["failure_code"]) == ("failed", "no_account")
    assert (await wallet(buyer))["balance"] == "100.00"
    assert await transactions(buyer) == [
        ("credit", "60.00", "100.00"),
        ("debit", "60.00", "40.00"),
        ("credit", "100.00", "100.00"),
    ]

    paying = await withdraw(buyer, "30.00", PAYS)
    assert paying.status_code == 202, paying.text
    paid = await settled_payout(buyer, paying.json()["id"])
    assert (paid["status"], paid["failure_code"]) == ("paid", None)
    mine = await wallet(buyer)
    assert (mine["balance"], mine["total_earned"], mine["total_spent"]) == (
        "70.00",
        "160.00",
        "90.00",
    )

    short = await withdraw(buyer, "70.01", PAYS)
    assert short.status_code == 409
    assert short.json()["error"]["code"] == "insufficient_funds"
    assert (await wallet(buyer))["balance"] == "70.00"

    listed = (await buyer.get("/api/payouts/")).json()["items"]
    assert [(p["status"], p["amount"]) for p in listed] == [("paid", "30.00"), ("failed", "60.00")]
    notes = (await buyer.get("/api/notifications/")).json()["items"]
    assert {n["kind"] for n in notes} == {
        "topup_completed",
        "payout_requested",
        "payout_failed",
        "payout_paid",
    }
    assert all(FAILS not in n["body"] and PAYS not in n["body"] for n in notes)

    checked = await each_party.admin.get("/api/admin/ledger/check/")
    assert checked.status_code == 200
    assert (checked.json()["balanced"], checked.json()["drift"]) == (True, [])


async def test_a_declined_top_up_credits_nothing(each_party: Party) -> None:
    buyer = each_party.buyer
    declined = await buyer.post(
        "/api/wallets/my_wallet/top_up/",
        json={"amount": "25.00", "card_token": "tok_chargeDeclined"},
    )
    assert declined.status_code == 202
    answer = declined.json()
    assert (answer["status"], answer["error_code"]) in (
        ("failed", "card_declined"),
        ("processing", None),  # the answer wait ran out first on a slow machine
    )
    await notified(buyer, "topup_failed")
    assert (await wallet(buyer))["balance"] == "0.00"
    assert await transactions(buyer) == []
