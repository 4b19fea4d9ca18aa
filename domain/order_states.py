"""The order state machine: which action each status allows, and where it leads."""

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class OrderAction(StrEnum):
    PAY = "pay"
    CONFIRM = "confirm"
    SHIP = "ship"
    DELIVER = "deliver"
    CANCEL = "cancel"


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"
    SYSTEM = "system"


_NEXT: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (OrderStatus.PENDING, OrderAction.PAY): OrderStatus.CONFIRMED,
    (OrderStatus.PENDING, OrderAction.CONFIRM): OrderStatus.CONFIRMED,
    (OrderStatus.CONFIRMED, OrderAction.SHIP): OrderStatus.SHIPPED,
    (OrderStatus.SHIPPED, OrderAction.DELIVER): OrderStatus.DELIVERED,
    (OrderStatus.PENDING, OrderAction.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.CONFIRMED, OrderAction.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.SHIPPED, OrderAction.CANCEL): OrderStatus.CANCELLED,
}

# Buyers and sellers may cancel only before shipment; admins and the engine until delivery.
_CANCELLABLE_BY: dict[Role, frozenset[OrderStatus]] = {
    Role.BUYER: frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED}),
    Role.SELLER: frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED}),
    Role.ADMIN: frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SHIPPED}),
    Role.SYSTEM: frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SHIPPED}),
}


class InvalidTransition(Exception):
    def __init__(self, status: OrderStatus, action: OrderAction) -> None:
        super().__init__(f"cannot {action.value} an order that is {status.value}")
        self.status = status
        self.action = action


def next_status(status: OrderStatus, action: OrderAction, role: Role = Role.SYSTEM) -> OrderStatus:
    target = _NEXT.get((status, action))
    if target is None:
        raise InvalidTransition(status, action)
    if action is OrderAction.CANCEL and status not in _CANCELLABLE_BY[role]:
        raise InvalidTransition(status, action)
    return target


def is_final(status: OrderStatus) -> bool:
    return status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
