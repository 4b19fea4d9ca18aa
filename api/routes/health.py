"""Liveness, readiness and Prometheus metrics."""

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from api.db import reading
from api.deps import ClientDep, SettingsDep
from api.errors import envelope

router = APIRouter(tags=["operations"])


class Ready(BaseModel):
    status: str
    checks: dict[str, str]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: {"description": "The database or Temporal is unreachable (`not_ready`)"}},
)
async def readyz(settings: SettingsDep, client: ClientDep) -> Ready | Response:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(
            reading(settings.database_url, lambda s: s.execute(text("SELECT 1")).scalar()), 3
        )
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    try:
        await asyncio.wait_for(client.service_client.check_health(), 3)
        checks["temporal"] = "ok"
    except Exception as error:
        checks["temporal"] = f"unreachable: {type(error).__name__}"
    if any(value != "ok" for value in checks.values()):
        return envelope(503, "not_ready", "A dependency is unreachable", checks)
    return Ready(status="ready", checks=checks)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
