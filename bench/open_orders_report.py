"""Figures of an open-orders run: the targets of issue 13 point 4, the JSON and the table."""

import argparse
import platform
from datetime import UTC, datetime
from typing import Any

from bench.open_orders_data import Cast
from bench.report import NPROC, summary
from config import Settings

# name: (limit, unit, what it is)
TARGETS = {
    "worker_peak_rss_mib": (1024.0, "MiB", "worker RSS, peak over the run"),
    "ship_visible_p99_ms": (250.0, "ms", "ship → shipped in GET /api/orders/{id}/, p99"),
    "list_buyer_p99_ms": (50.0, "ms", "GET /api/orders/?role=buyer, p99"),
    "list_seller_confirmed_p99_ms": (50.0, "ms", "GET ?role=seller&status=confirmed, p99"),
}


def figures(
    *,
    args: argparse.Namespace,
    started: datetime,
    load_before: list[float],
    load_after: list[float],
    cast: Cast,
    past: dict[str, Any],
    driven: dict[str, Any],
    phases: dict[str, dict[str, Any]],
    rss: dict[str, Any],
    plans: dict[str, Any],
) -> dict[str, Any]:
    opened, shipped = driven["opened"], driven["shipped"]
    ship_ms, visible_ms = summary(shipped.ship_ms), summary(shipped.visible_ms)
    buyer_ms = summary(driven["list_buyer_ms"])
    seller_ms = summary(driven["list_seller_confirmed_ms"])
    measured = {
        "worker_peak_rss_mib": rss["worker_peak_mib"],
        "ship_visible_p99_ms": visible_ms["p99"],
        "list_buyer_p99_ms": buyer_ms["p99"],
        "list_seller_confirmed_p99_ms": seller_ms["p99"],
    }
    return {
        "date": started.isoformat(timespec="seconds"),
        "ended": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": NPROC,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        },
        "database": args.database,
        "options": {
            "open": args.open,
            "past": args.past,
            "ship": args.ship,
            "concurrency": args.concurrency,
            "list_requests": args.list_requests,
            "poll_ms": args.poll_ms,
            "seed": args.seed,
            "worker_cached_workflows": Settings().worker_cached_workflows,  # what the stack got
        },
        "users": {
            "bench_buyers": len(cast.buyers),
            "bench_sellers": len(cast.sellers),
            "other_buyers": len(cast.other_buyers),
            "other_sellers": len(cast.other_sellers),
            # bench/stack.py engine_env raises them for every bench run.
            "rate_limits": "ORDER_RATE_LIMIT, PAYMENT_RATE_LIMIT, MAX_OPEN_UNPAID_ORDERS = 1e6",
        },
        "past_orders": past,
        "open_orders": {
            "count": len(opened.orders),
            "all_confirmed": len(opened.orders) == args.open,
            "answered_pending_then_confirmed": opened.confirmed_late,
            "orders_per_s": round(len(opened.orders) / opened.wall_s, 2),
            "create_with_payment_ms": summary(opened.create_ms),
        },
        "ship": {
            "count": len(shipped.ship_ms),
            "ship_call_ms": ship_ms,
            "visible_ms": visible_ms,
            "answer_showed_shipped": shipped.answered_shipped,
            "seen_by_buyer_before_ship_answer": shipped.seen_before_answer,
            "buyer_polls": shipped.polls,
        },
        "ship_one_at_a_time": {
            "count": len(driven["shipped_c1"].ship_ms),
            "ship_call_ms": summary(driven["shipped_c1"].ship_ms),
            "visible_ms": summary(driven["shipped_c1"].visible_ms),
        },
        "list_buyer_ms": buyer_ms,
        "list_seller_confirmed_ms": seller_ms,
        "list_buyer_c1_ms": summary(driven["list_buyer_c1_ms"]),
        "list_seller_confirmed_c1_ms": summary(driven["list_seller_confirmed_c1_ms"]),
        "rss": rss,
        "phases": phases,
        "targets": {name: target(name, value) for name, value in measured.items()},
        "query_plans": plans,
    }


def target(name: str, measured: float) -> dict[str, Any]:
    limit = TARGETS[name][0]
    return {"limit": limit, "measured": measured, "met": measured < limit}


def table(result: dict[str, Any]) -> str:
    options, machine = result["options"], result["machine"]
    opened, ship = result["open_orders"], result["ship"]
    lines = [
        f"open orders at scale ({result['database']}): {options['open']} open, "
        f"{options['past']} past, {options['ship']} shipped, concurrency "
        f"{options['concurrency']}; {machine['nproc']} CPUs, load "
        f"{machine['loadavg_before'][0]} before, {machine['loadavg_after'][0]} after",
        f"{'target':52}{'limit':>10}{'measured':>12}  result",
    ]
    for name, goal in result["targets"].items():
        _, unit, what = TARGETS[name]
        verdict = "PASS" if goal["met"] else "FAIL"
        lines.append(
            f"{what:52}{goal['limit']:>7.0f} {unit:<3}{goal['measured']:>9.1f} {unit:<3} {verdict}"
        )
    lines += [
        "",
        f"{'':52}{'p50':>10}{'p99':>10}{'max':>10}",
        row("create + card payment (confirmed) ms", opened["create_with_payment_ms"]),
        row("ship call ms", ship["ship_call_ms"]),
        row("ship → visible to the buyer ms", ship["visible_ms"]),
        row("ship → visible ms, one at a time", result["ship_one_at_a_time"]["visible_ms"]),
        row("GET ?role=buyer ms", result["list_buyer_ms"]),
        row("GET ?role=seller&status=confirmed ms", result["list_seller_confirmed_ms"]),
        row("GET ?role=buyer ms, one at a time", result["list_buyer_c1_ms"]),
        row(
            "GET ?role=seller&status=confirmed, one at a time",
            result["list_seller_confirmed_c1_ms"],
        ),
        "",
        f"open orders/s {opened['orders_per_s']}, all confirmed: {opened['all_confirmed']} "
        f"({opened['answered_pending_then_confirmed']} answered pending first)",
        f"ship answers showing shipped: {ship['answer_showed_shipped']}/{ship['count']}; "
        f"seen by the buyer before the ship answer: "
        f"{ship['seen_by_buyer_before_ship_answer']}",
    ]
    rss = result["rss"]
    lines.append(
        f"RSS MiB worker: start {rss['start_mib']['worker']}, after open "
        f"{rss['after_open_mib']['worker']}, end {rss['end_mib']['worker']}, peak "
        f"{rss['worker_peak_mib']}; api: start {rss['start_mib']['api']}, after open "
        f"{rss['after_open_mib']['api']}, end {rss['end_mib']['api']}, peak {rss['api_peak_mib']}"
    )
    lines.append(f"{'phase':10}{'wall s':>9}  CPU s (temporal / worker / api / bench)  load")
    for name, phase in result["phases"].items():
        cpu = phase["cpu_s"]
        lines.append(
            f"{name:10}{phase['wall_s']:>9.1f}  {cpu['temporal']:>8.1f} {cpu['worker']:>8.1f} "
            f"{cpu['api']:>8.1f} {cpu['bench']:>8.1f}        {phase['loadavg_after'][0]}"
        )
    return "\n".join(lines)


def row(name: str, figures: dict[str, float]) -> str:
    if not figures.get("count"):
        return f"{name:52}{'-':>10}"
    return f"{name:52}{figures['p50']:>10.1f}{figures['p99']:>10.1f}{figures['max']:>10.1f}"
