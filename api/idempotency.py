"""Idempotency-Key on POSTs (API.md, Idempotency): same caller, key and body within 24 h get the
first answer again, byte for byte; the same key with another body is a 409.

An ASGI middleware, because the answer has to be recorded exactly as it was sent. The key also
names what the request creates (see `derived_id`), so even a request whose answer was never
recorded (the API died mid-way) finds the same order or payment when it is sent again.
"""

import asyncio
import hashlib
import json
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import InvalidToken, decode_token
from api.db import in_transaction
from api.errors import envelope
from api.limits import RequestGuard
from config import Settings
from db.types import utcnow
from domain.contracts import PAYMENT_IN_PROGRESS
from services import idempotency
from services.idempotency import StoredResponse
from services.webhook_secrets import SecretUnreadable, seal_bytes, unseal_bytes

HEADER = b"idempotency-key"
# How long a repeat waits for the first request with its key to finish before giving up;
# under API.md's 30 s for every answer.
WAIT_FOR_FIRST = 25.0
# Where the middleware leaves the key's generation for the route (request.state).
GENERATION = "idempotency_generation"
# Answers that show a secret once: stored sealed with it (services/webhook_secrets.py).
SECRET_ANSWERS = frozenset({"/api/webhook-endpoints"})
_NAMESPACE = uuid.UUID("6f1c1bde-3a53-4d0e-9a43-8d0a3b6d5a10")


def derived_id(user_id: str, key: str, purpose: str, generation: str | None = None) -> str:
    """The id of what a keyed request creates: the same for every repeat of that request, and
    another once the key is used again after its 24 h (a new generation of the key)."""
    name = f"{purpose}\n{user_id}\n{key}"
    return str(uuid.uuid5(_NAMESPACE, name if generation is None else f"{name}\n{generation}"))


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        # The size and NUL guard goes in front: a body is counted as it streams in, before
        # the key's bookkeeping below reads it whole.
        self._entry = RequestGuard(self._keyed, settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._entry(scope, receive, send)

    async def _keyed(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            await envelope(
                422,
                "validation_error",
                "Idempotency-Key must be 1 to 255 characters",
                [{"loc": ["header", "Idempotency-Key"]}],
            )(scope, receive, send)
            return
        user_id = self._caller(scope)
        if user_id is None:  # the route answers 401; nothing to remember
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away mid-upload: nothing to run or remember
            return
        fingerprint = hashlib.sha256(
            # `/api/orders/` and `/api/orders` are one path (API.md): one fingerprint.
            b"\0".join([scope["method"].encode(), scope["path"].rstrip("/").encode(), body])
        ).hexdigest()
        outcome = await self._claim(user_id, key, fingerprint)
        if isinstance(outcome, StoredResponse):
            try:
                await _replay(self._opened(scope, outcome), send)
            except SecretUnreadable:
                await envelope(
                    409,
                    "idempotency_key_reused",
                    "The first answer to this Idempotency-Key can no longer be read; use a new key",
                )(scope, receive, send)
        elif outcome == "mismatch":
            await envelope(
                409, "idempotency_key_reused", "This Idempotency-Key was used with another request"
            )(scope, receive, send)
        elif outcome == "busy":
            await envelope(
                409,
                "idempotency_key_in_progress",
                "A request with this Idempotency-Key is still running; retry shortly",
            )(scope, receive, send)
        else:
            # The routes derive the ids of what they create from the key's generation.
            scope.setdefault("state", {})[GENERATION] = outcome.generation
            await self._run_and_record(scope, body, send, user_id, key)

    def _caller(self, scope: Scope) -> str | None:
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return decode_token(token.strip(), self.settings.jwt_secret).user_id
        except InvalidToken:
            return None

    async def _claim(self, user_id: str, key: str, fingerprint: str) -> idempotency.Claim:
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while True:
            outcome = await in_transaction(
                self.settings.database_url,
                lambda s: idempotency.claim(s, user_id, key, fingerprint, utcnow()),
            )
            if outcome != "busy" or time.monotonic() > deadline:
                return outcome
            await asyncio.sleep(0.05)

    async def _release(self, user_id: str, key: str, forget: bool) -> None:
        await in_transaction(
            self.settings.database_url,
            lambda s: idempotency.release(s, user_id, key, utcnow(), forget),
        )

    async def _run_and_record(
        self, scope: Scope, body: bytes, send: Send, user_id: str, key: str
    ) -> None:
        status, content_type, chunks = 500, None, []
        sent_body = False

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                content_type = headers.get(b"content-type", b"").decode("latin-1") or None
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        url = self.settings.database_url
        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self._release(user_id, key, forget=False)
            raise
        # Not answers to remember: those that say "try again" (our failures, a rate limit
        # that will lift, a charge still in flight).
        if status >= 500:
            await self._release(user_id, key, forget=False)
            return
        if status == 429 or _is_payment_in_progress(status, chunks):
            await self._release(user_id, key, forget=True)
            return
        body = b"".join(chunks)
        if _carries_a_secret(scope):
            body = seal_bytes(body, self.settings.jwt_secret)
        stored = StoredResponse(status, content_type, body)
        await in_transaction(url, lambda s: idempotency.complete(s, user_id, key, stored))

    def _opened(self, scope: Scope, stored: StoredResponse) -> StoredResponse:
        if not _carries_a_secret(scope):
            return stored
        body = unseal_bytes(stored.body, self.settings.jwt_secret)
        return StoredResponse(stored.status_code, stored.content_type, body)


def _is_payment_in_progress(status: int, chunks: list[bytes]) -> bool:
    if status != 409:
        return False
    try:
        code = json.loads(b"".join(chunks))["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(code == PAYMENT_IN_PROGRESS)


def _carries_a_secret(scope: Scope) -> bool:
    """A webhook endpoint's creation answers with its signing secret: kept sealed, like the
    endpoint's own copy, for as long as the key is remembered."""
    path: str = scope["path"]
    return path.rstrip("/") in SECRET_ANSWERS


def _key_of(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    if not path.startswith("/api/") or path.startswith("/api/webhooks/"):
        return None
    for name, value in scope["headers"]:
        if name == HEADER:
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive) -> bytes | None:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers: list[Any] = [
        (b"content-length", str(len(stored.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
