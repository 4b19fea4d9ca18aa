"""Payment gateways behind one interface."""

from config import Settings
from services.gateways.base import PaymentGateway
from services.gateways.sandbox import SandboxGateway
from services.gateways.stripe_gateway import StripeGateway


def build_gateway(settings: Settings) -> PaymentGateway:
    if settings.payment_gateway == "sandbox":
        return SandboxGateway(
            settings.database_url,
            delay_before_charge=settings.sandbox_delay_before_charge.total_seconds(),
            delay_after_charge=settings.sandbox_delay_after_charge.total_seconds(),
            lost_answers=settings.sandbox_lost_answers,
            lost_before_booking=settings.sandbox_lost_before_booking,
            pending_lookups=settings.sandbox_pending_lookups,
        )
    return StripeGateway(settings.stripe_api_key, settings.stripe_api_base or None)
