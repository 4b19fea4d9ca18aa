"""Who may do what (domain/permissions.py) and when (domain/order_rules.py), turned into the
API's 403, 409 and 422."""

from typing import Protocol

from api.auth import Principal
from api.errors import ApiError, forbidden
from domain.contracts import INVALID_TRANSITION
from domain.order_rules import Refusal
from domain.order_states import Role
from domain.permissions import Act, Forbidden, check, parts


class HasSeller(Protocol):
    @property
    def seller_id(self) -> str: ...


class HasParties(HasSeller, Protocol):
    @property
    def buyer_id(self) -> str: ...


def parts_of(me: Principal, order: HasParties) -> frozenset[Role]:
    return parts(me.user_id, me.is_admin, order.buyer_id, order.seller_id)


def authorize(act: Act, me: Principal, order: HasParties) -> frozenset[Role]:
    """The caller's parts in the order, or 403 when none of them may take `act`."""
    return _checked(act, parts_of(me, order))


def authorize_listing(act: Act, me: Principal, listing: HasSeller) -> None:
    _checked(act, parts(me.user_id, me.is_admin, None, listing.seller_id))


def _checked(act: Act, caller: frozenset[Role]) -> frozenset[Role]:
    try:
        check(act, caller)
    except Forbidden as refused:
        raise forbidden(str(refused)) from None
    return caller


def authorize_admin(act: Act, me: Principal) -> None:
    """Acts only an admin takes are refused on the token alone, before any lookup."""
    if not me.is_admin:
        raise forbidden(str(Forbidden(act)))


def allow(refusal: Refusal | None) -> None:
    """A refusal naming the request's fields is 422; one the order's state makes is 409."""
    if refusal is None:
        return
    if not refusal.fields:
        raise ApiError(409, INVALID_TRANSITION, refusal.message)
    problems = [{"loc": ["body", field], "msg": refusal.problem} for field in refusal.fields]
    raise ApiError(422, "validation_error", refusal.message, problems)
