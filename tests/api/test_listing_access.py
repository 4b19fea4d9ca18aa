"""Only a listing's seller changes it (API.md, Listings): another seller or an admin gets 403."""

import pytest

from db.engine import session_scope
from db.tables import Listing
from tests.api.conftest import Api
from tests.support import make_listing


@pytest.mark.parametrize("caller", [("other-seller", "seller"), ("admin-1", "admin")])
async def test_only_its_seller_changes_a_listing(api: Api, caller: tuple[str, str]) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url, seller_id="seller-1")
    async with api.client(*caller) as http:
        refused = await http.patch(f"/api/listings/{listing_id}/", json={"title": "Mine now"})
    async with api.client("seller-1", "seller") as http:
        taken = await http.patch(f"/api/listings/{listing_id}/", json={"title": "Renamed"})
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "forbidden",
        "message": "Only the listing's seller may change it",
        "details": None,
    }
    assert taken.status_code == 200, taken.text
    with session_scope(url) as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None and listing.title == "Renamed"
