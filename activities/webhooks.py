"""Delivering one outbound webhook: count the attempt, check where it goes (SSRF), POST the
signed body to the checked address, record the outcome. A non-2xx, a timeout or a refused
connection raises a retryable error (the engine's RetryPolicy is the backoff); a refused
address or a deleted endpoint is final."""

import asyncio
import socket
import ssl
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from db.engine import session_scope
from db.types import utcnow
from services import webhook_delivery
from services.webhook_addresses import (
    AddressRefused,
    Resolver,
    ResolveTimeout,
    Target,
    check_url_within,
)
from services.webhook_delivery import Attempt, Over
from services.webhook_signatures import HEADER, sign

TIMEOUT_SECONDS = 10.0
# A name that does not resolve in this long is tried again at the next attempt.
RESOLVE_SECONDS = 3.0
# The receiver's answer is not ours to store: at most this much of it is read.
MAX_RESPONSE_BYTES = 4096
# How long a refusal's body is read for the log.
BODY_SECONDS = 2.0
USER_AGENT = "order-engine-webhooks/1"
# Attempts at once in one worker: in all, and to one endpoint. A slow or dead endpoint holds at
# most its share of the worker's activity slots (the gateway calls keep the rest); an attempt
# over the bounds waits its turn (BUSY_RETRY), not counted as an attempt.
MAX_IN_FLIGHT = 16
# Per receiver (host and port), however many endpoints point at it.
MAX_IN_FLIGHT_PER_ENDPOINT = 4
BUSY_RETRY = timedelta(seconds=3)


class Slots:
    """Counted on the worker's event loop (taken and given back with no await between)."""

    def __init__(self, total: int, per_endpoint: int) -> None:
        self._total, self._per_endpoint = total, per_endpoint
        self._used: Counter[str] = Counter()

    def take(self, endpoint_id: str) -> bool:
        if self._used.total() >= self._total or self._used[endpoint_id] >= self._per_endpoint:
            return False
        self._used[endpoint_id] += 1
        return True

    def give_back(self, endpoint_id: str) -> None:
        self._used[endpoint_id] -= 1
        if self._used[endpoint_id] <= 0:
            del self._used[endpoint_id]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    # No retry can change it (a URL the client cannot send).
    final: bool = False


class WebhookActivities:
    def __init__(
        self,
        database_url: str,
        master_key: str,
        allow_loopback: bool,
        resolve: Resolver = socket.getaddrinfo,
        verify: ssl.SSLContext | bool = True,
        per_endpoint: int = MAX_IN_FLIGHT_PER_ENDPOINT,
    ) -> None:
        self._url = database_url
        self._master_key = master_key
        self._allow_loopback = allow_loopback
        self._resolve = resolve
        # The system's CAs; tests pass a context that trusts their own CA.
        self._verify = verify
        self._slots = Slots(MAX_IN_FLIGHT, per_endpoint)

    @activity.defn
    async def deliver_webhook(self, delivery_id: str) -> str:
        """`succeeded` (or the status of a delivery that already ended); raises otherwise."""
        # Counted per receiver, not per endpoint: one dead host behind many endpoints holds
        # one receiver's share.
        receiver = await asyncio.to_thread(self._receiver_of, delivery_id)
        if not self._slots.take(receiver):
            raise ApplicationError(
                f"{receiver} has as many attempts running as it may: waiting a turn",
                type="webhook_endpoint_busy",
                next_retry_delay=BUSY_RETRY,
                category=ApplicationErrorCategory.BENIGN,
            )
        try:
            return await self._attempt(delivery_id)
        finally:
            self._slots.give_back(receiver)

    async def _attempt(self, delivery_id: str) -> str:
        attempt = await asyncio.to_thread(self._begin, delivery_id)
        if isinstance(attempt, Over):
            if attempt.reason is not None:
                raise _final(attempt.reason, "webhook_undeliverable")
            return attempt.status
        try:
            target = await check_url_within(
                attempt.url, self._allow_loopback, RESOLVE_SECONDS, self._resolve
            )
        except ResolveTimeout as slow:
            await asyncio.to_thread(self._record, delivery_id, Outcome(None, str(slow)))
            raise ApplicationError(
                str(slow), type="webhook_not_accepted", category=ApplicationErrorCategory.BENIGN
            ) from None
        except AddressRefused as refused:
            await asyncio.to_thread(self._record, delivery_id, Outcome(None, refused.reason))
            raise _final(f"address refused: {refused.reason}", "webhook_address_refused") from None
        outcome = await post(target, attempt, self._verify)
        status = await asyncio.to_thread(self._record, delivery_id, outcome)
        if outcome.final:
            raise _final(outcome.error or "undeliverable", "webhook_address_refused")
        if status != "pending":
            return status
        raise ApplicationError(
            f"delivery attempt {attempt.number} failed: {outcome.error}",
            type="webhook_not_accepted",
            category=ApplicationErrorCategory.BENIGN,
        )

    @activity.defn
    async def give_up_webhook(self, delivery_id: str) -> str:
        """The retries are over: the delivery is `failed` (its last outcome stays in the log)."""
        return await asyncio.to_thread(self._give_up, delivery_id)

    def _receiver_of(self, delivery_id: str) -> str:
        with session_scope(self._url, read_only=True) as session:
            return webhook_delivery.receiver_of(session, delivery_id)

    def _begin(self, delivery_id: str) -> Attempt | Over:
        with session_scope(self._url) as session:
            return webhook_delivery.begin_attempt(session, delivery_id, self._master_key)

    def _record(self, delivery_id: str, outcome: Outcome) -> str:
        with session_scope(self._url) as session:
            return webhook_delivery.record_outcome(
                session, delivery_id, outcome.status_code, outcome.error, utcnow()
            )

    def _give_up(self, delivery_id: str) -> str:
        with session_scope(self._url) as session:
            return webhook_delivery.give_up(session, delivery_id, None)


