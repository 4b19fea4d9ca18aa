"""Hypothesis drives random top-ups, payments, payouts, transfers, withdrawals, adjustments and
repeated keys through the ledger, and after every step checks against a model: no wallet below
zero, every balance the sum of its entries, every transfer one debit and one credit, each
currency summing to zero."""

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from db.engine import session_scope
from domain.ledger import ADJUSTMENTS, CLEARING, ESCROW, FEES, PAYOUTS_IN_TRANSIT, InsufficientFunds
from services.ledger import post
from tests.services.helpers import uid
from tests.services.ledger_helpers import account_id, balances, checked, fresh_currency, open_wallet

WALLETS = 3
amounts = st.decimals(min_value="0.01", max_value="150.00", places=2)
wallets = st.integers(0, WALLETS - 1)


class LedgerMachine(RuleBasedStateMachine):
    url = ""

    def __init__(self) -> None:
        super().__init__()
        self.currency = fresh_currency()
        self.wallets = [open_wallet(self.url, uid("user"), self.currency) for _ in range(WALLETS)]
        kinds = (CLEARING, ESCROW, FEES, PAYOUTS_IN_TRANSIT, ADJUSTMENTS)
        self.platform = {kind: account_id(self.url, kind, self.currency) for kind in kinds}
        self.model = dict.fromkeys([*self.wallets, *self.platform.values()], Decimal("0.00"))
        self.posted: list[tuple[str, str, str, Decimal]] = []

    def _post(self, source: str, destination: str, amount: Decimal) -> None:
        key = uid("key")
        refused = source in self.wallets and self.model[source] < amount
        try:
            with session_scope(self.url) as session:
                post(session, key, source, destination, amount, self.currency, "step")
        except InsufficientFunds:
            assert refused
            return
        assert not refused
        self.model[source] -= amount
        self.model[destination] += amount
        self.posted.append((key, source, destination, amount))

    @rule(to=wallets, amount=amounts)
    def top_up(self, to: int, amount: Decimal) -> None:
        self._post(self.platform[CLEARING], self.wallets[to], amount)

    @rule(buyer=wallets, amount=amounts)
    def pay_from_wallet(self, buyer: int, amount: Decimal) -> None:
        self._post(self.wallets[buyer], self.platform[ESCROW], amount)

    @rule(amount=amounts)
    def pay_by_card(self, amount: Decimal) -> None:
        self._post(self.platform[CLEARING], self.platform[ESCROW], amount)

    @rule(seller=wallets, share=st.integers(1, 100))
    def pay_out(self, seller: int, share: int) -> None:
        """Escrow → the seller's wallet, 5 % of it to the platform's fees."""
        held = self.model[self.platform[ESCROW]]
        amount = (held * share / 100).quantize(Decimal("0.01"))
        fee = (amount * Decimal("0.05")).quantize(Decimal("0.01"))
        if amount - fee > 0:
            self._post(self.platform[ESCROW], self.wallets[seller], amount - fee)
        if fee > 0:
            self._post(self.platform[ESCROW], self.platform[FEES], fee)

    @rule(source=wallets, destination=wallets, amount=amounts)
    def transfer(self, source: int, destination: int, amount: Decimal) -> None:
        if source != destination:
            self._post(self.wallets[source], self.wallets[destination], amount)

    @rule(user=wallets, amount=amounts, fails=st.booleans())
    def withdraw(self, user: int, amount: Decimal, fails: bool) -> None:
        transit = self.platform[PAYOUTS_IN_TRANSIT]
        before = len(self.posted)
        self._post(self.wallets[user], transit, amount)
        if len(self.posted) > before:
            # The gateway paid it out, or it failed and the money comes back.
            self._post(transit, self.wallets[user] if fails else self.platform[CLEARING], amount)

    @rule(user=wallets, amount=amounts, credit=st.booleans())
    def adjust(self, user: int, amount: Decimal, credit: bool) -> None:
        pair = (self.platform[ADJUSTMENTS], self.wallets[user])
        self._post(*(pair if credit else pair[::-1]), amount)

    @rule(data=st.data())
    def repeat_a_key(self, data: st.DataObject) -> None:
        if not self.posted:
            return
        key, source, destination, amount = data.draw(st.sampled_from(self.posted))
        with session_scope(self.url) as session:
            post(session, key, source, destination, amount, self.currency, "step")

    @invariant()
    def adds_up(self) -> None:
        result = checked(self.url, self.currency)
        assert result.balanced, result.drift
        assert balances(self.url, list(self.model)) == self.model
        assert all(self.model[w] >= 0 for w in self.wallets)


def test_random_movements_keep_the_ledger_whole(database_url: str) -> None:
    LedgerMachine.url = database_url
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=15, stateful_step_count=25, deadline=None),
    )
