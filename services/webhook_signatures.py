"""Signing outbound webhooks, and checking them the way a receiver should (like Stripe's
`construct_event`): `OrderEngine-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
`"<t>.<raw body>"` with the endpoint's secret.

A receiver checks the raw bytes it was sent (before any JSON parsing) and refuses a timestamp
outside the tolerance, so that a captured delivery cannot be replayed later:

    from services.webhook_signatures import SignatureVerificationError, verify

    try:
        event = verify(raw_body, request.headers["OrderEngine-Signature"], secret)
    except SignatureVerificationError:
        return 400
"""

import hashlib
import hmac
import json
import time
from typing import Any

HEADER = "OrderEngine-Signature"
SCHEME = "v1"
# Five minutes either way: the receiver's clock may be a little off.
DEFAULT_TOLERANCE = 300


class SignatureVerificationError(ValueError):
    """The delivery is not one signed with this secret, recently: answer 400, do not act."""


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header's value for these exact body bytes, sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},{SCHEME}={_digest(secret, body, timestamp)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureVerificationError(
                    "the signature's timestamp is not a number"
                ) from None
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise SignatureVerificationError("the signature header has no timestamp (t=)")
    if not signatures:
        raise SignatureVerificationError(f"the signature header has no {SCHEME}= signature")
    return timestamp, signatures


def verify(
    payload: bytes,
    header: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> dict[str, Any]:
    """The event `{id, type, created_at, data}` of a delivery whose signature is right and
    recent; raises SignatureVerificationError otherwise. Several v1= values are accepted (one
    of them must match), so that a secret can be rolled over."""
    if not header:
        raise SignatureVerificationError(f"no {HEADER} header")
    timestamp, signatures = _parse(header)
    expected = _digest(secret, payload, timestamp)
    if not any(hmac.compare_digest(expected.encode(), given.encode()) for given in signatures):
        raise SignatureVerificationError("no signature matches this body and secret")
    current = int(time.time()) if now is None else now
    if tolerance > 0 and abs(current - timestamp) > tolerance:
        raise SignatureVerificationError(
            f"the signature's timestamp is {abs(current - timestamp)} s away from now "
            f"(tolerance {tolerance} s): a replay, or a clock far off"
        )
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise SignatureVerificationError("the body is not JSON") from None
    if not isinstance(event, dict):
        raise SignatureVerificationError("the body is not a JSON object")
    return event
