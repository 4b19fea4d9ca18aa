"""Discount codes (API.md, Discounts): admin create, read, change; everyone lists the active
ones and validates a code; the buyer applies one to a pending order."""

from fastapi import Query
from starlette.convertors import Convertor, register_url_convertor

from api import discount_flow
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep
from api.discount_schemas import (
    DiscountApply,
    DiscountCreate,
    DiscountOut,
    DiscountPatch,
    DiscountValidate,
    DiscountValidity,
)
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import OrderDetail, Page
from domain.discounts import DiscountStatus

router = SlashRouter(tags=["discounts"])


class _DiscountId(Convertor[str]):
    """Any path segment but `validate` and `apply`: those paths take POST alone, and a GET or
    PATCH there is a 405 (with an Allow header that says so), not a lookup of a discount."""

    regex = r"(?!(?:validate|apply)(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("discount_id", _DiscountId())


@router.post("/api/discounts/", status_code=201, response_model=DiscountOut)
async def create_discount(
    body: DiscountCreate, me: PrincipalDep, settings: SettingsDep
) -> DiscountOut:
    return await discount_flow.create(body, me, settings)


@router.get("/api/discounts/", response_model=Page[DiscountOut])
async def list_discounts(
    me: PrincipalDep,
    settings: SettingsDep,
    status: DiscountStatus | None = Query(None),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, object]:
    return await discount_flow.find(me, settings, status, limit, cursor)


@router.post("/api/discounts/validate/", response_model=DiscountValidity)
async def validate_discount(
    body: DiscountValidate, me: PrincipalDep, settings: SettingsDep
) -> DiscountValidity:
    return await discount_flow.validate(body, me, settings)


@router.post("/api/discounts/apply/", response_model=OrderDetail)
async def apply_discount(
    body: DiscountApply, me: PrincipalDep, settings: SettingsDep, client: ClientDep, keyed: KeyedDep
) -> OrderDetail:
    return await discount_flow.apply(body, me, settings, client, keyed)


@router.get("/api/discounts/{discount_id:discount_id}/", response_model=DiscountOut)
async def get_discount(discount_id: str, me: PrincipalDep, settings: SettingsDep) -> DiscountOut:
    return await discount_flow.get(discount_id, me, settings)


@router.patch("/api/discounts/{discount_id:discount_id}/", response_model=DiscountOut)
async def patch_discount(
    discount_id: str, body: DiscountPatch, me: PrincipalDep, settings: SettingsDep
) -> DiscountOut:
    return await discount_flow.patch(discount_id, body, me, settings)
