"""Who may do what to an order (or a listing), beside the state machine that says when.

A caller's parts in an order come from the order itself (its buyer, its seller) and the token
(admin); each act names the parts allowed to take it. Whether the state allows it is
order_states' business, asked after this one.
"""

from enum import StrEnum

from domain.order_states import Role


class Act(StrEnum):
    PAY = "pay"
    RETRY = "retry"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"
    DELETE = "delete"
    CONFIRM = "confirm"
    RESOLVE = "resolve"
    EDIT_LISTING = "edit_listing"
    REFUND = "refund"
    DECIDE_REFUND = "decide_refund"
    MANAGE_DISCOUNTS = "manage_discounts"
    APPLY_DISCOUNT = "apply_discount"


ALLOWED: dict[Act, frozenset[Role]] = {
    Act.PAY: frozenset({Role.BUYER}),
    Act.RETRY: frozenset({Role.BUYER}),
    Act.SHIP: frozenset({Role.SELLER}),
    Act.DELIVER: frozenset({Role.BUYER, Role.ADMIN}),
    Act.CANCEL: frozenset({Role.BUYER, Role.SELLER, Role.ADMIN}),
    Act.DELETE: frozenset({Role.BUYER}),
    Act.CONFIRM: frozenset({Role.ADMIN}),
    Act.RESOLVE: frozenset({Role.ADMIN}),
    Act.EDIT_LISTING: frozenset({Role.SELLER}),
    Act.REFUND: frozenset({Role.BUYER}),
    Act.DECIDE_REFUND: frozenset({Role.ADMIN}),
    Act.MANAGE_DISCOUNTS: frozenset({Role.ADMIN}),
    Act.APPLY_DISCOUNT: frozenset({Role.BUYER}),
}

REFUSALS: dict[Act, str] = {
    Act.PAY: "Only the order's buyer pays it",
    Act.RETRY: "Only the order's buyer pays it",
    Act.SHIP: "Only the order's seller ships it",
    Act.DELIVER: "Only the buyer or an admin confirms delivery",
    Act.CANCEL: "Only the order's buyer, its seller or an admin cancels it",
    Act.DELETE: "Only the buyer may delete an order",
    Act.CONFIRM: "Only an admin records an offline payment",
    Act.RESOLVE: "Only an admin resolves a payment",
    Act.EDIT_LISTING: "Only the listing's seller may change it",
    Act.REFUND: "Only the order's buyer asks for a refund",
    Act.DECIDE_REFUND: "Only an admin approves, rejects or completes a refund",
    Act.MANAGE_DISCOUNTS: "Only an admin creates, reads or changes a discount code",
    Act.APPLY_DISCOUNT: "Only the order's buyer applies a discount code to it",
}


class Forbidden(Exception):
    def __init__(self, act: Act) -> None:
        super().__init__(REFUSALS[act])
        self.act = act


def parts(user_id: str, is_admin: bool, buyer_id: str | None, seller_id: str) -> frozenset[Role]:
    """The caller's parts in one order (in a listing, which nobody has bought: `buyer_id` None)."""
    found = {Role.ADMIN} if is_admin else set()
    if user_id == buyer_id:
        found.add(Role.BUYER)
    if user_id == seller_id:
        found.add(Role.SELLER)
    return frozenset(found)


def check(act: Act, caller_parts: frozenset[Role]) -> None:
    if not caller_parts & ALLOWED[act]:
        raise Forbidden(act)


def cancelling_role(caller_parts: frozenset[Role]) -> Role:
    """The most powerful of the caller's parts decides how late they may cancel."""
    for role in (Role.ADMIN, Role.BUYER, Role.SELLER):
        if role in caller_parts:
            return role
    raise Forbidden(Act.CANCEL)
