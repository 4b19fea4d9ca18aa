"""The Discounts section of API.md through the app, with the fake engine: the fields, who may do
what (401, 403, 404), validation (422, never a 500), the list's scoping, validate's reasons, and
the apply route's call of the order's workflow and its refusals."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from db.engine import session_scope
from domain.contracts import DiscountCommand
from services import discounts
from tests.api.conftest import Api
from tests.api.helpers import seed_order

DISCOUNT_FIELDS = {
    "id",
    "code",
    "description",
    "discount_type",
    "discount_value",
    "max_discount_amount",
    "min_order_amount",
    "max_uses",
    "max_uses_per_user",
    "status",
    "valid_from",
    "valid_until",
    "times_used",
    "created_at",
    "updated_at",
}
ADMIN, BUYER = "admin-1", "buyer-1"
NOW = datetime.now(UTC)


def terms(**extra: Any) -> dict[str, Any]:
    return {
        "code": f"Save{uuid.uuid4().hex[:8]}",
        "discount_type": "percentage",
        "discount_value": "10.00",
        **extra,
    }


async def create(api: Api, **extra: Any) -> dict[str, Any]:
    async with api.client(ADMIN, "admin") as http:
        answer = await http.post("/api/discounts/", json=terms(**extra))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def test_an_admin_creates_reads_and_changes_a_code(api: Api) -> None:
    until = (NOW + timedelta(days=30)).isoformat()
    created = await create(
        api, max_discount_amount="50", max_uses=5, max_uses_per_user=1, valid_until=until
    )
    assert set(created) == DISCOUNT_FIELDS
    assert (created["discount_value"], created["max_discount_amount"]) == ("10.00", "50.00")
    assert (created["status"], created["times_used"], created["min_order_amount"]) == (
        "active",
        0,
        None,
    )
    url = f"/api/discounts/{created['id']}/"
    async with api.client(ADMIN, "admin") as http:
        assert (await http.get(url)).json() == created
        changed = await http.patch(url, json={"status": "inactive", "min_order_amount": "20.00"})
        assert changed.status_code == 200, changed.text
        assert (changed.json()["status"], changed.json()["min_order_amount"]) == (
            "inactive",
            "20.00",
        )
        cleared = await http.patch(url.rstrip("/"), json={"max_uses": None})
        assert cleared.status_code == 200 and cleared.json()["max_uses"] is None
        assert (await http.get("/api/discounts/unknown/")).status_code == 404
        assert (await http.patch("/api/discounts/unknown/", json={})).status_code == 404


async def test_codes_are_unique_whatever_their_case(api: Api) -> None:
    created = await create(api)
    async with api.client(ADMIN, "admin") as http:
        again = await http.post("/api/discounts/", json=terms(code=created["code"].lower()))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "discount_code_taken"


async def test_only_admins_keep_codes(api: Api) -> None:
    created = await create(api)
    url = f"/api/discounts/{created['id']}/"
    async with api.client(BUYER, "buyer", "seller") as http:
        assert (await http.post("/api/discounts/", json=terms())).status_code == 403
        assert (await http.get(url)).status_code == 403
        assert (await http.patch(url, json={"status": "inactive"})).status_code == 403
    async with api.client() as anonymous:
        for method, path in [("GET", "/api/discounts/"), ("GET", url), ("PATCH", url)]:
            assert (await anonymous.request(method, path, json={})).status_code == 401
        for path in ("/api/discounts/", "/api/discounts/validate/", "/api/discounts/apply/"):
            assert (await anonymous.post(path, json={})).status_code == 401


async def test_everyone_lists_the_active_codes_admins_all(api: Api) -> None:
    live = await create(api)
    off = await create(api, status="inactive")
    expired = await create(api, valid_until=(NOW - timedelta(days=1)).isoformat())
    assert expired["status"] == "expired"
    async with api.client(BUYER, "buyer") as http:
        shown = {d["id"] for d in (await http.get("/api/discounts/")).json()["items"]}
        hidden = (await http.get("/api/discounts/?status=inactive")).json()["items"]
    assert live["id"] in shown and not {off["id"], expired["id"]} & shown and hidden == []
    async with api.client(ADMIN, "admin") as http:
        everything = await http.get("/api/discounts/", params={"limit": 2})
        page = everything.json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = await http.get("/api/discounts/", params={"cursor": page["next_cursor"]})
        ids = {d["id"] for d in page["items"] + rest.json()["items"]}
        assert {live["id"], off["id"], expired["id"]} <= ids
        only = (await http.get("/api/discounts/?status=expired")).json()["items"]
        assert [d["id"] for d in only] == [expired["id"]]


@pytest.mark.parametrize(
    "body",
    [
        terms(discount_value="100.01"),
        terms(discount_value="0"),
        terms(discount_value=10),
        terms(discount_value="1e3"),
        terms(discount_type="free"),
        terms(code="two words"),
        terms(code=""),
        terms(code="x" * 65),
        terms(max_uses=-1),
        terms(max_uses=10**12),
        terms(times_used=3),
        terms(status="expired"),
        terms(valid_from="2026-01-02T00:00:00Z", valid_until="2026-01-01T00:00:00Z"),
        terms(valid_until="2026-01-01T00:00:00"),  # no zone
        terms(valid_until="0001-01-01T00:00:00+14:00"),
        terms(valid_until="9999-12-31T23:59:59-14:00"),
        terms(description="nul\x00"),
        {"code": "ONLY"},
    ],
)
async def test_bad_terms_are_422(api: Api, body: dict[str, Any]) -> None:
    async with api.client(ADMIN, "admin") as http:
        answer = await http.post("/api/discounts/", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"


async def test_a_patch_is_checked_with_what_it_keeps(api: Api) -> None:
    created = await create(api, discount_type="fixed", discount_value="500.00")
    url = f"/api/discounts/{created['id']}/"
    async with api.client(ADMIN, "admin") as http:
        for body in (
            {"discount_type": "percentage"},  # 500 %
            {"discount_value": None},
            {"code": "OTHER"},
            {"valid_from": "2030-01-01T00:00:00Z", "valid_until": "2029-01-01T00:00:00Z"},
        ):
            answer = await http.patch(url, json=body)
            assert answer.status_code == 422, (body, answer.text)
        assert (await http.get(url)).json() == created


async def test_validate_answers_every_reason(api: Api) -> None:
    open_code = await create(api, min_order_amount="50.00", max_discount_amount="15.00")
    off = await create(api, status="inactive")
    later = await create(api, valid_from=(NOW + timedelta(days=1)).isoformat())
    used_up = await create(api, max_uses=0)
    once = await create(api, max_uses_per_user=1)
    with session_scope(api.settings.database_url) as session:
        discounts.reserve(session, once["code"], BUYER, str(uuid.uuid4()), Decimal("100.00"), NOW)
    cases = [
        (open_code["code"].lower(), "200.00", True, "15.00", None),
        (open_code["code"], "100.00", True, "10.00", None),
        (open_code["code"], "49.99", False, "0.00", "min_order_not_met"),
        ("NO-SUCH-CODE", "10.00", False, "0.00", "not_found"),
        (off["code"], "10.00", False, "0.00", "inactive"),
        (later["code"], "10.00", False, "0.00", "not_yet_valid"),
        (used_up["code"], "10.00", False, "0.00", "max_uses_reached"),
        (once["code"], "10.00", False, "0.00", "max_uses_per_user_reached"),
    ]
    async with api.client(BUYER, "buyer") as http:
        for code, amount, valid, off_amount, reason in cases:
            answer = await http.post(
                "/api/discounts/validate/", json={"code": code, "order_amount": amount}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json() == {
                "valid": valid,
                "discount_amount": off_amount,
                "reason": reason,
            }, code
        for bad in ({"code": "X"}, {"code": "X", "order_amount": "-1.00"}, {"order_amount": "1"}):
            assert (await http.post("/api/discounts/validate/", json=bad)).status_code == 422
    async with api.client("someone-else", "seller") as http:
        answer = await http.post(
            "/api/discounts/validate/", json={"code": once["code"], "order_amount": "10.00"}
        )
    assert answer.json()["valid"] is True


async def test_the_buyer_applies_a_code_through_the_order_workflow(api: Api) -> None:
    order_id = seed_order(api.settings.database_url, BUYER)
    api.engine.reply = lambda _name, _command: "pending"
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post(
            "/api/discounts/apply/",
            json={"code": "summer10", "order_id": order_id},
            headers={"Idempotency-Key": "a1"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == order_id and "timeline" in answer.json()
    [(workflow_id, update, command, update_id)] = api.engine.calls
    assert (workflow_id, update) == (f"order-{order_id}", "apply_discount")
    assert command == DiscountCommand(code="summer10", actor=BUYER)
    assert update_id is not None


async def test_only_the_buyer_applies(api: Api) -> None:
    order_id = seed_order(api.settings.database_url, BUYER)
    body = {"code": "summer10", "order_id": order_id}
    async with api.client(ADMIN, "admin") as http:
        assert (await http.post("/api/discounts/apply/", json=body)).status_code == 403
    async with api.client("stranger", "buyer", "seller") as http:
        answer = await http.post("/api/discounts/apply/", json=body)
        assert answer.status_code == 404
        missing = {"code": "summer10", "order_id": str(uuid.uuid4())}
        assert (await http.post("/api/discounts/apply/", json=missing)).status_code == 404
    async with api.client(BUYER, "buyer") as http:
        for bad in ({"code": "x"}, {**body, "extra": 1}, {**body, "code": ""}):
            assert (await http.post("/api/discounts/apply/", json=bad)).status_code == 422
    assert api.engine.calls == []


@pytest.mark.parametrize(
    ("failure", "status", "code", "details"),
    [
        (
            WorkflowUpdateFailedError(
                ApplicationError("refused", {"reason": "max_uses_reached"}, type="discount_invalid")
            ),
            422,
            "discount_invalid",
            {"reason": "max_uses_reached"},
        ),
        (
            # The reason alone as the details is read the same way.
            WorkflowUpdateFailedError(
                ApplicationError("refused", "inactive", type="discount_invalid")
            ),
            422,
            "discount_invalid",
            {"reason": "inactive"},
        ),
        (
            WorkflowUpdateFailedError(ApplicationError("paid", type="invalid_transition")),
            409,
            "invalid_transition",
            None,
        ),
        (
            WorkflowUpdateFailedError(ApplicationError("charging", type="payment_in_progress")),
            409,
            "payment_in_progress",
            None,
        ),
        (
            RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b""),
            409,
            "invalid_transition",
            None,
        ),
    ],
)
async def test_the_workflows_refusals(
    api: Api, failure: Exception, status: int, code: str, details: Any
) -> None:
    order_id = seed_order(api.settings.database_url, BUYER)

    def reply(_name: str, _command: Any) -> Any:
        raise failure

    api.engine.reply = reply
    async with api.client(BUYER, "buyer") as http:
        answer = await http.post(
            "/api/discounts/apply/", json={"code": "summer10", "order_id": order_id}
        )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["details"] == details


async def test_validate_and_apply_are_not_discount_ids(api: Api) -> None:
    async with api.client(ADMIN, "admin") as http:
        for path in ("/api/discounts/validate/", "/api/discounts/apply", "/api/discounts/apply/"):
            for method in ("GET", "PATCH"):
                answer = await http.request(method, path, json={})
                assert answer.status_code == 405, (method, path, answer.text)
                assert answer.headers["allow"] == "POST"
