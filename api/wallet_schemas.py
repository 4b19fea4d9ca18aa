"""Request and response bodies of API.md's Wallets section."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas import CardToken, Money, PositiveMoney, Request
from domain.wallet_contracts import PayoutView

# Bank account numbers are 4 to 17 digits (ABA); a routing number is 9.
AccountNumber = Annotated[str, Field(pattern=r"^[0-9]{4,17}$")]
RoutingNumber = Annotated[str, Field(pattern=r"^[0-9]{9}$")]


class WalletOut(BaseModel):
    id: str
    user_id: str
    currency: str
    balance: Money
    total_earned: Money
    total_spent: Money
    created_at: datetime
    updated_at: datetime


class TransactionOut(BaseModel):
    id: str
    transaction_type: Literal["credit", "debit"]
    amount: Money
    balance_after: Money
    description: str
    order_id: str | None
    payment_id: str | None
    refund_id: str | None
    created_at: datetime


class TopUpCreate(Request):
    amount: PositiveMoney
    card_token: CardToken


class TopUpOut(BaseModel):
    id: str
    amount: Money
    status: Literal["processing", "completed", "failed"]
    error_code: str | None


class Destination(Request):
    account_number: AccountNumber
    routing_number: RoutingNumber | None = None


class WithdrawCreate(Request):
    amount: PositiveMoney
    destination: Destination


class PayoutOut(BaseModel):
    id: str
    amount: Money
    status: Literal["processing", "paid", "failed"]
    failure_code: str | None
    created_at: datetime


class AdjustCreate(Request):
    amount: Money
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: Decimal) -> Decimal:
        if amount == 0:
            raise ValueError("an adjustment moves money: a signed amount other than 0.00")
        return amount


class DriftOut(BaseModel):
    problem: Literal["balance_not_entries", "currency_not_zero", "transfer_unbalanced"]
    currency: str
    expected: Money
    actual: Money
    account_id: str | None
    transfer_id: str | None


class LedgerCheckOut(BaseModel):
    balanced: bool
    accounts: int
    drift: list[DriftOut]


def payout_out(payout: PayoutView) -> PayoutOut:
    return PayoutOut.model_validate(payout.model_dump(exclude={"currency"}))
