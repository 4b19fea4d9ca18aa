"""Outbound webhook event types (API.md, Outbound webhooks) and which endpoint hears what."""

from collections.abc import Sequence

EVENT_TYPES = (
    "order.created",
    "order.confirmed",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "payment.failed",
    "refund.requested",
    "refund.completed",
    "refund.rejected",
    "payout.completed",
)
ALL = "*"

# How long the engine keeps retrying a delivery before it is `failed`.
RETRY_DAYS = 3


def normalized_events(events: Sequence[str]) -> list[str]:
    """The endpoint's subscription: ["*"], or known types once each in the given order.
    Raises ValueError naming what is wrong."""
    if not events:
        raise ValueError('events must list at least one event type, or be ["*"]')
    if ALL in events:
        if len(set(events)) > 1:
            raise ValueError('"*" already means every event type: list it alone')
        return [ALL]
    unknown = [event for event in events if event not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return list(dict.fromkeys(events))


def subscribed(events: Sequence[str], event_type: str) -> bool:
    return ALL in events or event_type in events
