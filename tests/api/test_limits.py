"""The limits of API.md (Conventions, Orders): body size, quantity, open unpaid orders, order
rate, totals that must fit, 401 sentences. Every refusal leaves the database as it was."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import pytest

from api.auth import AUDIENCE, issue_token
from db.tables import IdempotencyRecord, Listing, Order
from domain.contracts import Admission
from tests.api.conftest import SECRET, Api
from tests.api.helpers import order_body, orders_of, rows, seed_order, stock
from tests.support import make_listing

LISTING = {"listing_type": "part", "title": "Brake pads", "unit_price": "10.00"}


async def test_a_body_over_max_body_bytes_is_413_before_it_is_read_whole(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(max_body_bytes=2048)
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        for _ in range(1000):
            consumed += 1
            yield b" " * 512

    async with api.client("seller-1", "seller") as http:
        declared = await http.post("/api/listings/", content=b" " * 5000)
        streamed = await http.post("/api/listings/", content=endless())
        keyed = await http.post(
            "/api/listings/", content=endless(), headers={"Idempotency-Key": "big"}
        )

    for response in (declared, streamed, keyed):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
    assert consumed < 20  # two streams of 1000 chunks: both stopped at the limit
    assert rows(api.settings.database_url, Listing) == 0
    assert rows(api.settings.database_url, IdempotencyRecord) == 0


async def test_quantity_above_max_order_quantity_is_422(api: Api) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url, quantity=500)
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post("/api/orders/", json=order_body(listing_id, quantity=101))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert (rows(url, Order), stock(url, listing_id), api.engine.calls) == (0, 500, [])


async def test_the_sixth_open_unpaid_order_is_429_with_retry_after(api: Api) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url, quantity=10)
    for _ in range(5):
        seed_order(url, "hoarder", listing_id)

    async with api.client("hoarder", "buyer") as http:
        response = await http.post("/api/orders/", json=order_body(listing_id))

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_open_orders"
    assert 1 <= int(response.headers["Retry-After"]) <= 1800
    assert (orders_of(url, "hoarder"), stock(url, listing_id), api.engine.calls) == (5, 5, [])


async def test_admission_refusing_a_sixth_order_in_a_race_is_429(api: Api) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url, quantity=10)
    api.engine.reply = lambda _name, _arg: Admission(accepted=False, reason="too_many_open_orders")
    async with api.client("racer", "buyer") as http:
        response = await http.post("/api/orders/", json=order_body(listing_id))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_open_orders"
    assert "Retry-After" in response.headers
    # The route hands the limit to admission, where it is enforced under a lock.
    assert api.engine.calls[0][2].order.max_open_orders == 5


async def test_order_creation_is_rate_limited_per_buyer(make_api: Callable[..., Api]) -> None:
    # A window of ten years: the test never straddles the wall clock's window boundary.
    api = make_api(order_rate_limit=2, order_rate_window="3650d")
    async with api.client("eager", "buyer") as http:
        statuses = [
            (await http.post("/api/orders/", json=order_body("no-such-listing"))).status_code
            for _ in range(3)
        ]
        last = await http.post("/api/orders/", json=order_body("no-such-listing"))
    async with api.client("calm", "buyer") as http:
        other = await http.post("/api/orders/", json=order_body("no-such-listing"))
    assert statuses == [404, 404, 429]
    assert last.json()["error"]["code"] == "rate_limited"
    assert int(last.headers["Retry-After"]) >= 1
    assert other.status_code == 404


@pytest.mark.parametrize("reply", [False, True])
async def test_an_order_whose_total_does_not_fit_is_422_and_writes_nothing(
    api: Api, reply: bool
) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url, quantity=5, price="99999999.99", fee="0.00")
    quantity = 2
    if reply:  # the price was raised after the route looked: admission refuses it
        quantity = 1
        api.engine.reply = lambda _name, _arg: Admission(
            accepted=False, reason="order_total_too_large"
        )
    async with api.client("big-buyer", "buyer") as http:
        response = await http.post("/api/orders/", json=order_body(listing_id, quantity=quantity))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert (rows(url, Order), stock(url, listing_id)) == (0, 5)
    assert len(api.engine.calls) == (1 if reply else 0)


async def test_a_listing_that_one_unit_of_cannot_be_ordered_is_refused(api: Api) -> None:
    url = api.settings.database_url
    async with api.client("seller-1", "seller") as http:
        created = await http.post(
            "/api/listings/", json={**LISTING, "unit_price": "99999999.99", "shipping_fee": "1.00"}
        )
        ok = await http.post("/api/listings/", json={**LISTING, "unit_price": "99999999.00"})
        raised = await http.patch(
            f"/api/listings/{ok.json()['id']}/", json={"shipping_fee": "5.00"}
        )
    assert (created.status_code, ok.status_code, raised.status_code) == (422, 201, 422)
    assert rows(url, Listing) == 1
    assert ok.json()["shipping_fee"] == "0.00"


def _token(**claims: object) -> str:
    base: dict[str, object] = {"sub": "u1", "roles": ["buyer"], "aud": AUDIENCE}
    base["exp"] = datetime.now(UTC) + timedelta(hours=1)
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (issue_token(SECRET, "u1", ["buyer"], ttl=timedelta(seconds=-5)), "has expired"),
        (issue_token("another-secret-0123456789abcdef01", "u1", ["buyer"]), "signature"),
        (_token(aud="someone-else"), "not issued for this service"),
        ("garbage.\xff\xfe.token", "malformed"),
        ("not-a-jwt", "malformed"),
        (jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256"), "lacks a required claim"),
        (_token(roles=["root"]), "claims are not valid"),
        (jwt.encode({"sub": "u1", "aud": AUDIENCE}, "", algorithm="none"), "malformed"),
    ],
)
async def test_401_says_the_class_of_problem_in_our_words(
    api: Api, token: str, message: str
) -> None:
    async with api.client() as http:
        header = (b"authorization", f"Bearer {token}".encode("latin-1"))
        response = await http.get("/api/orders/", headers=[header])
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_token" and message in error["message"]
    # None of PyJWT's own phrases reach the caller.
    for phrase in ("Signature", "decode", "Invalid", "Not enough segments", "padding"):
        assert phrase not in error["message"]


def test_the_currency_setting_takes_two_decimal_iso_currencies_only() -> None:
    from config import Settings

    assert Settings(currency="EUR").currency == "EUR"
    for refused in ("JPY", "KRW", "BHD", "KWD", "XAU", "usd", "ABC"):
        with pytest.raises(ValueError, match="2 decimal places"):
            Settings(currency=refused)


def test_money_ceiling_is_what_an_order_total_may_reach() -> None:
    from domain.money import MAX_AMOUNT

    assert Decimal("99999999.99") == MAX_AMOUNT
