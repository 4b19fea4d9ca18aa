"""The open-orders bench's data: who buys from whom, a fresh PostgreSQL database, and the past
orders written straight into the read model (SQLAlchemy Core inserts in batches, no API)."""

import math
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from sqlalchemy import insert

from db.engine import get_engine
from db.tables import Base

TABLES = Base.metadata.tables
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Open orders per buyer, per seller and per listing (each listing holds that much stock).
OPEN_PER_BUYER = 200
OPEN_PER_SELLER = 500
OPEN_PER_LISTING = 50
# Half the past orders belong to the bench's own buyers and sellers (so theirs are the long
# lists), half to others: ten times as many buyers, five times as many sellers.
OWN_SHARE = 0.5
OTHER_BUYERS_FACTOR = 10
OTHER_SELLERS_FACTOR = 5
DELIVERED_SHARE = 0.8
PAST_SPAN = timedelta(days=730)
BATCH = 5000
ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
PRICE, FEE = Decimal("1499.00"), Decimal("25.00")


@dataclass(frozen=True)
class Cast:
    """The bench's users: buyers and sellers of the open orders, and the others of the past."""

    buyers: list[str]
    sellers: list[str]
    other_buyers: list[str]
    other_sellers: list[str]

    @classmethod
    def for_run(cls, open_orders: int) -> "Cast":
        buyers = max(1, math.ceil(open_orders / OPEN_PER_BUYER))
        sellers = max(1, math.ceil(open_orders / OPEN_PER_SELLER))
        return cls(
            [f"bench-buyer-{i}" for i in range(buyers)],
            [f"bench-seller-{i}" for i in range(sellers)],
            [f"past-buyer-{i}" for i in range(buyers * OTHER_BUYERS_FACTOR)],
            [f"past-seller-{i}" for i in range(sellers * OTHER_SELLERS_FACTOR)],
        )

    def listings_plan(self, open_orders: int) -> list[tuple[str, int]]:
        """(seller, stock) of each listing of the open orders; order i buys listing i % L."""
        count = max(1, math.ceil(open_orders / OPEN_PER_LISTING))
        stock = [0] * count
        for index in range(open_orders):
            stock[index % count] += 1
        return [(self.sellers[j % len(self.sellers)], stock[j]) for j in range(count)]


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """An empty database `bench_open_<random>` on the local server, dropped afterwards."""
    name = f"bench_open_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_BASE}/{name}"
        try:
            yield url
        finally:
            get_engine(url).dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_past_orders(url: str, cast: Cast, count: int, seed: int) -> dict[str, Any]:
    """`count` delivered or cancelled orders created over the last two years, with the
    listings they name and the yearly order-number counters bumped past their numbers."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    listing_of = {seller: str(uuid.uuid4()) for seller in [*cast.sellers, *cast.other_sellers]}
    listings = [
        {
            "id": listing_id,
            "seller_id": seller,
            "listing_type": "car",
            "title": "Sold car",
            "description": "",
            "unit_price": PRICE,
            "currency": "USD",
            "shipping_fee": FEE,
            "quantity_available": 0,
            "status": "sold_out",
            "created_at": now - PAST_SPAN - timedelta(days=1),
            "updated_at": now - timedelta(days=1),
        }
        for seller, listing_id in listing_of.items()
    ]
    # Creation times first, so that the order numbers of each year follow them.
    times = sorted(now - timedelta(days=1) - rng.random() * PAST_SPAN for _ in range(count))
    per_year: dict[int, int] = {}
    own = {"buyer": 0, "seller": 0}
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(TABLES["listings"]), listings)
        batch: list[dict[str, Any]] = []
        for created in times:
            per_year[created.year] = per_year.get(created.year, 0) + 1
            number = f"ORD-{created.year}-{per_year[created.year]:06d}"
            mine = rng.random() < OWN_SHARE
            buyer = rng.choice(cast.buyers if mine else cast.other_buyers)
            seller = rng.choice(cast.sellers if rng.random() < OWN_SHARE else cast.other_sellers)
            own["buyer"] += buyer in cast.buyers
            own["seller"] += seller in cast.sellers
            delivered = rng.random() < DELIVERED_SHARE
            batch.append(_past_order(number, buyer, seller, listing_of[seller], created, delivered))
            if len(batch) >= BATCH:
                connection.execute(insert(TABLES["orders"]), batch)
                batch = []
        if batch:
            connection.execute(insert(TABLES["orders"]), batch)
        counters = [{"name": f"ORD-{year}", "value": value} for year, value in per_year.items()]
        if counters:
            connection.execute(insert(TABLES["counters"]), counters)
    return {
        "orders": count,
        "listings": len(listings),
        "orders_of_bench_buyers": own["buyer"],
        "orders_of_bench_sellers": own["seller"],
        "per_year": {str(year): value for year, value in sorted(per_year.items())},
    }


def _past_order(
    number: str, buyer: str, seller: str, listing_id: str, created: datetime, delivered: bool
) -> dict[str, Any]:
    order_id = str(uuid.uuid4())
    total = PRICE + FEE
    confirmed = created + timedelta(minutes=5)
    shipped = created + timedelta(days=1) if delivered else None
    ended = created + timedelta(days=4) if delivered else created + timedelta(hours=2)
    fee = (total * Decimal("0.05")).quantize(Decimal("0.01"))
    return {
        "id": order_id,
        "order_number": number,
        "buyer_id": buyer,
        "seller_id": seller,
        "listing_id": listing_id,
        "order_type": "car",
        "item_name": "Sold car",
        "description": "",
        "quantity": 1,
        "unit_price": PRICE,
        "subtotal": PRICE,
        "discount": Decimal("0.00"),
        "tax": Decimal("0.00"),
        "shipping": FEE,
        "total_amount": total,
        "currency": "USD",
        "discount_code": None,
        "shipping_address": ADDRESS,
        "billing_address": None,
        "status": "delivered" if delivered else "cancelled",
        "payment_id": None,
        "invoice_id": None,
        "refunded_amount": Decimal("0.00"),
        "tracking_number": "1Z999" if delivered else None,
        "tracking_url": None,
        "carrier": "UPS" if delivered else None,
        "buyer_notes": None,
        "seller_notes": None,
        "cancel_reason": None if delivered else "payment_timeout",
        "stock_released": not delivered,
        "created_at": created,
        "updated_at": ended,
        "confirmed_at": confirmed if delivered else None,
        "shipped_at": shipped,
        "delivered_at": ended if delivered else None,
        "cancelled_at": None if delivered else ended,
        "workflow_id": f"order-{order_id}",
        "deadline_kind": None,
        "deadline_at": None,
        "payout_status": "paid" if delivered else None,
        "payout_amount": total - fee if delivered else None,
        "payout_fee": fee if delivered else None,
        "payout_at": ended + timedelta(days=3) if delivered else None,
    }
