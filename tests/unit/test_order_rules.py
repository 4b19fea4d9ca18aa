"""What the API refuses before asking the workflow (API.md, Orders and Payments): the rules in
domain/order_rules.py."""

import pytest

from domain.order_rules import delete_refusal, edit_refusal, editable_fields, retry_refusal
from domain.order_states import OrderStatus, Role

BUYER, SELLER, ADMIN = frozenset({Role.BUYER}), frozenset({Role.SELLER}), frozenset({Role.ADMIN})
ADDRESS = {"name": "A", "line1": "1 Road", "city": "Town", "postal_code": "1", "country": "DE"}
OPEN = ("pending", "confirmed")
CLOSED = ("shipped", "delivered", "cancelled", "refunded")


def test_the_buyer_edits_addresses_and_notes_the_seller_only_their_notes() -> None:
    assert editable_fields(BUYER) == {"shipping_address", "billing_address", "buyer_notes"}
    assert editable_fields(SELLER) == {"seller_notes"}
    assert editable_fields(BUYER | SELLER) == editable_fields(BUYER) | editable_fields(SELLER)
    assert editable_fields(ADMIN) == set()


@pytest.mark.parametrize("status", OPEN)
@pytest.mark.parametrize(
    "changes",
    [
        {"shipping_address": ADDRESS},
        {"billing_address": ADDRESS},
        {"billing_address": None},
        {"buyer_notes": "leave at the door"},
        {"shipping_address": ADDRESS, "billing_address": ADDRESS, "buyer_notes": None},
        {},
    ],
)
def test_the_buyer_edits_their_details_while_pending_or_confirmed(
    changes: dict[str, object], status: str
) -> None:
    assert edit_refusal(changes, BUYER, status) is None


@pytest.mark.parametrize("status", CLOSED)
def test_the_buyers_details_are_fixed_once_the_order_moved_on(status: str) -> None:
    refusal = edit_refusal({"buyer_notes": "x"}, BUYER, status)
    assert refusal is not None
    assert refusal.fields == ()  # the state refuses it: a conflict, not a bad request
    assert refusal.message == f"Addresses and notes are fixed once the order is {status}"


@pytest.mark.parametrize("status", OPEN + CLOSED)
def test_the_seller_edits_their_notes_in_any_state(status: str) -> None:
    assert edit_refusal({"seller_notes": "packed"}, SELLER, status) is None


@pytest.mark.parametrize(
    ("caller", "changes", "refused"),
    [
        (
            SELLER,
            {"buyer_notes": "x", "shipping_address": ADDRESS},
            ("buyer_notes", "shipping_address"),
        ),
        (BUYER, {"seller_notes": "x", "buyer_notes": "y"}, ("seller_notes",)),
        (ADMIN, {"seller_notes": "x"}, ("seller_notes",)),
    ],
)
def test_anything_else_is_refused_field_by_field(
    caller: frozenset[Role], changes: dict[str, object], refused: tuple[str, ...]
) -> None:
    refusal = edit_refusal(changes, caller, "pending")
    assert refusal is not None
    assert (refusal.message, refusal.fields, refusal.problem) == (
        "You may not change these fields",
        refused,
        "not editable by you",
    )


def test_the_shipping_address_may_be_changed_but_never_removed() -> None:
    # Checked first: even a caller who may not edit it learns that it cannot go.
    for caller in (BUYER, SELLER):
        refusal = edit_refusal({"shipping_address": None}, caller, "pending")
        assert refusal is not None
        assert (refusal.message, refusal.fields, refusal.problem) == (
            "shipping_address cannot be removed",
            ("shipping_address",),
            "must not be null",
        )


@pytest.mark.parametrize(
    ("status", "payment", "allowed"),
    [
        ("pending", None, True),
        ("pending", "failed", True),
        ("pending", "processing", False),
        ("pending", "pending", False),  # a bank transfer asked for
        ("pending", "completed", False),
        *((s, None, False) for s in OrderStatus if s != OrderStatus.PENDING),
    ],
)
def test_only_a_pending_unpaid_order_can_be_deleted(
    status: str, payment: str | None, allowed: bool
) -> None:
    refusal = delete_refusal(status, payment)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert (refusal.message, refusal.fields) == (
            "Only a pending, unpaid order can be deleted",
            (),
        )


RETRY_REFUSED = "Only a failed payment of a pending order can be retried"


@pytest.mark.parametrize("keyed", [False, True])
def test_a_failed_payment_of_a_pending_order_is_retried(keyed: bool) -> None:
    assert retry_refusal("pay-1", "failed", "pay-1", "pending", keyed) is None


@pytest.mark.parametrize("keyed", [False, True])
def test_only_the_orders_current_payment_is_retried(keyed: bool) -> None:
    for current in ("pay-2", None):
        refusal = retry_refusal("pay-1", "failed", current, "pending", keyed)
        assert refusal is not None
        assert refusal.message == "Only the order's current payment can be retried"


@pytest.mark.parametrize(
    ("payment", "order"),
    [
        ("completed", "confirmed"),
        ("processing", "pending"),
        ("pending", "pending"),
        ("failed", "cancelled"),
        ("cancelled", "cancelled"),
        ("refunded", "refunded"),
    ],
)
def test_anything_but_a_failed_payment_of_a_pending_order_is_refused(
    payment: str, order: str
) -> None:
    refusal = retry_refusal("pay-1", payment, "pay-1", order, keyed=False)
    assert refusal is not None
    assert (refusal.message, refusal.fields) == (RETRY_REFUSED, ())


@pytest.mark.parametrize(
    ("payment", "order"), [("processing", "pending"), ("completed", "confirmed")]
)
def test_a_keyed_repeat_finds_its_own_first_run_and_goes_on_to_the_workflow(
    payment: str, order: str
) -> None:
    assert retry_refusal("pay-1", payment, "pay-1", order, keyed=True) is None


@pytest.mark.parametrize("payment", ["pending", "cancelled", "refunded"])
def test_a_key_lets_through_only_the_states_a_first_run_leads_to(payment: str) -> None:
    refusal = retry_refusal("pay-1", payment, "pay-1", "pending", keyed=True)
    assert refusal is not None and refusal.message == RETRY_REFUSED
