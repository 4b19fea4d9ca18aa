"""When the API itself refuses a request, for what no workflow update guards: editing an
order's details, deleting it, retrying its payment (API.md, Orders and Payments).

Who may take an act at all is permissions' business, asked first; these rules say what the
request and the order's state allow then. Each answers with the refusal, or None.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from domain.order_states import OrderStatus, Role

BUYER_FIELDS = frozenset({"shipping_address", "billing_address", "buyer_notes"})
SELLER_FIELDS = frozenset({"seller_notes"})
# The buyer's addresses and notes; the seller's notes stay theirs to change at any time.
EDITABLE_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})


@dataclass(frozen=True)
class Refusal:
    """`fields`: the request's fields at fault, each for `problem` (invalid: 422); none: the
    order's state refuses it (a conflict: 409)."""

    message: str
    fields: tuple[str, ...] = ()
    problem: str = ""


def editable_fields(caller_parts: frozenset[Role]) -> frozenset[str]:
    """The buyer's addresses and notes, the seller's notes; an admin edits nothing."""
    fields: frozenset[str] = frozenset()
    if Role.BUYER in caller_parts:
        fields |= BUYER_FIELDS
    if Role.SELLER in caller_parts:
        fields |= SELLER_FIELDS
    return fields


def edit_refusal(
    changes: Mapping[str, object], caller_parts: frozenset[Role], status: str
) -> Refusal | None:
    if "shipping_address" in changes and changes["shipping_address"] is None:
        return Refusal(
            "shipping_address cannot be removed", ("shipping_address",), "must not be null"
        )
    refused = tuple(sorted(set(changes) - editable_fields(caller_parts)))
    if refused:
        return Refusal("You may not change these fields", refused, "not editable by you")
    if set(changes) & BUYER_FIELDS and status not in EDITABLE_STATUSES:
        return Refusal(f"Addresses and notes are fixed once the order is {status}")
    return None


def delete_refusal(status: str, payment_status: str | None) -> Refusal | None:
    """Deleting cancels an order nobody has paid: pending, with no payment or a failed one."""
    if status != OrderStatus.PENDING or payment_status not in (None, "failed"):
        return Refusal("Only a pending, unpaid order can be deleted")
    return None


def retry_refusal(
    payment_id: str,
    payment_status: str,
    current_payment_id: str | None,
    order_status: str,
    keyed: bool,
) -> Refusal | None:
    """Only the order's current payment, failed, of a pending order.

    `keyed`: the request carries an Idempotency-Key. A keyed repeat whose first answer was lost
    finds the payment moved on by its own first run: the workflow knows the update id and
    answers with the first outcome (it refuses anything else), so the states a first run leads
    to are let through to it.
    """
    if current_payment_id != payment_id:
        # An older attempt of this order, superseded by a newer payment: that one is retried.
        return Refusal("Only the order's current payment can be retried")
    repeat = keyed and payment_status in ("processing", "completed")
    if not repeat and (payment_status != "failed" or order_status != OrderStatus.PENDING):
        return Refusal("Only a failed payment of a pending order can be retried")
    return None
