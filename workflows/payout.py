"""PayoutWorkflow (`payout-{id}`): money out of a wallet to a bank account.

Its first step debits the wallet into payouts in transit (or refuses: the wallet holds too
little), and the API's request waits on it (`debited`), so a short wallet is a synchronous 409.
Then the payout rail is asked to pay, under a key from the payout's id; paid, the money leaves
for the bank; refused, it comes back to the wallet.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.step_options import STEP_TIMEOUT, db_step

with workflow.unsafe.imports_passed_through():
    from activities.wallets import PayoutRailActivities, WalletActivities
    from domain.wallet_contracts import (
        PayoutDebit,
        PayoutInput,
        PayoutSettled,
        PayoutStart,
        PayoutTransfer,
        PayoutView,
    )

# The rail's transient failures are retried with the same key until it answers: giving the
# money back while the bank might still pay it could pay it twice.
RAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)


@workflow.defn
class PayoutWorkflow:
    @workflow.init
    def __init__(self, params: PayoutInput) -> None:
        self._debit: PayoutDebit | None = None

    @workflow.run
    async def run(self, params: PayoutInput) -> PayoutView | None:
        start = PayoutStart(**params.model_dump(), at=workflow.now())
        self._debit = await db_step(WalletActivities.debit_payout, start)
        if self._debit.payout is None:
            await workflow.wait_condition(workflow.all_handlers_finished)
            return None  # refused: nothing moved, no payout exists
        settled = await self._send(params)
        view = await db_step(WalletActivities.settle_payout, settled)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return view

    async def _send(self, params: PayoutInput) -> PayoutSettled:
        transfer = PayoutTransfer(
            payout_id=params.payout_id,
            idempotency_key=f"payout:{params.payout_id}",
            amount=params.amount,
            currency=params.currency,
            destination_token=params.destination_token,
        )
        try:
            sent = await workflow.execute_activity_method(
                PayoutRailActivities.send_payout,
                transfer,
                start_to_close_timeout=STEP_TIMEOUT,
                retry_policy=RAIL_RETRY,
            )
        except ActivityError as error:
            # Only the rail's final no ends the retries (its code is the error's type).
            cause = error.cause
            code = cause.type if isinstance(cause, ApplicationError) else None
            return PayoutSettled(
                payout_id=params.payout_id,
                status="failed",
                failure_code=code or "payout_failed",
                at=workflow.now(),
            )
        return PayoutSettled(
            payout_id=params.payout_id,
            status="paid",
            reference=sent.reference,
            at=workflow.now(),
        )

    @workflow.update
    async def debited(self) -> PayoutDebit:
        """Answers once the wallet is debited (the payout, `processing`) or the debit refused."""
        await workflow.wait_condition(lambda: self._debit is not None)
        assert self._debit is not None
        return self._debit
