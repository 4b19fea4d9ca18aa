"""Bearer JWTs as API.md defines them: HS256 only, audience `order-engine`, roles claim."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

AUDIENCE = "order-engine"
ROLES = frozenset({"buyer", "seller", "admin"})


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class InvalidToken(Exception):
    pass


def decode_token(token: str, secret: str) -> Principal:
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
        raise InvalidToken(str(error)) from None
    sub, roles = claims.get("sub"), claims.get("roles")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise InvalidToken("sub must be a non-empty string")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("roles must be a list of strings")
    unknown = set(roles) - ROLES
    if unknown:
        raise InvalidToken(f"unknown roles: {sorted(unknown)}")
    return Principal(sub, frozenset(roles))


def issue_token(
    secret: str, sub: str, roles: list[str], ttl: timedelta = timedelta(hours=12)
) -> str:
    claims = {"sub": sub, "roles": roles, "aud": AUDIENCE, "exp": datetime.now(UTC) + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")
