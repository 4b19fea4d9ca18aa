"""Who may do what (domain/permissions.py), turned into the API's 403."""

from typing import Protocol

from api.auth import Principal
from api.errors import ApiError
from domain.order_states import Role
from domain.permissions import Act, Forbidden, check, parts


class HasParties(Protocol):
    @property
    def buyer_id(self) -> str: ...

    @property
    def seller_id(self) -> str: ...


def authorize(act: Act, me: Principal, order: HasParties) -> frozenset[Role]:
    """The caller's parts in the order, or 403 when none of them may take `act`."""
    caller = parts(me.user_id, me.is_admin, order.buyer_id, order.seller_id)
    try:
        check(act, caller)
    except Forbidden as refused:
        raise ApiError(403, "forbidden", str(refused)) from None
    return caller


def authorize_admin(act: Act, me: Principal) -> None:
    """Acts only an admin takes are refused on the token alone, before any lookup."""
    if not me.is_admin:
        raise ApiError(403, "forbidden", str(Forbidden(act)))
