"""Every route that waits on Temporal answers in bounded time: 503 `engine_unavailable`, with
`details` naming what was created, never a 500 or a hang (API.md, Conventions)."""

import time

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.contracts import Admission
from tests.api.conftest import HANG, Api
from tests.api.helpers import order_body, seed_order
from tests.support import make_listing

WAIT = 0.3


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production bounds are 10 s (creation) and 25 s (the rest); the logic is the same."""
    monkeypatch.setattr("api.order_flow.ADMISSION_WAIT", WAIT)
    monkeypatch.setattr("api.workflow_calls.ENGINE_WAIT", WAIT)
    monkeypatch.setattr("api.order_create.PAY_AFTER_ADMISSION_WAIT", WAIT)


async def test_a_create_the_engine_never_answers_is_503_naming_the_order(api: Api) -> None:
    listing_id = make_listing(api.settings.database_url)
    started = time.monotonic()
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post("/api/orders/", json=order_body(listing_id))
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "engine_unavailable"
    assert api.engine.calls[0][0] == f"order-{error['details']['order_id']}"


async def test_a_create_with_payment_whose_payment_hangs_is_503_naming_both(api: Api) -> None:
    listing_id = make_listing(api.settings.database_url)
    admitted = Admission(accepted=True, order_number="ORD-2026-000001")
    api.engine.reply = lambda name, _arg: admitted if name == "admitted" else HANG
    body = order_body(listing_id, payment={"payment_method": "bank_transfer"})
    started = time.monotonic()
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post("/api/orders/", json=body)
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    details = response.json()["error"]["details"]
    assert details["order_id"] and details["payment_id"]
    assert [call[1] for call in api.engine.calls] == ["admitted", "request_bank_transfer"]


@pytest.mark.parametrize(
    ("path", "body", "roles"),
    [
        ("confirm/", None, ("admin",)),
        ("ship/", {"tracking_number": "1Z"}, ("seller",)),
        ("deliver/", None, ("buyer",)),
    ],
)
async def test_a_step_the_engine_never_answers_is_503(
    api: Api, path: str, body: dict[str, str] | None, roles: tuple[str, ...]
) -> None:
    url = api.settings.database_url
    listing_id = make_listing(url, seller_id="seller-1")
    order_id = seed_order(url, "buyer-1", listing_id)
    user = {"seller": "seller-1", "buyer": "buyer-1", "admin": "admin-1"}[roles[0]]
    async with api.client(user, *roles) as http:
        response = await http.post(f"/api/orders/{order_id}/{path}", json=body)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "engine_unavailable"


async def test_a_bank_transfer_the_engine_never_answers_is_503_naming_the_payment(
    api: Api,
) -> None:
    order_id = seed_order(api.settings.database_url, "buyer-1")
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post(
            "/api/payments/", json={"order_id": order_id, "payment_method": "bank_transfer"}
        )
    assert response.status_code == 503
    details = response.json()["error"]["details"]
    assert details["workflow_id"] == f"order-{order_id}" and details["payment_id"]


async def test_an_engine_that_is_down_is_503_not_500(api: Api) -> None:
    def down(_name: str, _arg: object) -> None:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    api.engine.reply = down
    order_id = seed_order(api.settings.database_url, "buyer-1")
    async with api.client("buyer-1", "buyer") as http:
        response = await http.post(f"/api/orders/{order_id}/deliver/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "engine_unavailable"
