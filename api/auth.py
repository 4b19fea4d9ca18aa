"""Bearer JWTs as API.md defines them: HS256 only, audience `order-engine`, roles claim."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from services.user_emails import usable

AUDIENCE = "order-engine"
ROLES = frozenset({"buyer", "seller", "admin"})


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]
    # The optional `email` claim, when it is one mailbox; where the user's mail goes.
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class InvalidToken(Exception):
    """A 401 with our own sentence per class of problem: the library's text is never shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(_SENTENCES[reason])
        self.reason = reason


_SENTENCES = {
    "expired": "The token has expired",
    "bad_signature": "The token's signature is not valid",
    "wrong_audience": "The token was not issued for this service",
    "malformed": "The token is malformed",
    "missing_claims": "The token lacks a required claim (sub, roles, exp, aud)",
    "bad_claims": "The token's claims are not valid (sub, roles)",
}
# Most specific first: several of these subclass one another.
_CLASSES: list[tuple[type[jwt.PyJWTError], str]] = [
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.MissingRequiredClaimError, "missing_claims"),
]


def decode_token(token: str, secret: str) -> Principal:
    """The token's principal, verified once per token: a client sends the same token with
    every request, and checking its signature and claims again is 4 % of the API's CPU."""
    key = (token, secret)
    known = _VERIFIED.get(key)
    if known is not None and datetime.now(UTC).timestamp() < known[1]:
        return known[0]
    principal, expires = _verify(token, secret)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        del _VERIFIED[next(iter(_VERIFIED))]  # the oldest: dicts keep their insertion order
    _VERIFIED[key] = (principal, expires)
    return principal


# Tokens verified, with the time they expire at (a Unix timestamp); once past it, a token is
# verified again, and so refused as expired with PyJWT's own check.
_VERIFIED: dict[tuple[str, str], tuple[Principal, int]] = {}
_VERIFIED_MAX = 4096


def _verify(token: str, secret: str) -> tuple[Principal, int]:
    try:
        # The algorithm list is fixed: `alg: none` and RS/HS confusion are refused by PyJWT.
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "aud", "roles"]},
        )
    except jwt.PyJWTError as error:
        reason = next((name for kind, name in _CLASSES if isinstance(error, kind)), "malformed")
        raise InvalidToken(reason) from None
    except ValueError:  # undecodable text inside a token that looked like one
        raise InvalidToken("malformed") from None
    sub, roles = claims.get("sub"), claims.get("roles")
    if not isinstance(sub, str) or not sub or len(sub) > 255 or "\x00" in sub:
        raise InvalidToken("bad_claims")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("bad_claims")
    if set(roles) - ROLES:
        raise InvalidToken("bad_claims")
    principal = Principal(sub, frozenset(roles), usable(claims.get("email")))
    # As PyJWT reads it: whole seconds (a fractional or huge `exp` is neither early nor a 500).
    return principal, int(claims["exp"])


def issue_token(
    secret: str,
    sub: str,
    roles: list[str],
    ttl: timedelta = timedelta(hours=12),
    email: str | None = None,
) -> str:
    claims: dict[str, object] = {
        "sub": sub,
        "roles": roles,
        "aud": AUDIENCE,
        "exp": datetime.now(UTC) + ttl,
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm="HS256")
