"""The Stripe gateway, on the official `stripe` package: PaymentIntents confirmed at once,
refunds, our idempotency keys as Stripe's, and Stripe's errors mapped to ours.

Mapping: a card error is a decline (non-retryable); rate limits and Stripe's 5xx are transient
(the engine sends the same request again, and Stripe replays it under the same key); a
connection error may have happened after Stripe charged, so it is an unknown outcome, resolved
by searching the PaymentIntent by the key we put in its metadata.
"""

from typing import Any

import stripe

from domain.money import to_minor_units
from services.gateways.base import GatewayUnavailable, OutcomeUnknown, PaymentDeclined
from workflows.contracts import (
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundRequest,
    RefundResult,
)

_DECLINE_CODES = {"insufficient_funds": "insufficient_funds", "expired_card": "expired_card"}
# A card that needs the buyer's action (3-D Secure) cannot be completed by an API-only charge.
_DECLINED = ("requires_payment_method", "canceled", "requires_action", "requires_confirmation")


class StripeGateway:
    name = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        if not api_key:
            raise ValueError("the stripe gateway needs ORDER_ENGINE_STRIPE_API_KEY")
        # Retries belong to the engine, with the same idempotency key; none inside the client.
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=0,
        )

    def charge(self, request: ChargeRequest) -> ChargeResult:
        params: Any = {
            "amount": to_minor_units(request.amount),
            "currency": request.currency.lower(),
            "confirm": True,
            "payment_method_data": {"type": "card", "card": {"token": request.card_token}},
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "description": request.description,
            "metadata": {
                "order_id": request.order_id or "",
                "payment_id": request.payment_id,
                "idempotency_key": request.idempotency_key,
            },
        }
        intent = _call(
            lambda: self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        )
        if intent.status == "succeeded":
            return ChargeResult(transaction_id=intent.id, gateway_response=intent.to_dict())
        if intent.status in _DECLINED:
            raise PaymentDeclined("card_declined", "The card was declined.")
        raise OutcomeUnknown(f"payment intent {intent.id} is {intent.status}")

    def find_charge(self, idempotency_key: str) -> ChargeLookup:
        query = f"metadata['idempotency_key']:'{idempotency_key}'"
        found = _call(lambda: self._client.v1.payment_intents.search(params={"query": query}))
        if not found.data:
            return ChargeLookup(status="not_found")
        intent = found.data[0]
        if intent.status == "succeeded":
            return ChargeLookup(
                status="succeeded",
                result=ChargeResult(transaction_id=intent.id, gateway_response=intent.to_dict()),
            )
        if intent.status in _DECLINED:
            error = intent.last_payment_error
            code = _decline_code(getattr(error, "decline_code", None))
            return ChargeLookup(
                status="declined",
                error_code=code,
                error_message=getattr(error, "message", None) or "declined",
            )
        return ChargeLookup(status="pending")

    def refund(self, request: RefundRequest) -> RefundResult:
        params: Any = {
            "payment_intent": request.transaction_id,
            "amount": to_minor_units(request.amount),
            "metadata": {"payment_id": request.payment_id},
        }
        refund = _call(
            lambda: self._client.v1.refunds.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        )
        return RefundResult(refund_id=refund.id, gateway_response=refund.to_dict())


def _call(request: Any) -> Any:
    try:
        return request()
    except stripe.CardError as error:
        raise PaymentDeclined(
            _decline_code(error.error.decline_code if error.error else None),
            error.user_message or "The card was declined.",
        ) from None
    except stripe.IdempotencyError:
        raise PaymentDeclined(
            "idempotency_key_reused", "Stripe saw this key with other parameters."
        ) from None
    except stripe.InvalidRequestError as error:
        raise PaymentDeclined("invalid_request", error.user_message or str(error)) from None
    except (stripe.RateLimitError, stripe.APIError) as error:
        raise GatewayUnavailable(str(error)) from None
    except stripe.APIConnectionError as error:
        raise OutcomeUnknown(str(error)) from None


def _decline_code(stripe_code: str | None) -> str:
    return _DECLINE_CODES.get(stripe_code or "", "card_declined")
