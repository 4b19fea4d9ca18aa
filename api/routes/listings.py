"""Listings: what sellers sell. The order takes its price from here, never from the buyer."""

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query

from api.access import authorize_listing
from api.db import in_transaction, reading
from api.deps import PrincipalDep, SettingsDep, require_role
from api.errors import ApiError, not_found
from api.params import Cursor, Limit
from api.routing import SlashRouter
from api.schemas import ListingCreate, ListingOut, ListingPatch, Page
from db.tables import Listing
from domain.money import MAX_AMOUNT
from domain.permissions import Act
from services import listings

router = SlashRouter(tags=["listings"])


@router.post("/api/listings/", status_code=201, response_model=ListingOut)
async def create_listing(body: ListingCreate, me: PrincipalDep, settings: SettingsDep) -> Listing:
    require_role(me, "seller")
    fields = body.model_dump(exclude={"currency"})
    currency = body.currency or settings.currency
    if currency != settings.currency:
        # Amounts go to gateways in cents; one currency of two decimals until more are needed.
        raise ApiError(
            422,
            "validation_error",
            f"Listings are priced in {settings.currency}",
            [{"loc": ["body", "currency"], "msg": f"must be {settings.currency}"}],
        )
    _check_one_unit_fits(body.unit_price, body.shipping_fee)
    return await in_transaction(
        settings.database_url, lambda s: listings.create(s, me.user_id, currency, fields)
    )


@router.get("/api/listings/", response_model=Page[ListingOut])
async def list_listings(
    me: PrincipalDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    seller_id: Annotated[str | None, Query(max_length=255)] = None,
    listing_type: Literal["car", "part"] | None = None,
    status: Literal["active", "sold_out", "inactive"] | None = None,
) -> dict[str, object]:
    filters = {"seller_id": seller_id, "listing_type": listing_type, "status": status}
    items, next_cursor = await reading(
        settings.database_url, lambda s: listings.find(s, filters, limit, cursor)
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/api/listings/{listing_id}/", response_model=ListingOut)
async def get_listing(listing_id: str, me: PrincipalDep, settings: SettingsDep) -> Listing:
    listing = await reading(settings.database_url, lambda s: s.get(Listing, listing_id))
    if listing is None:
        raise not_found("listing")
    return listing


@router.patch("/api/listings/{listing_id}/", response_model=ListingOut)
async def patch_listing(
    listing_id: str, body: ListingPatch, me: PrincipalDep, settings: SettingsDep
) -> Listing:
    changes = body.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise ApiError(422, "validation_error", "Fields may be changed but not set to null")
    current = await reading(settings.database_url, lambda s: s.get(Listing, listing_id))
    if current is None:
        raise not_found("listing")
    authorize_listing(Act.EDIT_LISTING, me, current)
    _check_one_unit_fits(
        current.unit_price if body.unit_price is None else body.unit_price,
        current.shipping_fee if body.shipping_fee is None else body.shipping_fee,
    )
    updated = await in_transaction(
        settings.database_url, lambda s: listings.update(s, listing_id, changes)
    )
    if updated is None:
        raise not_found("listing")
    return updated


def _check_one_unit_fits(unit_price: Decimal, shipping_fee: Decimal) -> None:
    """Bounds compose: one unit of what is listed, with its fee, must make a valid order."""
    if unit_price + shipping_fee > MAX_AMOUNT:
        raise ApiError(
            422,
            "validation_error",
            f"unit_price plus shipping_fee must be at most {MAX_AMOUNT}",
            [{"loc": ["body", "unit_price"], "msg": f"with the fee, above {MAX_AMOUNT}"}],
        )
