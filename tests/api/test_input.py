"""What the fuzzing run found (issue 6, point 8), kept fixed: strict money strings, NUL
characters, extreme cursors, one code for a malformed body, only payment methods the engine
can take, bounded card tokens. Every refusal is a 4xx in the envelope and changes nothing."""

import base64

import pytest

from db.tables import Listing, Payment
from tests.api.conftest import Api
from tests.api.helpers import ADDRESS_JSON, add_payment, order_body, rows, seed_order

LISTING = {"listing_type": "part", "title": "Brake pads"}


# Arabic-Indic and full-width digits, exponents, underscores, signs, junk, too many places.
NOT_MONEY = ["-0", "-0.00", "1e2", "1_0", "+5", "\u0665", "\uff15", "0E+999999999", " 5", "5 "]
NOT_MONEY += ["5x", "5.001", "1.", ".5", "NaN", "Infinity", "0x10", "", "100000000.00"]


@pytest.mark.parametrize("amount", [*NOT_MONEY, 1.5, 7, True])
async def test_money_is_a_plain_decimal_string_with_at_most_two_places(
    api: Api, amount: object
) -> None:
    async with api.client("seller-1", "seller") as http:
        response = await http.post("/api/listings/", json={**LISTING, "unit_price": amount})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert rows(api.settings.database_url, Listing) == 0


@pytest.mark.parametrize(("amount", "shown"), [("5", "5.00"), ("5.5", "5.50"), ("7.05", "7.05")])
async def test_plain_amounts_are_taken(api: Api, amount: object, shown: str) -> None:
    async with api.client("seller-1", "seller") as http:
        response = await http.post("/api/listings/", json={**LISTING, "unit_price": amount})
    assert response.status_code == 201
    assert response.json()["unit_price"] == shown


async def test_nul_characters_are_refused_in_bodies_paths_and_queries(api: Api) -> None:
    url = api.settings.database_url
    address = {**ADDRESS_JSON, "city": "Spring\x00field"}
    async with api.client("buyer-1", "buyer", "seller") as http:
        listing = await http.post("/api/listings/", json={**LISTING, "title": "a\x00b"})
        order = await http.post("/api/orders/", json=order_body("x", shipping_address=address))
        path = await http.get("/api/orders/abc%00def/")
        query = await http.get("/api/listings/", params={"seller_id": "a\x00"})
    for response in (listing, order, path, query):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
    assert rows(url, Listing) == 0 and api.engine.calls == []


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:00:00+14:00|x", "9999-12-31T23:59:59-14:00|x", "2026-01-01|a\x00"]
)
@pytest.mark.parametrize("path", ["/api/orders/", "/api/listings/", "/api/payments/"])
async def test_a_cursor_with_an_extreme_time_zone_is_422(api: Api, raw: str, path: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    async with api.client("buyer-1", "buyer") as http:
        response = await http.get(path, params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_bad_utf8_and_bad_json_are_one_code_and_one_sentence(api: Api) -> None:
    headers = {"Content-Type": "application/json"}
    async with api.client("seller-1", "seller") as http:
        undecodable = await http.post(
            "/api/listings/", content=b'{"title": "\xff\xfe"}', headers=headers
        )
        malformed = await http.post("/api/listings/", content=b'{"title": ', headers=headers)
    assert undecodable.status_code == malformed.status_code == 400
    one, other = undecodable.json()["error"], malformed.json()["error"]
    assert one["code"] == other["code"] == "malformed_body"
    assert one["message"] == other["message"]


@pytest.mark.parametrize(
    ("method", "token", "code"),
    [
        ("paypal", "tok_visa", "payment_method_unavailable"),
        ("wallet", "tok_visa", "validation_error"),
        ("other", "tok_visa", "payment_method_unavailable"),
        ("credit_card", "tok_" + "x" * 96, "validation_error"),
        ("credit_card", "4242424242424242", "validation_error"),
        ("credit_card", "tok_vi sa", "validation_error"),
        ("credit_card", None, "validation_error"),
        ("bank_transfer", "tok_visa", "validation_error"),
    ],
)
async def test_a_payment_the_engine_cannot_take_is_refused_before_it_starts(
    api: Api, method: str, token: str | None, code: str
) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    body = {"order_id": order_id, "payment_method": method, "card_token": token}
    async with api.client("payer", "buyer") as http:
        response = await http.post("/api/payments/", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if code == "payment_method_unavailable":
        assert "pay by card" in error["message"]
    assert (rows(url, Payment), api.engine.calls) == (0, [])


async def test_a_retry_by_bank_transfer_is_refused_with_a_clear_code(api: Api) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    add_payment(url, order_id, "pay-1", "failed")
    async with api.client("payer", "buyer") as http:
        response = await http.post(
            "/api/payments/pay-1/retry/", json={"payment_method": "bank_transfer"}
        )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "payment_method_unavailable"
    assert "retried by card" in error["message"]
    assert api.engine.calls == []


async def test_only_the_orders_current_payment_can_be_retried(api: Api) -> None:
    url = api.settings.database_url
    order_id = seed_order(url, "payer")
    add_payment(url, order_id, "pay-old", "failed")
    add_payment(url, order_id, "pay-new", "failed")  # the buyer paid again meanwhile
    async with api.client("payer", "buyer") as http:
        response = await http.post("/api/payments/pay-old/retry/", json={"card_token": "tok_visa"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert api.engine.calls == []
