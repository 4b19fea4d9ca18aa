"""What the order's handlers check before they start: their validators and their first line
run the same check, so a refused step is refused before it is written to the history."""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.order_state import OrderState

with workflow.unsafe.imports_passed_through():
    from domain.contracts import INVALID_TRANSITION, PAYMENT_IN_PROGRESS, CancelCommand
    from domain.order_states import InvalidTransition, OrderAction, OrderStatus, Role, next_status


def invalid_transition(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID_TRANSITION, non_retryable=True)


def payment_in_progress(message: str) -> ApplicationError:
    return ApplicationError(message, type=PAYMENT_IN_PROGRESS, non_retryable=True)


def check(order: OrderState, action: OrderAction, role: Role = Role.SYSTEM) -> None:
    if order.status is None:
        raise invalid_transition("the order is not created yet")
    in_progress = order.charging or (order.bank_transfer and action is OrderAction.PAY)
    if in_progress and action in (OrderAction.PAY, OrderAction.CONFIRM):
        raise payment_in_progress("a payment for this order is already in progress")
    try:
        next_status(order.status, action, role)
    except InvalidTransition as error:
        raise invalid_transition(str(error)) from None


def check_discount(order: OrderState) -> None:
    """A code applies to a pending order before any payment starts: never to an amount a
    charge in flight or a transfer the buyer was told about already carries."""
    if order.status is not OrderStatus.PENDING or order.charging or order.bank_transfer:
        raise invalid_transition("a discount applies to a pending order before its payment")


def check_cancel(order: OrderState, command: CancelCommand) -> None:
    check(order, OrderAction.CANCEL, Role(command.role))
    # DELETE of an order: only while it is surely unpaid, never by refunding it.
    if command.unpaid_only and order.paid is not None:
        raise invalid_transition("the order was paid meanwhile")
    if command.unpaid_only and order.charging:
        raise payment_in_progress("a payment for this order is in progress; cancel it instead")
    # A cancel refunds what is left: an open refund is decided first, or both could pay it.
    if order.open_refund is not None:
        raise invalid_transition("a refund of this order is open: it is decided first")
