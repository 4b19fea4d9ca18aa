"""Figures of a run: percentiles, the printed table and bench/results/lifecycle.json."""

import json
import math
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.drive import Timings

# Issue 13: absolute limits, and limits relative to the bare twin measured in the same run.
MIN_RATIO = 0.8
MAX_CPU_MS = {"worker": 45.0, "api": 20.0}
MAX_P99_OVER_BARE = 1.5
MAX_EVENTS_OVER_BARE = 1.25
# payout: from the delivery's answer to the end of the workflow (escrow hold, then the payout).
STEPS = ("create", "payment", "ship", "deliver", "payout")
NPROC = len(os.sched_getaffinity(0))


@dataclass
class Phase:
    orders: int
    wall_s: float
    timings: Timings
    cpu_s: dict[str, float]
    breakdown: dict[str, list[float]]

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.wall_s


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "mean": round(sum(values) / len(values), 2),
        "max": round(max(values), 2),
        "count": len(values),
    }


def phase_figures(phase: Phase) -> dict[str, Any]:
    return {
        "orders_per_s": round(phase.orders_per_s, 2),
        "wall_s": round(phase.wall_s, 3),
        **{f"{step}_ms": summary(phase.timings.steps.get(step, [])) for step in STEPS},
        "cpu_ms_per_order": {
            name: round(seconds * 1000 / phase.orders, 1) for name, seconds in phase.cpu_s.items()
        },
        # Of all the machine's CPUs over the timed part: near 100 means CPU-bound.
        "cpu_busy_pct": round(100 * sum(phase.cpu_s.values()) / (phase.wall_s * NPROC), 1),
        "temporal_breakdown_ms": {
            step: summary(values) for step, values in sorted(phase.breakdown.items())
        },
    }


@dataclass
class RunInfo:
    orders: int
    concurrency: int
    load_before: tuple[float, float, float]
    dynamic_config: list[str]
    escrow_hold_s: float
    worker_rss_mib: float = 0.0
    api_rss_mib: float = 0.0
    # bench/steps.py's CPU per order on SQLite, measured after the stack stopped (None: not run)
    db_steps_ms: float | None = None


def figures(real: Phase, bare: Phase, info: RunInfo) -> dict[str, Any]:
    real_fig, bare_fig = phase_figures(real), phase_figures(bare)
    ratio = real.orders_per_s / bare.orders_per_s
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": NPROC,
            "platform": platform.platform(),
            "python": platform.python_version(),
            # Other load on the machine skews every figure: recorded to judge a run by.
            "loadavg_before": [round(load, 2) for load in info.load_before],
        },
        "orders": info.orders,
        "concurrency": info.concurrency,
        "server_dynamic_config": info.dynamic_config,
        # Both phases wait it out in every purchase: it is in both throughputs (README).
        "escrow_hold_s": info.escrow_hold_s,
        "orders_per_s_real": real_fig["orders_per_s"],
        "orders_per_s_bare": bare_fig["orders_per_s"],
        "throughput_ratio": round(ratio, 3),
        "create_ms": real_fig["create_ms"],
        "payment_ms": real_fig["payment_ms"],
        "worker_peak_rss_mib": round(info.worker_rss_mib, 1),
        "api_peak_rss_mib": round(info.api_rss_mib, 1),
        "targets": targets(real_fig, bare_fig, ratio),
        "worker_floor_ms_per_order": floor(bare_fig, info.db_steps_ms),
        "real": real_fig,
        "bare": bare_fig,
    }


def floor(bare: dict[str, Any], db_steps_ms: float | None) -> dict[str, float] | None:
    """A lower bound of our worker's CPU per order on this machine, for the workflow's current
    shape and database code: the bare twin's worker (the SDK's work for a workflow of our
    steps, updates and timers with a smaller class and payloads) plus our database steps run
    one after another (no contention)."""
    if db_steps_ms is None:
        return None
    bare_worker = float(bare["cpu_ms_per_order"]["worker"])
    return {
        "bare_worker": bare_worker,
        "db_steps": round(db_steps_ms, 1),
        "sum": round(bare_worker + db_steps_ms, 1),
    }


