"""Settings of every process, read from ORDER_ENGINE_* variables and a .env file; and the
collector's tuning both servers share."""

import gc
import re
import warnings
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-secret-change-me-0123456789abcdef"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(value: object) -> object:
    """Accept seconds (`90`) or a number with a unit (`30m`, `3d`), as API.md promises."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"not a duration: {value!r} (use seconds or 30s, 30m, 3h, 3d)")
        return timedelta(seconds=float(match[1]) * _UNITS[match[2] or "s"])
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]

# ISO 4217 currencies whose minor unit is 2 places: amounts go to gateways and the database in
# cents, so a zero- or three-decimal currency (JPY, KRW, BHD, KWD, ...) would be off by 100x.
_ISO_TWO_DECIMAL = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW
    KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
    NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD
    SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU
    UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL
"""
TWO_DECIMAL_CURRENCIES = frozenset(_ISO_TWO_DECIMAL.split())


def two_decimal_currency(value: object) -> object:
    if isinstance(value, str) and value not in TWO_DECIMAL_CURRENCIES:
        raise ValueError(
            f"{value!r} is not an ISO 4217 currency with 2 decimal places (USD, EUR, GBP, ...)"
        )
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_ENGINE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/order-engine.db"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "order-engine"
    jwt_secret: str = DEV_JWT_SECRET
    payment_gateway: Literal["sandbox", "stripe"] = "sandbox"
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    # Only for tests against a local server that answers like Stripe; empty means Stripe itself.
    stripe_api_base: str = ""
    # smtp://user:password@host:port (STARTTLS when offered) or smtps://…; empty: in-app only.
    smtp_url: str = ""
    smtp_from: str = "order-engine <orders@order-engine.invalid>"
    # The longest wait between two tries of an email while the mail server is down.
    mail_retry_max_interval: Duration = timedelta(minutes=10)
    # How often one invoice may be sent again (POST /api/invoices/{id}/send/) per window; then 429.
    invoice_send_rate_limit: int = Field(default=3, ge=1)
    invoice_send_rate_window: Duration = timedelta(hours=1)
    # How often the outbox's sweeper starts the emails and webhook deliveries left behind (a
    # worker killed between a commit and its starts, a Temporal that did not answer in time).
    outbox_sweep_every: Duration = timedelta(minutes=5)
    tax_rate: Decimal = Field(default=Decimal("0"), ge=0, lt=1)
    platform_fee_rate: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)
    currency: Annotated[str, AfterValidator(two_decimal_currency)] = "USD"
    payment_timeout: Duration = timedelta(minutes=30)
    bank_transfer_timeout: Duration = timedelta(days=3)
    # After the due date of an unpaid bank transfer: the invoice is overdue, the buyer reminded,
    # and the order cancelled this much later (0: cancelled at the end of the due date).
    bank_transfer_grace: Duration = timedelta(days=2)
    ship_timeout: Duration = timedelta(days=7)
    delivery_timeout: Duration = timedelta(days=14)
    escrow_hold: Duration = timedelta(days=3)
    refund_review_reminder: Duration = timedelta(days=2)
    # Where buyers wire bank transfers; printed in the payment's instructions and the invoice.
    bank_account: str = "order-engine escrow, IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX"
    # Printed on every invoice, taken by the draft when the order is created.
    invoice_terms: str = "Payment due on receipt; bank transfers by the due date shown."
    # Printed under the terms of every invoice, taken like them; empty: none.
    invoice_notes: str = ""
    # Workflows a worker keeps in memory between their steps (Temporal's sticky cache): a step
    # of one evicted replays its history first. Each costs 0.23-0.3 MiB (bench/README.md).
    worker_cached_workflows: int = Field(default=1000, ge=1)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    webhook_allow_loopback: bool = False
    # One gateway call longer than this is retried by the engine, with the same idempotency key.
    gateway_timeout: Duration = timedelta(seconds=30)
    # Fault injection for the sandbox gateway only: wait this long before or after it books a
    # charge, so that tests can kill a worker at either moment.
    sandbox_delay_before_charge: Duration = timedelta(0)
    sandbox_delay_after_charge: Duration = timedelta(0)
    # ...and book the first N charges of a key but answer as if the connection dropped.
    sandbox_lost_answers: int = Field(default=0, ge=0)
    # ...lose the first N calls of a key before booking anything (the gateway never saw them),
    sandbox_lost_before_booking: int = Field(default=0, ge=0)
    # ...and answer `pending` to the first N lookups of a key, as a gateway still deciding does.
    sandbox_pending_lookups: int = Field(default=0, ge=0)
    # How long a charge whose outcome is unknown is looked up by its key; then ops are asked.
    charge_lookup_window: Duration = timedelta(days=1)
    # Payment attempts (new payments and retries) one user may make per window; then 429.
    payment_rate_limit: int = Field(default=10, ge=1)
    payment_rate_window: Duration = timedelta(minutes=1)
    # Order creations one buyer may make per window; then 429.
    order_rate_limit: int = Field(default=30, ge=1)
    order_rate_window: Duration = timedelta(minutes=1)
    # Pending (unpaid) orders one buyer may hold: stock is not free to hoard.
    max_open_unpaid_orders: int = Field(default=5, ge=1)
    max_order_quantity: int = Field(default=100, ge=1, le=10_000)
    # Larger request bodies are refused (413) while they stream in, before they are read whole.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # How long POST /api/payments/ waits for the outcome before answering `processing`.
    payment_answer_wait: Duration = timedelta(seconds=5)

    def warn_if_insecure(self) -> None:
        if self.jwt_secret == DEV_JWT_SECRET:
            warnings.warn(
                "ORDER_ENGINE_JWT_SECRET is the development default; set it in production",
                stacklevel=2,
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settle_collector(young_every: int | None = None) -> None:
    """The cyclic garbage collector tuned for a long-running server process, once it has
    imported and built what it serves with. Nearly all that is alive then lives as long as the
    process: frozen, no full collection walks it again (a frozen cycle that dies later is not
    freed: a bounded loss, once). A full collection holds the GIL, every request or step in
    flight waiting: in `make bench` the worker's took ~85 ms, ~50 ms frozen.

    `young_every`: allocations between young collections (None: left as it is, Python's 700).
    The API's requests make short-lived objects that reference counting frees: every 50,000,
    its collector's time per `make bench` run fell from ~0.3 to ~0.09 s and its full
    collections from three or four per run to none. The worker keeps Python's: a workflow
    evicted from its cache is cycles that only a full collection frees, and full collections
    follow young ones (10,000 open orders: worker RSS 465-468 MiB with 700, 1,288 with 50,000).
    """
    gc.collect()
    gc.freeze()
    if young_every is not None:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(young_every, middle, old)
