"""Calling a running OrderWorkflow from a request, with its refusals turned into API errors."""

from collections.abc import Awaitable
from typing import TypeVar

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError

T = TypeVar("T")

# What a refused transition is called in the API, by the ApplicationError type the workflow raised.
_CONFLICTS = {"invalid_transition", "payment_in_progress"}


async def call_workflow(call: Awaitable[T]) -> T:
    try:
        return await call
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError) and cause.type in _CONFLICTS:
            raise ApiError(409, cause.type, cause.message) from None
        raise
    except RPCError as error:
        # An order whose workflow has finished (delivered, cancelled) accepts no more steps.
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise ApiError(
                409, "invalid_transition", "The order is closed and cannot change any more"
            ) from None
        raise ApiError(
            503, "engine_unavailable", "The workflow engine did not answer; try again"
        ) from None
