"""Calling a running workflow (an order's, a refund's) from a request, with its refusals
turned into API errors."""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from domain.contracts import DISCOUNT_INVALID, INVALID_TRANSITION, WORKFLOW_CONFLICTS
from domain.refund_contracts import AMOUNT_EXCEEDS_REFUNDABLE, REFUND_REFUSALS

T = TypeVar("T")

# The refusals of the workflows (ApplicationError types) and the status each is answered with.
REFUSAL_STATUS = {
    **dict.fromkeys(WORKFLOW_CONFLICTS | REFUND_REFUSALS, 409),
    AMOUNT_EXCEEDS_REFUNDABLE: 422,
    DISCOUNT_INVALID: 422,
}


class WorkflowClosed(ApiError):
    """The workflow has ended: it accepts no more steps (409 unless the caller knows better)."""

    def __init__(self) -> None:
        super().__init__(409, INVALID_TRANSITION, "The order is closed and cannot change any more")


# API.md: every request answers within 30 s. The engine gets this much of it; the rest is
# for the database reads around the call.
ENGINE_WAIT = 25.0


def engine_unavailable(created: dict[str, Any] | None = None) -> ApiError:
    """503: the engine did not answer in time; `details` names what exists already, if anything."""
    return ApiError(
        503,
        "engine_unavailable",
        "The workflow engine did not answer in time; look the order up before trying again",
        created,
    )


async def call_workflow(
    call: Awaitable[T], created: dict[str, Any] | None = None, wait: float | None = None
) -> T:
    try:
        return await asyncio.wait_for(call, ENGINE_WAIT if wait is None else wait)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise engine_unavailable(created) from None
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSAL_STATUS:
            details = cause.details[0] if cause.details else None
            if cause.type == DISCOUNT_INVALID and isinstance(details, str):
                details = {"reason": details}  # the workflow gives the reason alone
            details = details if isinstance(details, dict) else None
            raise ApiError(REFUSAL_STATUS[cause.type], cause.type, cause.message, details) from None
        raise
    except RPCError as error:
        # An order whose workflow has finished (delivered, cancelled) accepts no more steps.
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise WorkflowClosed() from None
        raise engine_unavailable(created) from None
