"""Liveness, readiness and Prometheus metrics."""

import asyncio

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.db import reading
from api.deps import ClientDep, SettingsDep
from api.errors import envelope

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(settings: SettingsDep, client: ClientDep) -> dict[str, object] | Response:
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
    return {"status": "ready", "checks": checks}


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
