"""Dependencies every route shares: settings, the caller, the database, the Temporal client."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.auth import InvalidToken, Principal, decode_token
from api.errors import ApiError
from config import Settings

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
        return decode_token(credentials.credentials, settings.jwt_secret)
    except InvalidToken as error:
        raise ApiError(
            401,
            "invalid_token",
            f"The token is not valid: {error}",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(principal: Principal, role: str) -> None:
    if role not in principal.roles:
        raise ApiError(403, "forbidden", f"This needs the {role} role")
