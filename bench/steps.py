"""What the database steps of one purchase cost, without Temporal: the worker's activities
called one after another on a fresh SQLite file, as `OrderWorkflow` calls them for a card
purchase (admit, begin the attempt, complete the payment, ship, deliver, pay out).

    .venv/bin/python -m bench.steps [--orders N] [--profile] [--json]

Prints the CPU milliseconds of each step per order (this thread's CPU time), so that a cut in
services/ can be measured in seconds instead of a whole `make bench`.
"""

import argparse
import cProfile
import json
import pstats
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from activities.orders import OrderActivities
from db.engine import get_engine, session_scope
from db.migrate import upgrade
from db.tables import Listing
from db.types import utcnow
from domain.contracts import (
    Address,
    Deadline,
    NewOrder,
    PaymentAttempt,
    PaymentCompleted,
    PayoutDue,
    Transition,
)
from domain.order_states import OrderStatus
from domain.payout import payout_plan

ADDRESS = Address(name="Ada", line1="1 Main St", city="Springfield", postal_code="1", country="US")
SELLERS = 20


def listing(url: str, seller_id: str, quantity: int) -> str:
    listing_id = str(uuid.uuid4())
    with session_scope(url) as session:
        now = utcnow()
        session.add(
            Listing(
                id=listing_id,
                seller_id=seller_id,
                listing_type="car",
                title="1998 Mazda MX-5",
                description="Red",
                unit_price=Decimal("1499.00"),
                currency="USD",
                shipping_fee=Decimal("25.00"),
                quantity_available=quantity,
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
    return listing_id


def purchase(acts: OrderActivities, listing_id: str, seller: str, n: int) -> list[tuple[str, Any]]:
    """The steps of one card purchase, in the workflow's order, as (name, thunk)."""
    order_id, payment_id, buyer = str(uuid.uuid4()), str(uuid.uuid4()), f"buyer-{n % 50}"
    now = utcnow()
    new = NewOrder(
        order_id=order_id,
        buyer_id=buyer,
        listing_id=listing_id,
        shipping_address=ADDRESS,
        tax_rate=Decimal(0),
        quantity=1,
        deadline=Deadline(kind="payment", at=now + timedelta(minutes=30)),
    )
    total = Decimal("1524.00")
    plan = payout_plan(total, Decimal(0), Decimal("0.05"), "USD", now + timedelta(days=3))
    attempt = PaymentAttempt(
        order_id=order_id,
        payment_id=payment_id,
        payment_method="credit_card",
        gateway="sandbox",
        amount=total,
        currency="USD",
        attempt=1,
    )
    done = PaymentCompleted(
        order_id=order_id,
        payment_id=payment_id,
        transaction_id=f"ch_{n}",
        gateway_response={"id": f"ch_{n}"},
        actor=buyer,
        at=now,
        payment_method="credit_card",
        deadline=Deadline(kind="ship", at=now + timedelta(days=7)),
    )
    shipped = Transition(
        order_id=order_id,
        status=OrderStatus.SHIPPED,
        event="shipped",
        actor=seller,
        at=now,
        tracking_number="1Z999",
        deadline=Deadline(kind="delivery", at=now + timedelta(days=14)),
    )
    delivered = Transition(
        order_id=order_id,
        status=OrderStatus.DELIVERED,
        event="delivered",
        actor=buyer,
        at=now,
        deadline=Deadline(kind="payout", at=plan.at),
        payout=plan,
    )
    due = PayoutDue(order_id=order_id, seller_id=seller, plan=plan, at=plan.at)
    return [
        ("admit_order", lambda: acts.admit_order(new)),
        ("begin_payment_attempt", lambda: acts.begin_payment_attempt(attempt)),
        ("complete_payment", lambda: acts.complete_payment(done)),
        ("record_transition shipped", lambda: acts.record_transition(shipped)),
        ("record_transition delivered", lambda: acts.record_transition(delivered)),
        ("pay_out", lambda: acts.pay_out(due)),
    ]


def run(
    url: str, orders: int, warmup: int, profiler: cProfile.Profile | None
) -> dict[str, tuple[float, float]]:
    """CPU milliseconds and SQL statements (BEGIN and COMMIT included) of each step per order."""
    upgrade(url)
    sellers = [f"seller-{i}" for i in range(SELLERS)]
    listings = [listing(url, seller, orders + warmup) for seller in sellers]
    acts = OrderActivities(url)
    spent: dict[str, float] = {}
    issued: dict[str, int] = {}
    statements = [0]

    @event.listens_for(get_engine(url, False), "before_cursor_execute")
    def count(*_: Any) -> None:
        statements[0] += 1

    for n in range(warmup + orders):
        timed = n >= warmup
        for name, step in purchase(acts, listings[n % SELLERS], sellers[n % SELLERS], n):
            if timed and profiler:
                profiler.enable()
            began, before = time.thread_time(), statements[0]
            step()
            took = time.thread_time() - began
            if timed and profiler:
                profiler.disable()
            if timed:
                spent[name] = spent.get(name, 0.0) + took
                issued[name] = issued.get(name, 0) + statements[0] - before
    return {
        name: (seconds * 1000 / orders, issued[name] / orders) for name, seconds in spent.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print the top cProfile entries")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/steps.db"
        per_order = run(url, args.orders, args.warmup, profiler)
    if args.json:
        total = sum(ms for ms, _ in per_order.values())
        print(json.dumps({"cpu_ms_per_order": round(total, 2), "steps": per_order}))
        return
    print(f"{'step':32}{'CPU ms':>8}{'SQL':>6}")
    for name, (ms, sql) in per_order.items():
        print(f"{name:32}{ms:8.2f}{sql:6.1f}")
    cpu, sql = (sum(figures) for figures in zip(*per_order.values(), strict=True))
    print(f"{'per order':32}{cpu:8.2f}{sql:6.1f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
