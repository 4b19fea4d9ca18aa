"""Request counts and latencies per route, for /metrics."""

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "order_engine_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
LATENCY = Histogram(
    "order_engine_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10),
)


def install_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        # The path template, not the path: ids would make one series per order.
        name = getattr(route, "path", "unmatched")
        LATENCY.labels(request.method, name).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, name, str(response.status_code)).inc()
        return response
