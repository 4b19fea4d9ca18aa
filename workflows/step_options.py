"""Timeouts and retry policies of the order's activities, and the one way to run a database step."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

STEP_TIMEOUT = timedelta(seconds=30)
# Database steps are short and idempotent: local activities, run inside the workflow task, so each
# costs no round trip through the server. Gateway calls stay ordinary activities, visible and
# retried by the server.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)
# A gateway call is retried with the same idempotency key while it provably was not sent (a
# refused connection, a 429, our own error before sending); a bounded number of times, then the
# workflow asks the gateway by the key and gives the buyer a `processing_error`.
GATEWAY_ATTEMPTS = 5
GATEWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=GATEWAY_ATTEMPTS,
)

T = TypeVar("T")


async def db_step(activity: Callable[[Any, Any], T], arg: Any) -> T:
    """Run one database step of the order (a local activity, retried until it lands)."""
    result: T = await workflow.execute_local_activity_method(
        activity, arg, start_to_close_timeout=STEP_TIMEOUT, retry_policy=DB_RETRY
    )
    return result


def gateway_options(call_timeout: timedelta) -> dict[str, Any]:
    """Each try is bounded by the call timeout and all of them together by schedule-to-close."""
    return {
        "start_to_close_timeout": call_timeout,
        "schedule_to_close_timeout": call_timeout * GATEWAY_ATTEMPTS + timedelta(minutes=2),
        "retry_policy": GATEWAY_RETRY,
    }
