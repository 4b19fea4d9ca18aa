from itertools import product

import pytest

from domain.order_states import (
    InvalidTransition,
    OrderAction,
    OrderStatus,
    Role,
    is_final,
    next_status,
)

S, A = OrderStatus, OrderAction

ALLOWED = {
    (S.PENDING, A.PAY): S.CONFIRMED,
    (S.PENDING, A.CONFIRM): S.CONFIRMED,
    (S.CONFIRMED, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.DELIVER): S.DELIVERED,
    (S.PENDING, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.SHIPPED, A.CANCEL): S.CANCELLED,
}
REFUSED = [pair for pair in product(S, A) if pair not in ALLOWED]


@pytest.mark.parametrize(("status", "action"), list(ALLOWED))
def test_allowed_transitions(status: OrderStatus, action: OrderAction) -> None:
    assert next_status(status, action) is ALLOWED[(status, action)]


@pytest.mark.parametrize(("status", "action"), REFUSED)
@pytest.mark.parametrize("role", list(Role))
def test_refused_transitions_raise(status: OrderStatus, action: OrderAction, role: Role) -> None:
    with pytest.raises(InvalidTransition) as raised:
        next_status(status, action, role)
    assert (raised.value.status, raised.value.action) == (status, action)
    assert action.value in str(raised.value) and status.value in str(raised.value)


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER])
@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED])
def test_buyer_and_seller_cancel_before_shipment(role: Role, status: OrderStatus) -> None:
    assert next_status(status, A.CANCEL, role) is S.CANCELLED


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER])
def test_buyer_and_seller_cannot_cancel_after_shipment(role: Role) -> None:
    with pytest.raises(InvalidTransition):
        next_status(S.SHIPPED, A.CANCEL, role)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SYSTEM])
@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED, S.SHIPPED])
def test_admin_and_system_cancel_until_delivery(role: Role, status: OrderStatus) -> None:
    assert next_status(status, A.CANCEL, role) is S.CANCELLED


@pytest.mark.parametrize("status", [S.DELIVERED, S.CANCELLED, S.REFUNDED])
@pytest.mark.parametrize("action", list(A))
@pytest.mark.parametrize("role", list(Role))
def test_nothing_leaves_a_final_status(
    status: OrderStatus, action: OrderAction, role: Role
) -> None:
    assert is_final(status)
    with pytest.raises(InvalidTransition):
        next_status(status, action, role)


@pytest.mark.parametrize("status", [S.PENDING, S.CONFIRMED, S.SHIPPED])
def test_open_statuses_are_not_final(status: OrderStatus) -> None:
    assert not is_final(status)
