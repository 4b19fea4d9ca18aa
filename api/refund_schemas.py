"""Request and response bodies of API.md's Refunds section."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema, model_validator

from api.schemas import Money, PositiveMoney, Request, Text
from domain.refund_contracts import RefundDestination, RefundReason, RefundStatus

# Of the order's total: more than 0, at most 100, at most 2 places.
Percentage = Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)]
PercentageOut = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]{1,3}\.[0-9]{2}$", "examples": ["50.00"]},
        mode="serialization",
    ),
]


class _AmountOrPercentage(Request):
    refund_amount: PositiveMoney | None = None
    refund_percentage: Percentage | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if self.refund_amount is not None and self.refund_percentage is not None:
            raise ValueError("give refund_amount or refund_percentage, not both")
        return self


class RefundCreate(_AmountOrPercentage):
    """Neither amount nor percentage: all that is still refundable."""

    order_id: str = Field(min_length=1, max_length=36)
    refund_reason: RefundReason
    reason_description: Text = Field(min_length=1)
    destination: RefundDestination = "original_method"


class RefundApprove(_AmountOrPercentage):
    """An admin may lower the amount (or give it as a percentage of the order)."""

    admin_notes: Text | None = None


class RefundReject(Request):
    admin_notes: Text = Field(min_length=1)


class RefundComplete(Request):
    admin_notes: Text | None = None


class RefundOut(BaseModel):
    id: str
    order_id: str
    payment_id: str
    refund_reason: RefundReason
    reason_description: str
    refund_amount: Money
    refund_percentage: PercentageOut | None
    status: RefundStatus
    destination: RefundDestination
    admin_notes: str | None
    requested_by: str
    requested_at: datetime
    approved_at: datetime | None
    completed_at: datetime | None
    rejected_at: datetime | None
    credit_note_id: str | None
    workflow_id: str


def refund_fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RefundOut.model_fields}
