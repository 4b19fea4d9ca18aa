"""Schemathesis over every operation of /openapi.json, against the whole stack over TCP (on
PostgreSQL where one is reachable).

Each operation gets positive and negative requests, as a buyer, a seller, an admin and a user with
both trading roles, half of them aimed at real objects (a listing, an order with a declined payment,
its invoice, a notification). Every answer must be documented (status, content type, headers,
body schema), never a 5xx other than a documented 503, and every 4xx is the error envelope.
Bounded: MAX_EXAMPLES requests per operation, no shrinking.
"""

import asyncio
import contextlib
import importlib
import json
import os
import pkgutil
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from config import Settings
from tests.e2e.conftest import Stack, party_on
from tests.e2e.flows import list_item, pay, place_order

# A deeper hunt: ORDER_ENGINE_FUZZ_EXAMPLES=500 pytest tests/e2e/test_fuzz.py
MAX_EXAMPLES = int(os.environ.get("ORDER_ENGINE_FUZZ_EXAMPLES", "75"))
# API.md: every request answers within 30 s.
ANSWER_WITHIN = 30


def _import_schemathesis() -> None:
    """Schemathesis imports most of itself on first use, and pytest compiles it afresh (a pytest
    plugin's modules get their asserts rewritten). Done here, in the main thread: compiled in the
    fuzzing thread while another thread compiles, Python 3.11 can fail with "SystemError: AST
    constructor recursion depth mismatch"."""
    for module in pkgutil.walk_packages(schemathesis.__path__, "schemathesis."):
        with contextlib.suppress(ImportError):
            importlib.import_module(module.name)


_import_schemathesis()
DOCUMENT = create_app(Settings()).openapi()
# Writes first, reads last: the reads (an admin's included) then go over all the writes made.
OPERATIONS = sorted(
    (f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item),
    key=lambda label: (label.startswith("GET "), label),
)


@dataclass
class World:
    tokens: list[str]
    ids: dict[str, str]
    # Orders are aimed at either: the dearest listing that can be listed, too (bounds compose).
    listings: list[str]


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Stack:
    """PostgreSQL, the production database and the stricter one (column lengths, NUL); SQLite
    where none is reachable (CI always has one)."""
    try:
        built: Stack = request.getfixturevalue("pg_stack")
    except pytest.skip.Exception:
        built = request.getfixturevalue("stack")
    return built


@pytest.fixture
async def world(target: Stack) -> World:
    """Fresh objects for each operation: a pending order whose card was declined, so that every
    step (pay, retry, cancel, edit, ...) still has something to do."""
    async with party_on(target) as party:
        seller, buyer = party.seller, party.buyer
        listing = await list_item(seller, quantity=1000)
        dearest = await list_item(seller, quantity=1000, price="99999999.99", fee="0.00")
        order = await place_order(buyer, listing["id"])
        payment = await pay(buyer, order["id"], "tok_chargeDeclined")
        notes = (await buyer.get("/api/notifications/")).json()["items"]
    ids = {
        "listing_id": listing["id"],
        "order_id": order["id"],
        "payment_id": payment["id"],
        "invoice_id": order["invoice_id"],
    }
    if notes:
        ids["notification_id"] = notes[0]["id"]
    tokens = [
        target.token(party.buyer_id, "buyer"),
        target.token(party.seller_id, "seller"),
        target.token(party.admin_id, "admin"),
        target.token(party.stranger_id, "buyer", "seller"),
    ]
    return World(tokens, ids, [listing["id"], dearest["id"]])


def no_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 500 is a bug; a 503 only where the operation documents it."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code >= 500 and not (response.status_code == 503 and "503" in documented):
        raise AssertionError(f"{response.status_code}: {response.text[:500]}")
    return None


def error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every error, documented or not (405 included), has API.md's one shape."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.text)
    except ValueError:
        raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, body
    assert isinstance(error["code"], str) and error["code"].islower(), body
    assert isinstance(error["message"], str) and error["message"], body
    return None


CHECKS = [
    no_server_error,
    error_envelope,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def aim(case: Case, ids: dict[str, str], listing_id: str) -> Case:
    """Point the ids a valid body names at real objects, so that creations get past the 404, and
    give it a key of its own: Hypothesis repeats its keys, and a reused one is only ever a 409."""
    if isinstance(case.body, dict):
        if "listing_id" in case.body:
            case.body["listing_id"] = listing_id
        if "order_id" in case.body:
            case.body["order_id"] = ids["order_id"]
    for name in list(case.headers or {}):
        if name.lower() == "idempotency-key":
            case.headers[name] = str(uuid.uuid4())
    return case


def fuzz(base_url: str, document: dict[str, Any], label: str, world: World) -> None:
    operation = schemathesis.openapi.from_dict(document).find_operation_by_label(label)
    assert operation is not None, label
    definition = operation.definition.raw
    takes_input = bool(definition.get("parameters") or definition.get("requestBody"))
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input else [])
    names = [p["name"] for p in definition.get("parameters", []) if p["in"] == "path"]
    real = {name: world.ids[name] for name in names if name in world.ids}
    aimed = bool(real) or "requestBody" in definition
    strategies = []
    for token in world.tokens:
        headers = {"Authorization": f"Bearer {token}"}
        if aimed:  # first: Hypothesis draws the first branches most often
            strategies.append(
                st.tuples(
                    operation.as_strategy(headers=headers, path_parameters=real or None),
                    st.sampled_from(world.listings),
                ).map(lambda drawn: aim(drawn[0], world.ids, drawn[1]))
            )
        strategies += [operation.as_strategy(mode, headers=headers) for mode in modes]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Case) -> None:
        case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=ANSWER_WITHIN)

    run()


async def test_served_document_is_the_one_fuzzed(stack: Stack) -> None:
    async with stack.client() as anonymous:
        served = (await anonymous.get("/openapi.json")).json()
    assert served == DOCUMENT


@pytest.mark.parametrize("label", OPERATIONS)
async def test_operation(target: Stack, world: World, label: str) -> None:
    await asyncio.to_thread(fuzz, target.base_url, DOCUMENT, label, world)


def test_document_speaks_the_envelope() -> None:
    assert "HTTPValidationError" not in json.dumps(DOCUMENT)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == error, (method, path, status)
    metrics = DOCUMENT["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert set(metrics) == {"text/plain"}


async def test_405_names_every_method_of_the_path(stack: Stack) -> None:
    async with stack.client() as anonymous:
        for path, item in DOCUMENT["paths"].items():
            allowed = sorted(method.upper() for method in item)
            other = next(m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in allowed)
            for variant in {path, path.rstrip("/") or "/"}:
                url = variant.replace("{", "").replace("}", "")  # any id will do
                response = await anonymous.request(other, url)
                assert response.status_code == 405, (other, url, response.text)
                assert response.headers["allow"] == ", ".join(allowed), (other, url)
                assert response.json()["error"]["code"] == "method_not_allowed"
