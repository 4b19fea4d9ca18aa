"""What a buyer reads when a payment attempt fails: our sentence, never the gateway's text."""

_MESSAGES = {
    "card_declined": "Your card was declined. Try another card.",
    "insufficient_funds": "Your card has insufficient funds. Try another card.",
    "expired_card": "Your card has expired. Try another card.",
    "invalid_card_token": "The card details could not be used. Enter the card again.",
    "invalid_request": "The card details could not be used. Enter the card again.",
    "idempotency_key_reused": "This payment could not be processed; you were not charged.",
    "processing_error": (
        "We could not process this payment and you were not charged. Please try again later."
    ),
}
_DEFAULT = "The payment was not accepted; you were not charged. Try another card."


def buyer_message(code: str) -> str:
    return _MESSAGES.get(code, _DEFAULT)
