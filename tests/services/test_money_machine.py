"""Hypothesis drives random orders, card and wallet payments, cancels, deliveries, seller payouts,
top-ups, withdrawals and admin adjustments through the services the activities call (not the
ledger underneath), and runs some steps a second time, as a retried activity would. After every
step it proves: each transfer's entries sum to zero, every wallet is the sum of its entries and
none is below zero, the currency sums to zero, and each wallet, escrow (paid orders neither
cancelled nor paid out), the fees and the payouts in transit equal a model of what the steps
should have moved: the services' transfer keys and compensations hold. Each run has a currency
and users of its own, so the shared PostgreSQL database checks one run at a time."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, or_, select

from db.engine import session_scope
from db.tables import LedgerAccount, LedgerEntry, LedgerTransfer, Listing, Order
from db.types import utcnow
from domain.contracts import (
    Cancellation,
    Deadline,
    PaymentAttempt,
    PaymentCompleted,
    PayoutDue,
    PayoutPlan,
    RefundResult,
    Transition,
    WalletCharge,
)
from domain.ledger import ESCROW, FEES, PAYOUTS_IN_TRANSIT, WALLET, InsufficientFunds
from domain.money import quantize
from domain.payout import payout_plan
from domain.wallet_contracts import PayoutSettled, PayoutStart, TopUpBegun, TopUpSettled
from services import fulfilment, payments, seller_payouts, topups, wallet_payments, wallet_payouts
from services.admission import admit_order
from services.ledger_queries import check
from services.wallets import Adjustment, adjust
from tests.services.helpers import new_order, uid
from tests.services.ledger_helpers import fresh_currency, open_wallet
from tests.support import make_listing

USERS = 3
PRICES = ("19.99", "64.50", "120.00")  # each user sells one listing, shipping 4.99
RATE = Decimal("0.05")
ZERO = Decimal("0.00")
# Odd cents, and round sums big enough to pay for an order (st.decimals alone stays small).
amounts = st.one_of(
    st.sampled_from([Decimal(a) for a in ("25.00", "99.99", "180.00", "300.00")]),
    st.decimals(min_value="0.01", max_value="300.00", places=2),
)
shares = st.integers(1, 120)  # a debit's share of the wallet, in %: above 100 it is refused
users = st.integers(0, USERS - 1)


@dataclass
class Bought:
    id: str
    buyer: str
    seller: str
    total: Decimal
    payment_id: str
    status: str = "pending"  # then confirmed, delivered, paid_out or cancelled
    paid_by: str | None = None  # "card" or "wallet"
    attempts: int = 0
    plan: PayoutPlan | None = None


@dataclass
class Withdrawal:
    id: str
    user: str
    amount: Decimal
    settled: bool = False


class MoneyMachine(RuleBasedStateMachine):
    url = ""

    def __init__(self) -> None:
        super().__init__()
        self.currency = fresh_currency()
        self.users = [uid("user") for _ in range(USERS)]
        self.wallet_ids = {u: open_wallet(self.url, u, self.currency) for u in self.users}
        self.listings = [self._listing(u, p) for u, p in zip(self.users, PRICES, strict=True)]
        self.wallets = dict.fromkeys(self.users, ZERO)
        self.escrow = self.fees = self.transit = ZERO
        self.orders: list[Bought] = []
        self.payouts: list[Withdrawal] = []
        # Each order's, top-up's, payout's or adjustment's last step: a service and its payload.
        self.last: dict[str, tuple[Callable[..., Any], Any]] = {}

    def _listing(self, seller: str, price: str) -> str:
        listing_id = make_listing(self.url, seller, quantity=10_000, price=price, fee="4.99")
        with session_scope(self.url) as session:
            listing = session.get(Listing, listing_id)
            assert listing is not None
            listing.currency = self.currency
        return listing_id

    def _run(self, obj: str, service: Callable[..., Any], payload: Any) -> Any:
        with session_scope(self.url) as session:
            result = service(session, payload)
        self.last[obj] = (service, payload)
        return result

    def _orders(self, *statuses: str) -> list[Bought]:
        return [o for o in self.orders if o.status in statuses]

    def _part(self, user: str, share: int) -> Decimal:
        return max(quantize(self.wallets[user] * share / 100), Decimal("0.01"))

    @initialize(funds=st.lists(amounts, min_size=USERS, max_size=USERS))
    def start(self, funds: list[Decimal]) -> None:
        """Each user starts with a top-up and an order, so that the rules reach deep early."""
        for user, amount in enumerate(funds):
            self.top_up(user, amount, charged=True)
            self.open_order(user, 1, 1, "0")

    @rule(buyer=users, shift=st.integers(1, USERS - 1), quantity=st.integers(1, 2),
          tax=st.sampled_from(["0", "0.0825"]))  # fmt: skip
    def open_order(self, buyer: int, shift: int, quantity: int, tax: str) -> None:
        seller = (buyer + shift) % USERS  # never the buyer
        new = new_order(self.listings[seller], self.users[buyer], quantity, tax)
        admitted = self._run(new.order_id, partial(admit_order, now=utcnow()), new)
        buyer_id, seller_id = self.users[buyer], self.users[seller]
        self.orders.append(
            Bought(new.order_id, buyer_id, seller_id, admitted.total_amount, uid("pay"))
        )

    @precondition(lambda self: self._orders("pending", "confirmed", "delivered"))
    @rule(data=st.data(), by_wallet=st.booleans())
    def advance(self, data: st.DataObject, by_wallet: bool) -> None:
        """An order's next step: paid (by card or from the wallet), delivered, paid out."""
        order = data.draw(st.sampled_from(self._orders("pending", "confirmed", "delivered")))
        if order.status == "pending":
            self._pay(order, by_wallet)
        elif order.status == "confirmed":
            self._ship_and_deliver(order)
        else:
            self._pay_out(order)

    def _pay(self, order: Bought, by_wallet: bool) -> None:
        order.attempts, now = order.attempts + 1, utcnow()
        self._run(order.id, payments.begin_attempt, PaymentAttempt(
            order_id=order.id, payment_id=order.payment_id, gateway="sandbox",
            payment_method="wallet" if by_wallet else "credit_card", amount=order.total,
            currency=self.currency, attempt=order.attempts,
        ))  # fmt: skip
        if by_wallet:
            outcome = self._run(order.id, wallet_payments.pay_from_wallet, WalletCharge(
                order_id=order.id, payment_id=order.payment_id, attempt=order.attempts,
                buyer_id=order.buyer, amount=order.total, currency=self.currency,
                actor=order.buyer, at=now, deadline=Deadline(kind="ship", at=now),
            ))  # fmt: skip
            enough = self.wallets[order.buyer] >= order.total
            assert outcome.status == ("completed" if enough else "failed")
            if not enough:
                return  # nothing moved; the order stays pending, for a retry
            self.wallets[order.buyer] -= order.total
        else:
            self._run(order.id, payments.complete, PaymentCompleted(
                order_id=order.id, payment_id=order.payment_id, transaction_id=uid("ch"),
                gateway_response={}, actor=order.buyer, at=now, payment_method="credit_card",
            ))  # fmt: skip
        order.status, order.paid_by = "confirmed", "wallet" if by_wallet else "card"
        self.escrow += order.total

    def _ship_and_deliver(self, order: Bought) -> None:
        now = utcnow()
        self._run(order.id, fulfilment.apply, Transition(
            order_id=order.id, status="shipped", event="shipped", actor=order.seller, at=now,
            tracking_number=uid("1Z"),
        ))  # fmt: skip
        order.plan = payout_plan(order.total, ZERO, RATE, self.currency, now + timedelta(days=3))
        self._run(order.id, fulfilment.apply, Transition(
            order_id=order.id, status="delivered", event="delivered", actor=order.buyer, at=now,
            deadline=Deadline(kind="payout", at=order.plan.at), payout=order.plan,
        ))  # fmt: skip
        order.status = "delivered"

    def _pay_out(self, order: Bought) -> None:
        plan = order.plan
        assert plan is not None and plan.amount + plan.fee == order.total
        due = PayoutDue(order_id=order.id, seller_id=order.seller, plan=plan, at=plan.at)
        self._run(order.id, seller_payouts.pay_out, due)
        order.status = "paid_out"
        self.escrow -= order.total
        self.wallets[order.seller] += plan.amount
        self.fees += plan.fee

    @precondition(lambda self: self._orders("pending", "confirmed"))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from(self._orders("pending", "confirmed")))
        card, to_wallet = order.paid_by == "card", order.paid_by == "wallet"
        self._run(order.id, fulfilment.cancel, Cancellation(
            order_id=order.id, reason="cancelled by an admin", actor="admin", at=utcnow(),
            refund=RefundResult(refund_id=uid("re"), gateway_response={}) if card else None,
            refunded_amount=order.total if card or to_wallet else ZERO, refund_to_wallet=to_wallet,
        ))  # fmt: skip
        order.status = "cancelled"
        if card or to_wallet:
            self.escrow -= order.total
        if to_wallet:
            self.wallets[order.buyer] += order.total

    @rule(user=users, amount=amounts, charged=st.booleans())
    def top_up(self, user: int, amount: Decimal, charged: bool) -> None:
        """Begun, then the card's outcome: charged credits the wallet, declined nothing."""
        topup_id, owner = uid("topup"), self.users[user]
        self._run(topup_id, topups.begin, TopUpBegun(
            topup_id=topup_id, user_id=owner, amount=amount, currency=self.currency,
            gateway="sandbox", at=utcnow(),
        ))  # fmt: skip
        self._run(topup_id, topups.settle, TopUpSettled(
            topup_id=topup_id, status="completed" if charged else "failed", at=utcnow(),
            transaction_id=uid("ch") if charged else None,
            error_code=None if charged else "card_declined",
        ))  # fmt: skip
        if charged:
            self.wallets[owner] += amount

    @rule(user=users, share=shares)
    def withdraw(self, user: int, share: int) -> None:
        payout = Withdrawal(uid("payout"), self.users[user], self._part(self.users[user], share))
        debit = self._run(payout.id, wallet_payouts.debit, PayoutStart(
            payout_id=payout.id, user_id=payout.user, amount=payout.amount,
            currency=self.currency, destination_token=uid("tok"), destination_last4="0000",
            at=utcnow(),
        ))  # fmt: skip
        if self.wallets[payout.user] < payout.amount:
            assert debit.refused == "insufficient_funds"
            del self.last[payout.id]  # a retry after the wallet changed is a new try
            return
        assert debit.refused is None
        self.payouts.append(payout)
        self.wallets[payout.user] -= payout.amount
        self.transit += payout.amount

    @precondition(lambda self: any(not p.settled for p in self.payouts))
    @rule(data=st.data(), paid=st.booleans())
    def settle_payout(self, data: st.DataObject, paid: bool) -> None:
        payout = data.draw(st.sampled_from([p for p in self.payouts if not p.settled]))
        self._run(payout.id, wallet_payouts.settle, PayoutSettled(
            payout_id=payout.id, status="paid" if paid else "failed", at=utcnow(),
            reference=uid("po") if paid else None, failure_code=None if paid else "no_account",
        ))  # fmt: skip
        payout.settled = True
        self.transit -= payout.amount
        if not paid:  # the money comes back
            self.wallets[payout.user] += payout.amount

    @rule(user=users, amount=amounts, share=shares, credit=st.booleans())
    def adjust(self, user: int, amount: Decimal, share: int, credit: bool) -> None:
        owner = self.users[user]
        change = amount if credit else -self._part(owner, share)
        refused = self.wallets[owner] + change < 0
        key = uid("adj")
        try:
            self._run(key, adjust, Adjustment(
                key=key, wallet_id=self.wallet_ids[owner], amount=change, reason="goodwill",
                actor="admin", at=utcnow(),
            ))  # fmt: skip
        except InsufficientFunds:
            assert refused  # and it is not remembered: a retry later would be a new try
            return
        assert not refused
        self.wallets[owner] += change

    @precondition(lambda self: self.last)
    @rule(data=st.data())
    def repeat_a_step(self, data: st.DataObject) -> None:
        """An object's last step runs again, as a retried activity: nothing may change."""
        obj = data.draw(st.sampled_from(sorted(self.last)))
        self._run(obj, *self.last[obj])

    @invariant()
    def adds_up(self) -> None:
        with session_scope(self.url, read_only=True) as session:
            result = check(session, self.currency)
            accounts = session.execute(
                select(LedgerAccount.kind, LedgerAccount.user_id, LedgerAccount.balance).where(
                    LedgerAccount.currency == self.currency
                )
            ).all()
            unbalanced = session.scalars(
                select(LedgerEntry.transfer_id)
                .join(LedgerTransfer, LedgerTransfer.id == LedgerEntry.transfer_id)
                .where(LedgerTransfer.currency == self.currency)
                .group_by(LedgerEntry.transfer_id)
                .having(or_(func.sum(LedgerEntry.amount) != 0, func.count() != 2))
            ).all()
            ids = [o.id for o in self.orders]
            rows = session.execute(select(Order.id, Order.status).where(Order.id.in_(ids)))
            statuses = {order_id: status for order_id, status in rows}
        assert result.balanced and not result.drift, result.drift
        assert unbalanced == []
        assert sum(balance for _, _, balance in accounts) == 0
        wallets = {user: balance for kind, user, balance in accounts if kind == WALLET}
        platform = {kind: balance for kind, _, balance in accounts if kind != WALLET}
        assert all(balance >= 0 for balance in wallets.values())
        assert wallets == self.wallets
        assert platform.get(ESCROW, ZERO) == self.escrow
        assert platform.get(FEES, ZERO) == self.fees
        assert platform.get(PAYOUTS_IN_TRANSIT, ZERO) == self.transit
        shown = {"paid_out": "delivered"}
        assert statuses == {o.id: shown.get(o.status, o.status) for o in self.orders}


def test_services_keep_the_money_whole(database_url: str) -> None:
    MoneyMachine.url = database_url
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(max_examples=15, stateful_step_count=30, deadline=None),
    )
