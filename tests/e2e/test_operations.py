"""Health, readiness, metrics and the OpenAPI document."""

from tests.e2e.conftest import Stack


async def test_health_ready_metrics(stack: Stack) -> None:
    async with stack.client() as anonymous:
        assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
        ready = await anonymous.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "temporal": "ok"}
        metrics = (await anonymous.get("/metrics")).text
        assert 'order_engine_http_requests_total{method="GET",route="/readyz",status="200"}' in (
            metrics
        )
        spec = (await anonymous.get("/openapi.json")).json()
        assert "/api/orders/{order_id}/ship/" in spec["paths"]
        assert "/api/orders/{order_id}/ship" not in spec["paths"]