def targets(real: dict[str, Any], bare: dict[str, Any], ratio: float) -> dict[str, Any]:
    def p99(figures: dict[str, Any], step: str) -> float:
        return float(figures[f"{step}_ms"].get("p99", math.inf))

    def events(figures: dict[str, Any]) -> float:
        return float(
            figures["temporal_breakdown_ms"].get("history events", {}).get("mean", math.inf)
        )

    found = {
        "throughput_ratio": (ratio, MIN_RATIO, True),
        **{
            f"{name}_cpu_ms_per_order": (real["cpu_ms_per_order"][name], limit, False)
            for name, limit in MAX_CPU_MS.items()
        },
        **{
            f"{step}_p99_ms": (p99(real, step), MAX_P99_OVER_BARE * p99(bare, step), False)
            for step in ("create", "payment")
        },
    }
    # With no histories read (--histories 0) there is nothing to judge: the target is left out
    # rather than shown as met (inf ≤ inf).
    if math.isfinite(events(real)) and math.isfinite(events(bare)):
        limit = MAX_EVENTS_OVER_BARE * events(bare)
        found["history_events_per_order"] = (events(real), limit, False)
    return {
        name: {
            "limit": round(limit, 3),
            "measured": round(value, 3),
            "met": value >= limit if at_least else value <= limit,
        }
        for name, (value, limit, at_least) in found.items()
    }


def table(result: dict[str, Any]) -> str:
    return "\n".join(
        [*headline(result), *step_rows(result), *resource_rows(result), *target_rows(result)]
    )


def headline(result: dict[str, Any]) -> list[str]:
    real, bare, machine = result["real"], result["bare"], result["machine"]
    server = "".join(f", server {value}" for value in result["server_dynamic_config"])
    return [
        f"order lifecycle: {result['orders']} orders, concurrency {result['concurrency']}, "
        f"{machine['nproc']} CPUs, load before {machine['loadavg_before'][0]}{server}, "
        f"escrow hold {result['escrow_hold_s']:g} s (in both)",
        f"{'':28}{'real':>16}{'bare':>16}",
        f"{'orders/s':28}{real['orders_per_s']:>16.1f}{bare['orders_per_s']:>16.1f}",
        f"{'ratio real/bare':28}{result['throughput_ratio']:>16.2f}",
    ]


def step_rows(result: dict[str, Any]) -> list[str]:
    return [
        f"{step + ' p50 / p99 ms':28}{pair(result['real'][f'{step}_ms']):>16}"
        f"{pair(result['bare'][f'{step}_ms']):>16}"
        for step in STEPS
    ]


def target_rows(result: dict[str, Any]) -> list[str]:
    rows = ["", f"{'target (issue 13)':28}{'measured':>16}{'limit':>16}"]
    for name, goal in result["targets"].items():
        sign = ">=" if name == "throughput_ratio" else "<="
        verdict = "ok" if goal["met"] else "MISSED"
        rows.append(f"{name:28}{goal['measured']:>16.2f}{sign:>6}{goal['limit']:>10.2f}  {verdict}")
    return rows


def resource_rows(result: dict[str, Any]) -> list[str]:
    real, bare = result["real"], result["bare"]
    rows = [
        f"{'CPU ms/order ' + name:28}{ms:>16.1f}{bare['cpu_ms_per_order'][name]:>16.1f}"
        for name, ms in real["cpu_ms_per_order"].items()
    ]
    rows.append(
        f"{'CPU busy % (all CPUs)':28}{real['cpu_busy_pct']:>16.1f}{bare['cpu_busy_pct']:>16.1f}"
    )
    found = result.get("worker_floor_ms_per_order")
    if found:
        rows.append(
            f"{'worker floor ms/order':28}{found['sum']:>16.1f}"
            f"  (bare worker {found['bare_worker']:.1f} + our DB steps serially"
            f" {found['db_steps']:.1f}, bench.steps)"
        )
    rows.append(f"{'worker peak RSS MiB':28}{result['worker_peak_rss_mib']:>16.1f}")
    rows.append(f"{'api peak RSS MiB':28}{result['api_peak_rss_mib']:>16.1f}")
    return rows


def breakdown_table(result: dict[str, Any]) -> str:
    real, bare = result["real"]["temporal_breakdown_ms"], result["bare"]["temporal_breakdown_ms"]
    lines = [
        f"{'inside Temporal (from histories), ms':44}{'real p50 / p99':>18}{'bare p50 / p99':>18}"
    ]
    for step in sorted(set(real) | set(bare)):
        lines.append(f"{step:44}{pair(real.get(step)):>18}{pair(bare.get(step)):>18}")
    return "\n".join(lines)


def pair(figures: dict[str, float] | None) -> str:
    if not figures or not figures["count"]:
        return "-"
    return f"{figures['p50']:.1f} / {figures['p99']:.1f}"


def write(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
