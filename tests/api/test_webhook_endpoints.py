"""The Outbound webhooks routes of API.md through the app: who may make endpoints (403 for a
pure buyer), the secret shown once, own endpoints only (404 for others'), refusals (422), the
delivery log. No connection is opened: URLs are literals, or `localhost` (a hosts-file name)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import session_scope
from db.tables import IdempotencyRecord, WebhookDelivery, WebhookEndpoint, WebhookEvent
from services.webhook_secrets import unseal
from tests.api.conftest import SECRET, Api

SELLER, OTHER, ADMIN, BUYER = "wh-seller", "wh-other", "wh-admin", "wh-buyer"
URL = "https://93.184.215.14/hooks"


async def create(api: Api, sub: str = SELLER, role: str = "seller", **body: Any) -> Any:
    async with api.client(sub, role) as http:
        return await http.post(
            "/api/webhook-endpoints/", json={"url": URL, "events": ["*"], **body}
        )


async def test_a_seller_makes_lists_and_deletes_an_endpoint(api: Api) -> None:
    made = await create(api, events=["order.created", "order.shipped", "order.created"])
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert set(endpoint) == {"id", "url", "events", "created_at", "secret"}
    assert endpoint["events"] == ["order.created", "order.shipped"]
    assert endpoint["secret"].startswith("whsec_")
    with session_scope(api.settings.database_url) as session:
        row = session.get(WebhookEndpoint, endpoint["id"])
        assert row is not None
        assert endpoint["secret"] not in row.secret  # sealed at rest
        assert unseal(row.secret, SECRET) == endpoint["secret"]
        assert (row.owner_id, row.owner_role) == (SELLER, "seller")
    async with api.client(SELLER, "seller") as http:
        listed = await http.get("/api/webhook-endpoints")  # without the slash too
        assert listed.status_code == 200
        page = listed.json()
        assert page["next_cursor"] is None
        assert [e["id"] for e in page["items"]] == [endpoint["id"]]
        assert "secret" not in page["items"][0]  # shown once, never again
        assert (await http.delete(f"/api/webhook-endpoints/{endpoint['id']}")).status_code == 204
        assert (await http.get("/api/webhook-endpoints/")).json()["items"] == []
        again = await http.delete(f"/api/webhook-endpoints/{endpoint['id']}/")
        assert again.status_code == 204  # DELETE is idempotent for its owner
        # Its delivery log stays readable by its owner (and by no one else).
        log = await http.get(f"/api/webhook-endpoints/{endpoint['id']}/deliveries/")
        assert log.status_code == 200
    async with api.client(OTHER, "seller") as other:
        log = await other.get(f"/api/webhook-endpoints/{endpoint['id']}/deliveries/")
        assert log.status_code == 404


async def test_an_admin_makes_one_a_buyer_may_not(api: Api) -> None:
    assert (await create(api, ADMIN, "admin")).status_code == 201
    refused = await create(api, BUYER, "buyer")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    async with api.client() as anonymous:
        assert (await anonymous.get("/api/webhook-endpoints/")).status_code == 401


async def test_another_sellers_endpoint_is_not_found(api: Api) -> None:
    endpoint = (await create(api)).json()
    async with api.client(OTHER, "seller") as other:
        assert (await other.get("/api/webhook-endpoints/")).json()["items"] == []
        gone = await other.delete(f"/api/webhook-endpoints/{endpoint['id']}/")
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "not_found"
        log = await other.get(f"/api/webhook-endpoints/{endpoint['id']}/deliveries/")
        assert log.status_code == 404
    async with api.client(SELLER, "seller") as mine:
        assert len((await mine.get("/api/webhook-endpoints/")).json()["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://93.184.215.14/hooks"},  # plain http
        {"url": "https://10.0.0.1/hooks"},
        {"url": "https://192.168.1.1/"},
        {"url": "https://169.254.169.254/latest/meta-data/"},
        {"url": "https://[fd00::1]/"},
        {"url": "https://[::ffff:10.0.0.1]/"},
        {"url": "https://127.0.0.1/"},  # loopback, not allowed here
        {"url": "http://localhost:9/"},  # a name resolving to loopback
        {"url": "ftp://93.184.215.14/"},
        {"url": "not a url"},
        {"url": ""},
        {"events": []},
        {"events": ["order.teleported"]},
        {"events": ["*", "order.created"]},
        {"events": "order.created"},
        {"events": [1]},
        {"secret": "mine"},  # unknown fields are refused
        {"owner_id": "someone-else"},
    ],
)
async def test_invalid_endpoints_are_422(api: Api, body: dict[str, Any]) -> None:
    answer = await create(api, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"


async def test_loopback_is_accepted_when_allowed(make_api: Any) -> None:
    api = make_api(webhook_allow_loopback=True)
    async with api.client(SELLER, "seller") as http:
        answer = await http.post(
            "/api/webhook-endpoints/",
            json={"url": "http://127.0.0.1:9/hook", "events": ["order.created"]},
        )
        assert answer.status_code == 201, answer.text
        private = await http.post(
            "/api/webhook-endpoints/", json={"url": "http://10.0.0.1/", "events": ["*"]}
        )
        assert private.status_code == 422


async def test_the_delivery_log_shows_attempts_and_the_last_status(api: Api) -> None:
    endpoint = (await create(api)).json()
    at = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
    with session_scope(api.settings.database_url) as session:
        session.add(
            WebhookEvent(
                id="order.created:o-1",
                type="order.created",
                order_id="o-1",
                seller_id=SELLER,
                payload={"id": "o-1"},
                created_at=at,
            )
        )
        session.flush()
        session.add(
            WebhookDelivery(
                id="d-1",
                endpoint_id=endpoint["id"],
                event_id="order.created:o-1",
                status="pending",
                attempts=3,
                last_status_code=500,
                last_error="HTTP 500",
                created_at=at,
            )
        )
    async with api.client(SELLER, "seller") as http:
        log = await http.get(f"/api/webhook-endpoints/{endpoint['id']}/deliveries")
    assert log.status_code == 200, log.text
    assert log.json() == {
        "items": [
            {
                "id": "d-1",
                "event_id": "order.created:o-1",
                "event_type": "order.created",
                "status": "pending",
                "attempts": 3,
                "last_status_code": 500,
                "created_at": "2026-11-29T04:00:00Z",
                "delivered_at": None,
            }
        ],
        "next_cursor": None,
    }


async def test_a_keyed_create_replays_its_secret_but_never_stores_it_in_clear(api: Api) -> None:
    async with api.client(SELLER, "seller") as http:
        headers = {"Idempotency-Key": "make-hook-1"}
        body = {"url": URL, "events": ["order.shipped"]}
        first = await http.post("/api/webhook-endpoints/", json=body, headers=headers)
        again = await http.post("/api/webhook-endpoints", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()  # one endpoint, the same secret
    secret = first.json()["secret"]
    with session_scope(api.settings.database_url) as session:
        stored = session.scalars(select(IdempotencyRecord)).all()
        assert len(stored) == 1 and stored[0].body
        assert secret.encode() not in stored[0].body
        assert session.scalars(select(WebhookEndpoint)).all()[0].id == first.json()["id"]
