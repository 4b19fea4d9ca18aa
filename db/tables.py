"""The records: listings, orders and their timeline, payments, invoices, notifications, and
the double-entry ledger behind wallets."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import Money, UTCDateTime, utcnow

ID = String(36)


class Base(DeclarativeBase):
    pass


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("quantity_available >= 0", name="ck_listings_stock_not_negative"),
        Index("ix_listings_seller", "seller_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(255))
    listing_type: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    shipping_fee: Mapped[Decimal] = mapped_column(Money)
    quantity_available: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # A party's page is ordered by (created_at, id): the id ends the index, so no sort.
        Index("ix_orders_buyer", "buyer_id", "created_at", "id"),
        Index("ix_orders_seller", "seller_id", "created_at", "id"),
        # A seller's orders in one status (`?role=seller&status=confirmed`: what to ship).
        Index("ix_orders_seller_status", "seller_id", "status", "created_at", "id"),
        Index("ix_orders_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(20), unique=True)
    buyer_id: Mapped[str] = mapped_column(String(255))
    seller_id: Mapped[str] = mapped_column(String(255))
    listing_id: Mapped[str] = mapped_column(ID, ForeignKey("listings.id"))
    order_type: Mapped[str] = mapped_column(String(8))
    item_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    discount_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    refunded_amount: Mapped[Decimal] = mapped_column(Money)
    tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tracking_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(100), nullable=True)
    buyer_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    seller_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    stock_released: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    workflow_id: Mapped[str] = mapped_column(String(64))
    # The next durable timer of the order's workflow (none once it has ended).
    deadline_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # scheduled (delivered, in escrow) → paid; held while a refund is open.
    payout_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    payout_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    payout_fee: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    payout_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OrderEvent(Base):
    """One line of an order's timeline; `key` makes a replayed activity write it only once."""

    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "key", name="uq_order_events_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ID, ForeignKey("orders.id"))
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_order", "order_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ID, ForeignKey("orders.id"))
    payment_method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    transaction_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reference_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    gateway: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    instructions: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    gateway_response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    refunded_amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ID, ForeignKey("orders.id"), unique=True)
    # None while a draft: numbered when issued (sent or paid), so drafts leave no gaps.
    invoice_number: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    terms: Mapped[str | None] = mapped_column(Text, nullable=True)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    # What completed refunds gave back (each by a credit note); the invoice is never rewritten.
    amount_refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    """A refund of an order's payment, the record of its workflow (`refund-{id}`)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("refund_amount > 0", name="ck_refunds_positive"),
        Index("ix_refunds_order", "order_id"),
        Index("ix_refunds_requested", "requested_at", "id"),
        Index("ix_refunds_status", "status", "requested_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ID, ForeignKey("orders.id"))
    payment_id: Mapped[str] = mapped_column(ID)
    refund_reason: Mapped[str] = mapped_column(String(32))
    reason_description: Mapped[str] = mapped_column(Text)
    refund_amount: Mapped[Decimal] = mapped_column(Money)
    # Of the order's total, 2 places (stored like money: exact on every dialect).
    refund_percentage: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(16))
    # gateway | wallet | manual: how the money goes (or went) back.
    route: Mapped[str] = mapped_column(String(16))
    gateway_refund_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    admin_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    credit_note_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    workflow_id: Mapped[str] = mapped_column(String(64))


class CreditNote(Base):
    """What a completed refund gave back, against the order's invoice: `CN-YYYY-NNNNNN`,
    gapless per year (numbered in the transaction that completes the refund)."""

    __tablename__ = "credit_notes"
    __table_args__ = (Index("ix_credit_notes_invoice", "invoice_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    credit_note_number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[str] = mapped_column(ID, ForeignKey("invoices.id"))
    refund_id: Mapped[str] = mapped_column(ID, ForeignKey("refunds.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notifications_key"),
        Index("ix_notifications_user", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When its email went out (None: in-app only, or not yet).
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserEmail(Base):
    """The `email` claim last seen in a user's token: where their mail goes."""

    __tablename__ = "user_emails"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxItem(Base):
    """A workflow to start once the transaction that asked for it has committed (an email, a
    webhook delivery); its id is the workflow's id, so asking twice starts it once."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Counter(Base):
    """Yearly sequences for order and invoice numbers, bumped in the transaction that uses them."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class SandboxOperation(Base):
    """The sandbox gateway's own durable book of charges and refunds, keyed like a real gateway."""

    __tablename__ = "sandbox_operations"

    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    transaction_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    charge_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """One Idempotency-Key of one caller: the request's fingerprint and, once done, its answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires", "expires_at"),)

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Names the ids this key's requests create (api/idempotency.py derived_id); a new one when
    # the key is used again after it expired. NULL on rows from before it existed.
    generation: Mapped[str | None] = mapped_column(String(36), nullable=True)


class RateLimitWindow(Base):
    """How many times a caller did one limited thing in one fixed window of time."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class InboundEvent(Base):
    """A webhook event already received: a replay of the same id changes nothing."""

    __tablename__ = "inbound_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerAccount(Base):
    """One account of the double-entry ledger. A `wallet` row is a user's Wallet (API.md); the
    others are the platform's, with no owner. `seq` counts the account's entries, so its history
    has one order even when two entries share a timestamp."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("kind <> 'wallet' OR balance >= 0", name="ck_ledger_wallet_not_negative"),
        CheckConstraint(
            "(kind = 'wallet') = (user_id IS NOT NULL)", name="ck_ledger_wallet_has_owner"
        ),
        # NULL never equals NULL in a UNIQUE: the platform accounts get an index of their own.
        Index(
            "uq_ledger_accounts_wallet",
            "kind",
            "user_id",
            "currency",
            unique=True,
            sqlite_where=text("user_id IS NOT NULL"),
            postgresql_where=text("user_id IS NOT NULL"),
        ),
        Index(
            "uq_ledger_accounts_platform",
            "kind",
            "currency",
            unique=True,
            sqlite_where=text("user_id IS NULL"),
            postgresql_where=text("user_id IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[Decimal] = mapped_column(Money)
    total_earned: Mapped[Decimal] = mapped_column(Money)
    total_spent: Mapped[Decimal] = mapped_column(Money)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerTransfer(Base):
    """One movement from `source_id` to `destination_id` under a business key; never changed."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_ledger_transfer_positive"),
        CheckConstraint("source_id <> destination_id", name="ck_ledger_transfer_two_accounts"),
        Index("ix_ledger_transfers_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    source_id: Mapped[str] = mapped_column(ID, ForeignKey("ledger_accounts.id"))
    destination_id: Mapped[str] = mapped_column(ID, ForeignKey("ledger_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    payment_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    refund_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    payout_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One side of a transfer: the signed amount and the account's balance right after it.
    Triggers (migration 0006) refuse UPDATE and DELETE: a correction is a new transfer."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("transfer_id", "account_id", name="uq_ledger_entries_side"),
        UniqueConstraint("account_id", "seq", name="uq_ledger_entries_account_seq"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("ledger_transfers.id"))
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("ledger_accounts.id"))
    seq: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TopUp(Base):
    """A card charge that credits the user's wallet (workflow `topup-{id}`)."""

    __tablename__ = "wallet_topups"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_wallet_topups_positive"),
        Index("ix_wallet_topups_user", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    gateway: Mapped[str] = mapped_column(String(32))
    transaction_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payout(Base):
    """Money out of a wallet to a bank account (workflow `payout-{id}`). The account number is
    never stored: the rail's token for it and its last four digits are."""

    __tablename__ = "wallet_payouts"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_wallet_payouts_positive"),
        Index("ix_wallet_payouts_user", "user_id", "created_at"),
        Index("ix_wallet_payouts_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    destination_token: Mapped[str] = mapped_column(String(64))
    destination_last4: Mapped[str] = mapped_column(String(4))
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    failure_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Discount(Base):
    """A discount code (API.md, Discounts). `code_key` is the code upper-cased: codes compare
    case-insensitively. `reserved` counts the uses reserved or used, `times_used` those paid;
    both move only by conditional UPDATEs (services/discounts.py)."""

    __tablename__ = "discounts"
    __table_args__ = (
        CheckConstraint("reserved >= 0", name="ck_discounts_reserved_not_negative"),
        CheckConstraint("times_used >= 0", name="ck_discounts_used_not_negative"),
        CheckConstraint("times_used <= reserved", name="ck_discounts_used_were_reserved"),
        Index("ix_discounts_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    code_key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    discount_type: Mapped[str] = mapped_column(String(16))
    # A percentage (0 < p <= 100) or an amount: 2 places either way, stored like money.
    discount_value: Mapped[Decimal] = mapped_column(Money)
    max_discount_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    min_order_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_uses_per_user: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # active | inactive; `expired` is derived from valid_until, never stored.
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    times_used: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DiscountUse(Base):
    """An order's use of a code: reserved → used (paid) or released (given back). One per
    order; the order choosing another code reuses its row."""

    __tablename__ = "discount_uses"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="ck_discount_uses_not_negative"),
        Index("ix_discount_uses_discount", "discount_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    discount_id: Mapped[str] = mapped_column(ID, ForeignKey("discounts.id"))
    order_id: Mapped[str] = mapped_column(ID, unique=True)
    user_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DiscountUserCount(Base):
    """How many uses of a code one user has reserved or used: the per-user limit's counter."""

    __tablename__ = "discount_user_counts"
    __table_args__ = (CheckConstraint("uses >= 0", name="ck_discount_user_counts_not_negative"),)

    discount_id: Mapped[str] = mapped_column(ID, ForeignKey("discounts.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class WebhookEndpoint(Base):
    """Where a seller's (or the admins') systems hear of orders. `secret` is sealed with a key
    derived from the JWT secret (services/webhook_secrets.py): usable to sign, never shown."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_owner", "owner_id", "created_at"),
        Index("ix_webhook_endpoints_role", "owner_role"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(255))
    # seller (their own orders' events) | admin (every order's)
    owner_role: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookEvent(Base):
    """One occurrence of an event type, its id derived from the business object and the
    transition (`order.shipped:<order_id>`), so that a retried step emits it once."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    seller_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The event's `data`; the body sent is rebuilt from it byte for byte (sorted keys).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event to one endpoint, carried by the workflow `webhook-{id}`."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ID, ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[str] = mapped_column(String(200), ForeignKey("webhook_events.id"))
    # pending | succeeded | failed
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
