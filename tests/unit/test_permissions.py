"""Who may do what to an order (API.md): the rules in domain/permissions.py."""

import pytest

from domain.order_states import Role
from domain.permissions import Act, Forbidden, cancelling_role, check, parts

BUYER, SELLER, ADMIN, STRANGER = "u-buyer", "u-seller", "u-admin", "u-stranger"


def of(user: str, admin: bool = False) -> frozenset[Role]:
    return parts(user, admin, BUYER, SELLER)


@pytest.mark.parametrize(
    ("act", "allowed"),
    [
        (Act.PAY, {"buyer"}),
        (Act.RETRY, {"buyer"}),
        (Act.SHIP, {"seller"}),
        (Act.DELIVER, {"buyer", "admin"}),
        (Act.CANCEL, {"buyer", "seller", "admin"}),
        (Act.DELETE, {"buyer"}),
        (Act.CONFIRM, {"admin"}),
        (Act.RESOLVE, {"admin"}),
        (Act.EDIT_LISTING, {"seller"}),
        (Act.REFUND, {"buyer"}),
        (Act.DECIDE_REFUND, {"admin"}),
        (Act.MANAGE_DISCOUNTS, {"admin"}),
        (Act.APPLY_DISCOUNT, {"buyer"}),
    ],
)
def test_each_act_is_for_the_parts_api_md_names(act: Act, allowed: set[str]) -> None:
    callers = {"buyer": of(BUYER), "seller": of(SELLER), "admin": of(ADMIN, admin=True)}
    for name, caller in callers.items():
        if name in allowed:
            check(act, caller)
        else:
            with pytest.raises(Forbidden):
                check(act, caller)
    with pytest.raises(Forbidden):
        check(act, of(STRANGER))


def test_the_strongest_part_decides_how_late_one_may_cancel() -> None:
    assert cancelling_role(of(BUYER)) is Role.BUYER
    assert cancelling_role(of(SELLER)) is Role.SELLER
    assert cancelling_role(parts(BUYER, True, BUYER, SELLER)) is Role.ADMIN
    with pytest.raises(Forbidden):
        cancelling_role(of(STRANGER))


def test_in_a_listing_the_caller_is_its_seller_an_admin_or_nobody() -> None:
    assert parts(SELLER, False, None, SELLER) == {Role.SELLER}
    assert parts(ADMIN, True, None, SELLER) == {Role.ADMIN}
    assert parts(BUYER, False, None, SELLER) == set()
    with pytest.raises(Forbidden, match="Only the listing's seller may change it"):
        check(Act.EDIT_LISTING, parts(ADMIN, True, None, SELLER))
