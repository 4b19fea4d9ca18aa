"""Timeouts and retry policies of the order's activities."""

from datetime import timedelta

from temporalio.common import RetryPolicy

STEP_TIMEOUT = timedelta(seconds=30)
# Database steps are short and idempotent: local activities, run inside the workflow task, so each
# costs no round trip through the server. Gateway calls stay ordinary activities, visible and
# retried by the server however long the gateway is away.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)
# No attempt limit: the same idempotency key goes to the gateway until it answers, so an
# unanswered charge is never forgotten and never made twice.
GATEWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
