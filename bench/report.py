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

TARGETS = {"create_p99_ms": 100.0, "payment_p99_ms": 200.0, "throughput_ratio": 0.5}
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


def figures(real: Phase, bare: Phase, info: RunInfo) -> dict[str, Any]:
    real_fig, bare_fig = phase_figures(real), phase_figures(bare)
    ratio = real.orders_per_s / bare.orders_per_s
    measured = {
        "create_p99_ms": real_fig["create_ms"]["p99"],
        "payment_p99_ms": real_fig["payment_ms"]["p99"],
        "throughput_ratio": ratio,
    }
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
        "targets": {name: target(name, value) for name, value in measured.items()},
        "real": real_fig,
        "bare": bare_fig,
    }


def target(name: str, measured: float) -> dict[str, Any]:
    limit = TARGETS[name]
    met = measured >= limit if name == "throughput_ratio" else measured < limit
    return {"limit": limit, "measured": round(measured, 3), "met": met}


def table(result: dict[str, Any]) -> str:
    return "\n".join([*headline(result), *step_rows(result), *resource_rows(result)])


def headline(result: dict[str, Any]) -> list[str]:
    real, bare, machine = result["real"], result["bare"], result["machine"]
    met = "ok" if result["targets"]["throughput_ratio"]["met"] else "MISSED"
    server = "".join(f", server {value}" for value in result["server_dynamic_config"])
    return [
        f"order lifecycle: {result['orders']} orders, concurrency {result['concurrency']}, "
        f"{machine['nproc']} CPUs, load before {machine['loadavg_before'][0]}{server}, "
        f"escrow hold {result['escrow_hold_s']:g} s (in both)",
        f"{'':28}{'real':>16}{'bare':>16}",
        f"{'orders/s':28}{real['orders_per_s']:>16.1f}{bare['orders_per_s']:>16.1f}",
        f"{'ratio real/bare':28}{result['throughput_ratio']:>16.2f}{'':16}  >= 0.50 {met}",
    ]


def step_rows(result: dict[str, Any]) -> list[str]:
    targets, rows = result["targets"], []
    notes = {"create": "create_p99_ms", "payment": "payment_p99_ms"}
    for step in STEPS:
        note = ""
        if step in notes:
            goal = targets[notes[step]]
            note = f"  p99 < {goal['limit']:.0f} {'ok' if goal['met'] else 'MISSED'}"
        rows.append(
            f"{step + ' p50 / p99 ms':28}{pair(result['real'][f'{step}_ms']):>16}"
            f"{pair(result['bare'][f'{step}_ms']):>16}{note}"
        )
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
