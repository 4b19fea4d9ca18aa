"""Dependencies every route shares: settings, the caller, the database, the Temporal client."""

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.auth import InvalidToken, Principal, decode_token
from api.contacts import EmailBook
from api.errors import ApiError, forbidden
from api.idempotency import GENERATION, derived_id
from api.order_limits import rate_limit
from config import Settings
from services.order_queries import Viewer

_bearer = HTTPBearer(auto_error=False)


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_client(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ClientDep = Annotated[Client, Depends(get_client)]


async def get_principal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "unauthorized",
            "A bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        me = decode_token(credentials.credentials, settings.jwt_secret)
    except InvalidToken as error:
        raise ApiError(
            401,
            "invalid_token",
            str(error),
            {"reason": error.reason},
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    book: EmailBook = request.app.state.email_book
    await book.note(settings.database_url, me)
    return me


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def viewer_of(me: Principal) -> Viewer:
    """What the caller may see: their own orders, or all of them for an admin."""
    return Viewer(me.user_id, me.is_admin)


async def get_viewer(me: PrincipalDep) -> Viewer:
    return viewer_of(me)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


class Keyed:
    """The caller's Idempotency-Key, if any, and the ids it names (see api/idempotency.py)."""

    def __init__(self, user_id: str, key: str | None, generation: str | None = None) -> None:
        self.user_id = user_id
        self.key = key
        self.generation = generation

    def id_for(self, purpose: str) -> str:
        """A fresh id without a key; with one, the same id for every repeat of the request."""
        if self.key is None:
            return str(uuid.uuid4())
        return derived_id(self.user_id, self.key, purpose, self.generation)

    def update_id(self, purpose: str) -> str | None:
        """Temporal runs an update id once per workflow: a repeat gets the first outcome."""
        return None if self.key is None else f"{purpose}-{self.id_for(purpose)}"


async def get_keyed(
    request: Request,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
) -> Keyed:
    generation = getattr(request.state, GENERATION, None)
    return Keyed(principal.user_id, idempotency_key, generation)


KeyedDep = Annotated[Keyed, Depends(get_keyed)]


async def limit_payment_attempts(principal: PrincipalDep, settings: SettingsDep) -> None:
    """Card testing and runaway clients: so many payment attempts per user per window."""
    await rate_limit(settings, "payment", principal.user_id)


PaymentAttemptLimit = Depends(limit_payment_attempts)


def require_role(principal: Principal, role: str) -> None:
    if role not in principal.roles:
        raise forbidden(f"This needs the {role} role")
