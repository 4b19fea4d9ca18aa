"""TopUpWorkflow (`topup-{id}`): a card charge through the gateway conversation the orders use,
keyed by the top-up's id, then the credit clearing → the user's wallet under the same id. A
declined card credits nothing; an unknown outcome is looked up by the key, never resent blindly.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow

from workflows.step_options import db_step

with workflow.unsafe.imports_passed_through():
    from activities.wallets import WalletActivities
    from domain.contracts import ChargeRequest, ChargeResult, OrderTimeouts
    from domain.wallet_contracts import (
        TopUpBegun,
        TopUpInput,
        TopUpSettled,
        TopUpView,
        WalletAlert,
    )
    from workflows.gateway_conversation import GatewayConversation, Refusal, _known

# No admin resolves a top-up by hand: after the lookup window it is asked again this often.
OPS_RECHECK = timedelta(hours=6)


class TopUpConversation(GatewayConversation):
    """The orders' conversation, its order-only steps replaced: no order row to mark unknown,
    and alerts go to the admins' inbox under the top-up's key."""

    def __init__(self, params: TopUpInput) -> None:
        # Only the gateway's two timeouts of OrderTimeouts are read by the conversation.
        zero = timedelta(0)
        timeouts = OrderTimeouts(
            payment=zero,
            ship=zero,
            delivery=zero,
            gateway_call=params.gateway_call,
            charge_lookup_window=params.charge_lookup_window,
        )
        super().__init__(params.topup_id, timeouts)
        self._topup_id = params.topup_id

    async def _note_unknown(self, request: ChargeRequest, attempt: int) -> None:
        self.unknown_payment = request.payment_id
        workflow.logger.warning("top-up %s: the charge's outcome is unknown", self._topup_id)

    async def _ask_ops(self, key: str) -> ChargeResult | Refusal:
        await self.alert(
            f"charge_unresolved:{key}",
            "A top-up's charge needs a look",
            f"The gateway has not told us whether top-up {self._topup_id}'s charge succeeded; "
            "it is asked again every few hours and credited once it answers.",
        )
        while True:
            await self._news_or(OPS_RECHECK)
            known = _known(await self._find(key))
            if known is not None:
                return known

    async def alert(self, key: str, title: str, body: str) -> None:
        workflow.logger.error("top-up %s: %s: %s", self._topup_id, title, body)
        alert = WalletAlert(
            key=f"{self._topup_id}:{key}", title=title, body=body, at=workflow.now()
        )
        await db_step(WalletActivities.alert_wallet_admins, alert)


@workflow.defn
class TopUpWorkflow:
    @workflow.init
    def __init__(self, params: TopUpInput) -> None:
        self._params = params
        self._view: TopUpView | None = None
        self._settled = False

    @workflow.run
    async def run(self, params: TopUpInput) -> TopUpView:
        begun = TopUpBegun(
            topup_id=params.topup_id,
            user_id=params.user_id,
            amount=params.amount,
            currency=params.currency,
            gateway=params.gateway,
            at=workflow.now(),
        )
        self._view = await db_step(WalletActivities.begin_topup, begun)
        request = ChargeRequest(
            payment_id=params.topup_id,
            idempotency_key=f"topup:{params.topup_id}",
            amount=params.amount,
            currency=params.currency,
            card_token=params.card_token,
            description="Wallet top-up",
        )
        outcome = await TopUpConversation(params).charge(request, attempt=1)
        if isinstance(outcome, Refusal):
            settled = TopUpSettled(
                topup_id=params.topup_id,
                status="failed",
                error_code=outcome.code,
                error_message=outcome.message,
                at=workflow.now(),
            )
        else:
            settled = TopUpSettled(
                topup_id=params.topup_id,
                status="completed",
                transaction_id=outcome.transaction_id,
                at=workflow.now(),
            )
        self._view = await db_step(WalletActivities.settle_topup, settled)
        self._settled = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view

    @workflow.update
    async def answer(self) -> TopUpView:
        """The top-up with its outcome if the charge ends within the answer wait, else as it
        stands (`processing`): the API's request waits on this."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._settled, timeout=self._params.answer_wait)
        await workflow.wait_condition(lambda: self._view is not None)
        assert self._view is not None
        return self._view
