"""A local HTTP server that answers like the Stripe API for the calls order-engine makes.

No network here, so the Stripe gateway is tested against this. Shapes follow Stripe's API
reference (PaymentIntent, Refund, search results, card errors); like Stripe it replays a
request with a known Idempotency-Key (a 500 included: Stripe saves it for the key's 24 h), and
refuses a key reused with other parameters. `tok_processingError` creates the intent and then
answers 500, the case where a resend under a new key would charge twice. Switches for the rest:
`reject_key` (401 for every call), `conflicts` (409 lock_timeout for the next N calls),
`refund_status` (`pending` leaves refunds for `settle_refund`), `refund_errors` (the next N
refunds are made, then answered with a 500).
"""

import hashlib
import itertools
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SUCCEEDING = ("tok_visa", "tok_mastercard", "tok_processingError")
DECLINES = {
    "tok_chargeDeclined": "generic_decline",
    "tok_chargeDeclinedInsufficientFunds": "insufficient_funds",
}


class FakeStripe:
    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.created = Counter[str]()
        self._replies: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.reject_key = False
        self.conflicts = 0
        self.refund_status = "succeeded"
        self.refund_errors = 0
        self.app = Starlette(
            routes=[
                Route("/v1/payment_intents", self.create_intent, methods=["POST"]),
                Route("/v1/payment_intents/search", self.search_intents, methods=["GET"]),
                Route("/v1/refunds", self.create_refund, methods=["POST"]),
                Route("/v1/refunds", self.list_refunds, methods=["GET"]),
            ]
        )

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):08d}"

    def _refusal(self) -> JSONResponse | None:
        if self.reject_key:
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided"}
            return JSONResponse({"error": error}, 401)
        if self.conflicts > 0:
            self.conflicts -= 1
            error = {
                "type": "invalid_request_error",
                "code": "lock_timeout",
                "message": "There is currently another in-progress request using this key",
            }
            return JSONResponse({"error": error}, 409)
        return None

    async def _idempotent(self, request: Request, make: Any) -> JSONResponse:
        refused = self._refusal()
        if refused is not None:
            return refused
        form = dict(parse_qsl((await request.body()).decode()))
        key = request.headers.get("Idempotency-Key", "")
        fingerprint = hashlib.sha256(repr(sorted(form.items())).encode()).hexdigest()
        if key in self._replies:
            seen, status, body = self._replies[key]
            if seen != fingerprint:
                return JSONResponse(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the "
                            "same parameters they were first used with.",
                        }
                    },
                    400,
                )
            return JSONResponse(body, status, headers={"Idempotent-Replayed": "true"})
        status, body = make(form)
        self._replies[key] = (fingerprint, status, body)
        return JSONResponse(body, status)

    async def create_intent(self, request: Request) -> JSONResponse:
        return await self._idempotent(request, self._new_intent)

    def _new_intent(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        token = form.get("payment_method_data[card][token]", "")
        key = form.get("metadata[idempotency_key]", "")
        if token not in SUCCEEDING and token not in DECLINES:
            missing = {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such token: '{token}'",
            }
            return 400, {"error": missing}
        intent = {
            "id": self._id("pi"),
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "amount_received": 0,
            "currency": form["currency"],
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "description": form.get("description"),
            "latest_charge": None,
            "last_payment_error": None,
            "livemode": False,
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "payment_method_types": ["card"],
            "status": "succeeded",
            "client_secret": f"pi_secret_{next(self._ids)}",
        }
        self.created[key] += 1
        self.intents[intent["id"]] = intent
        if token in DECLINES:
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": DECLINES[token],
                "message": "Your card was declined.",
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
            return 402, {"error": {**error, "payment_intent": intent}}
        intent.update(amount_received=intent["amount"], latest_charge=self._id("ch"))
        if token == "tok_processingError":
            # Charged, then failed to answer: what a lookup by key must find.
            return 500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}
        return 200, intent

    async def search_intents(self, request: Request) -> JSONResponse:
        refused = self._refusal()
        if refused is not None:
            return refused
        match = re.search(r"metadata\['idempotency_key'\]:'([^']*)'", request.query_params["query"])
        wanted = match[1] if match else None
        data = [i for i in self.intents.values() if i["metadata"].get("idempotency_key") == wanted]
        return JSONResponse(
            {
                "object": "search_result",
                "data": data,
                "has_more": False,
                "next_page": None,
                "url": "/v1/payment_intents/search",
            }
        )

    async def create_refund(self, request: Request) -> JSONResponse:
        return await self._idempotent(request, self._new_refund)

    def _new_refund(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": "No such payment_intent",
                }
            }
        amount = int(form.get("amount", intent["amount"]))
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        if refunded + amount > intent["amount"]:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Refund amount is greater than unrefunded amount",
                }
            }
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "status": self.refund_status,
        }
        self.refunds[refund["id"]] = refund
        if self.refund_errors > 0:
            self.refund_errors -= 1
            # Refunded, then failed to answer: the key replays this 500 from now on.
            return 500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}
        return 200, refund

    async def list_refunds(self, request: Request) -> JSONResponse:
        refused = self._refusal()
        if refused is not None:
            return refused
        intent = request.query_params.get("payment_intent")
        data = [r for r in self.refunds.values() if r["payment_intent"] == intent]
        return JSONResponse(
            {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        )

    def settle_refund(self, refund_id: str, status: str) -> None:
        self.refunds[refund_id]["status"] = status


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_fake_stripe() -> Iterator[tuple[FakeStripe, str]]:
    fake, port = FakeStripe(), free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
