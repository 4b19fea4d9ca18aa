"""Activities of top-ups and payouts: the records and ledger steps (idempotent by the top-up's
or payout's id), and the payout rail's call."""

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.outbox import DatabaseActivities
from domain.wallet_contracts import (
    PayoutDebit,
    PayoutSent,
    PayoutSettled,
    PayoutStart,
    PayoutTransfer,
    PayoutView,
    TopUpBegun,
    TopUpSettled,
    TopUpView,
    WalletAlert,
)
from services import notifications, topups, wallet_payouts
from services.payout_rails import PayoutFailed, PayoutRail


class WalletActivities(DatabaseActivities):
    @activity.defn
    def begin_topup(self, begun: TopUpBegun) -> TopUpView:
        with self._tx() as session:
            return topups.begin(session, begun)

    @activity.defn
    def settle_topup(self, settled: TopUpSettled) -> TopUpView:
        with self._tx() as session:
            return topups.settle(session, settled)

    @activity.defn
    def debit_payout(self, start: PayoutStart) -> PayoutDebit:
        with self._tx() as session:
            return wallet_payouts.debit(session, start)

    @activity.defn
    def settle_payout(self, settled: PayoutSettled) -> PayoutView:
        with self._tx() as session:
            return wallet_payouts.settle(session, settled)

    @activity.defn
    def alert_wallet_admins(self, alert: WalletAlert) -> None:
        with self._tx() as session:
            notifications.notify_admins(session, alert.key, alert.title, alert.body, alert.at)


class PayoutRailActivities:
    def __init__(self, rail: PayoutRail) -> None:
        self._rail = rail

    @activity.defn
    def send_payout(self, transfer: PayoutTransfer) -> PayoutSent:
        try:
            return self._rail.send(transfer)
        except PayoutFailed as failed:
            # The bank's final no: a business outcome, not a fault.
            raise ApplicationError(
                f"the payout rail refused: {failed.code}",
                type=failed.code,
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,
            ) from None