def _final(reason: str, kind: str) -> ApplicationError:
    return ApplicationError(
        reason, type=kind, non_retryable=True, category=ApplicationErrorCategory.BENIGN
    )


async def post(target: Target, attempt: Attempt, verify: ssl.SSLContext | bool = True) -> Outcome:
    """POST to the first checked address that takes the connection, never resolving the name
    again (DNS rebinding); TLS is still verified against the host name (SNI + certificate)."""
    timestamp = int(time.time())
    headers = {
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: sign(attempt.secret, attempt.body, timestamp),
    }
    error = "no address to connect to"
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            # trust_env=False: no proxy from the environment, which would resolve the name itself.
            async with httpx.AsyncClient(
                timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, verify=verify
            ) as client:
                for address in target.addresses:
                    try:
                        return await _post_to(client, target, address, attempt.body, headers)
                    except httpx.ConnectError as refused:
                        error = f"connection to {address} failed: {refused}"
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, f"no answer within {TIMEOUT_SECONDS:.0f} s")
    except httpx.HTTPError as failed:
        return Outcome(None, f"{type(failed).__name__}: {failed}")
    except (httpx.InvalidURL, UnicodeError, ValueError) as unsendable:
        # The checker let through a URL the client cannot send: final, with its reason.
        return Outcome(None, f"the URL cannot be sent: {unsendable}", final=True)
    return Outcome(None, error)


async def _post_to(
    client: httpx.AsyncClient,
    target: Target,
    address: str,
    body: bytes,
    headers: dict[str, str],
) -> Outcome:
    literal = f"[{address}]" if ":" in address else address
    url = f"{target.scheme}://{literal}:{target.port}{target.path}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request = client.build_request("POST", url, content=body, headers=headers)
    request.extensions.update(extensions)
    response = await client.send(request, stream=True)
    if 200 <= response.status_code < 300:
        # Accepted once the status line is in: a body that never ends changes nothing.
        await response.aclose()
        return Outcome(response.status_code, None)
    seen = b""
    try:
        async with asyncio.timeout(BODY_SECONDS):
            async for chunk in response.aiter_raw():
                seen += chunk
                if len(seen) >= MAX_RESPONSE_BYTES:
                    break
    except TimeoutError:
        pass  # the status says enough; the body was only for the log
    finally:
        await response.aclose()
    snippet = seen[:200].decode("utf-8", "replace")
    return Outcome(response.status_code, f"HTTP {response.status_code}: {snippet}".strip())


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"
