"""Payment gateways behind one interface."""

from config import Settings
from services.gateways.base import PaymentGateway
from services.gateways.sandbox import SandboxGateway


def build_gateway(settings: Settings) -> PaymentGateway:
    if settings.payment_gateway == "sandbox":
        return SandboxGateway(
            settings.database_url,
            delay_before_charge=settings.sandbox_delay_before_charge.total_seconds(),
            delay_after_charge=settings.sandbox_delay_after_charge.total_seconds(),
            lost_answers=settings.sandbox_lost_answers,
        )
    raise ValueError(f"payment gateway {settings.payment_gateway!r} is not available yet")
