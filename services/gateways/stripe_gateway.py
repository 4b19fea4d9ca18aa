"""The Stripe gateway, on the official `stripe` package: PaymentIntents confirmed at once,
refunds, our idempotency keys as Stripe's, and every Stripe error mapped to one of ours.

Mapping (services/gateways/base.py): a card error is a decline; a rate limit, a concurrent
request on the same key (409) and a connection refused before sending are transient; a bad key
or a missing permission is a misconfiguration; a 5xx, a timeout or a connection lost after
sending is an unknown outcome. Stripe replays a saved 500 under its key for 24 h and may have
charged behind it, so it is looked up by the key in the intent's metadata, never resent as new.
"""

from typing import Any

import stripe

from domain.contracts import (
    ChargeLookup,
    ChargeRequest,
    ChargeResult,
    RefundLookup,
    RefundRequest,
    RefundResult,
)
from domain.money import to_minor_units
from services.gateways.base import (
    GatewayMisconfigured,
    GatewayUnavailable,
    OutcomeUnknown,
    PaymentDeclined,
)
from services.gateways.stripe_errors import never_sent

_DECLINE_CODES = {"insufficient_funds": "insufficient_funds", "expired_card": "expired_card"}
# A card that needs the buyer's action (3-D Secure) cannot be completed by an API-only charge.
_DECLINED = ("requires_payment_method", "canceled", "requires_action", "requires_confirmation")
# The intent's client secret lets a browser confirm it: it is kept nowhere, histories included.
_SECRET_FIELDS = ("client_secret",)


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
            return ChargeResult(transaction_id=intent.id, gateway_response=_public(intent))
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
                result=ChargeResult(transaction_id=intent.id, gateway_response=_public(intent)),
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
            "metadata": {
                "payment_id": request.payment_id,
                "idempotency_key": request.idempotency_key,
            },
        }
        refund = _call(
            lambda: self._client.v1.refunds.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        )
        return _refund_result(refund)

    def find_refund(self, request: RefundRequest) -> RefundLookup:
        params: Any = {"payment_intent": request.transaction_id, "limit": 100}
        refunds = _call(lambda: self._client.v1.refunds.list(params=params))
        for refund in refunds.data:
            metadata = refund.metadata.to_dict() if refund.metadata else {}
            if metadata.get("idempotency_key") != request.idempotency_key:
                continue
            if refund.status in ("failed", "canceled"):
                reason = getattr(refund, "failure_reason", None) or refund.status
                return RefundLookup(status="failed", error_message=reason)
            result = _refund_result(refund)
            return RefundLookup(status=result.status, result=result)
        return RefundLookup(status="not_found")


def _refund_result(refund: Any) -> RefundResult:
    if refund.status in ("failed", "canceled"):
        reason = getattr(refund, "failure_reason", None) or refund.status
        raise PaymentDeclined("refund_failed", f"Stripe refund {refund.id}: {reason}")
    return RefundResult(
        refund_id=refund.id,
        gateway_response=_public(refund),
        status="succeeded" if refund.status == "succeeded" else "pending",
    )


def _public(obj: Any) -> dict[str, Any]:
    answer: dict[str, Any] = obj.to_dict()
    return {key: value for key, value in answer.items() if key not in _SECRET_FIELDS}


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
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        raise GatewayMisconfigured(f"Stripe refused our credentials: {error}") from None
    except stripe.RateLimitError as error:
        raise GatewayUnavailable(str(error)) from None
    except stripe.APIConnectionError as error:
        if never_sent(error):
            raise GatewayUnavailable(str(error)) from None
        raise OutcomeUnknown(str(error)) from None
    except stripe.StripeError as error:
        if error.http_status != 409 and error.code != "lock_timeout":
            raise _unknown_or_refused(error) from None
        # Another request with this key is still running at Stripe: ask again later.
        raise GatewayUnavailable(str(error)) from None
    except Exception as error:
        # Raised inside the client while the request was on its way: it may have arrived.
        raise OutcomeUnknown(f"{type(error).__name__}: {error}") from None


def _unknown_or_refused(error: stripe.StripeError) -> Exception:
    """A request Stripe refused as invalid is final; anything else (a 5xx, an error type
    added later) may have acted, so it is an unknown outcome, asked after by key."""
    if isinstance(error, stripe.InvalidRequestError):
        return PaymentDeclined("invalid_request", error.user_message or str(error))
    return OutcomeUnknown(f"{type(error).__name__}: {error}")


def _decline_code(stripe_code: str | None) -> str:
    return _DECLINE_CODES.get(stripe_code or "", "card_declined")
