"""The input of an order's workflow, built from settings in one place (the API and the tests)."""

from config import Settings
from domain.contracts import NewOrder, OrderInput, OrderTimeouts


def order_input(new: NewOrder, settings: Settings) -> OrderInput:
    return OrderInput(
        order=new,
        timeouts=OrderTimeouts(
            payment=settings.payment_timeout,
            ship=settings.ship_timeout,
            delivery=settings.delivery_timeout,
            bank_transfer=settings.bank_transfer_timeout,
            bank_transfer_grace=settings.bank_transfer_grace,
            gateway_call=settings.gateway_timeout,
            charge_lookup_window=settings.charge_lookup_window,
            escrow_hold=settings.escrow_hold,
            refund_review_reminder=settings.refund_review_reminder,
        ),
        gateway=settings.payment_gateway,
        platform_fee_rate=settings.platform_fee_rate,
    )
