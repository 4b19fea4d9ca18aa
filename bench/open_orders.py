"""Open orders at scale (issue 13, point 4): many orders waiting for shipment, a long history.

    .venv/bin/python bench/open_orders.py [--open N] [--past N] [--ship N] [--concurrency C]
                                          [--database sqlite|postgresql] [--out PATH]

One run starts a file-backed Temporal dev server, the worker and the API as separate processes
(bench/stack.py), writes --past delivered or cancelled orders straight into the read model
(bulk inserts, no API), creates --open orders over HTTP, each paid by card in its create call
(all must be `confirmed`: their workflows stay open, waiting for shipment), then ships --ship
of them chosen at random while each buyer polls GET /api/orders/{id}/ until it shows `shipped`,
then times GET /api/orders/?role=buyer and ?role=seller&status=confirmed. It reads the worker's
and the API's RSS and CPU from /proc, explains the lists' SQL, prints the targets and writes
bench/results/open_orders.json (or --out).
"""

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package

from bench.open_orders_data import Cast, fresh_postgres, write_past_orders
from bench.open_orders_http import (
    choose,
    make_listings,
    open_orders,
    page_of,
    ship_some,
    time_list,
    users,
)
from bench.open_orders_plans import explain_all, plan_lines
from bench.open_orders_report import figures, table
from bench.procfs import CpuUse, PeakRss
from bench.report import write
from bench.stack import Stack, running_stack

SEQUENTIAL = 100  # list requests (and ships) timed one at a time, besides those at the concurrency
RESULTS = Path(__file__).resolve().parent / "results" / "open_orders.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--open", type=int, default=10_000, help="orders left confirmed")
    parser.add_argument("--past", type=int, default=100_000, help="past orders written directly")
    parser.add_argument("--ship", type=int, default=1_000, help="open orders shipped at random")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--list-requests", type=int, default=500, help="timed requests of each order list"
    )
    parser.add_argument(
        "--poll-ms", type=float, default=10.0, help="pause between the buyer's polls of a ship"
    )
    parser.add_argument("--seed", type=int, default=13, help="seeds the past data and the ships")
    parser.add_argument(
        "--worker-cache",
        type=int,
        default=None,
        help="the worker's ORDER_ENGINE_WORKER_CACHED_WORKFLOWS (default: the setting's)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if min(args.open, args.ship, args.concurrency, args.list_requests) < 1 or args.past < 0:
        parser.error("--open, --ship, --concurrency, --list-requests ≥ 1 and --past ≥ 0")
    if args.worker_cache is not None and args.worker_cache < 1:
        parser.error("--worker-cache ≥ 1")
    if args.ship > args.open:
        parser.error("--ship cannot exceed --open")
    return args


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def loadavg() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


class Recorder:
    """Each phase's wall time, CPU seconds per process and the load average after it."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self.phases: dict[str, dict[str, Any]] = {}

    def phase(self, name: str) -> "PhaseTimer":
        return PhaseTimer(self, name)


class PhaseTimer:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self._recorder, self._name = recorder, name
        self._cpu = CpuUse(recorder._stack.pids)
        self._started = 0.0

    def __enter__(self) -> "PhaseTimer":
        print(f"{self._name}...", file=sys.stderr, flush=True)
        self._started = time.perf_counter()
        self._cpu.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cpu.__exit__(*exc)
        wall = time.perf_counter() - self._started
        self._recorder.phases[self._name] = {
            "wall_s": round(wall, 2),
            "cpu_s": {name: round(seconds, 2) for name, seconds in self._cpu.seconds.items()},
            "loadavg_after": loadavg(),
        }


async def drive(
    stack: Stack, args: argparse.Namespace, cast: Cast, rec: Recorder
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    http = users(stack.api_url, args.concurrency)
    async with http.client:
        with rec.phase("listings"):
            plan = cast.listings_plan(args.open)
            listings = await make_listings(http, plan, args.concurrency)
        with rec.phase("open"):
            sellers = [seller for seller, _ in plan]
            opened = await open_orders(http, cast, listings, sellers, args.open, args.concurrency)
        out["opened"] = opened
        out["rss_after_open_mib"] = {
            "worker": round(rss_mib(stack.worker_pid), 1),
            "api": round(rss_mib(stack.api_pid), 1),
        }
        chosen = choose(opened.orders, args.ship + SEQUENTIAL, args.seed)
        with rec.phase("ship"):
            out["shipped"] = await ship_some(
                http, chosen[: args.ship], args.concurrency, args.poll_ms / 1000
            )
        # Other open orders, one at a time: what a ship costs at this scale without a queue
        # of 16 in front of it (the same cache misses, on a machine no longer saturated).
        with rec.phase("ship one at a time"):
            out["shipped_c1"] = await ship_some(http, chosen[args.ship :], 1, args.poll_ms / 1000)
        with rec.phase("lists"):
            out["list_buyer_ms"] = await time_list(
                http, cast.buyers, "buyer", {"role": "buyer"}, args.list_requests,
                args.concurrency, page_of(None),
            )  # fmt: skip
            out["list_seller_confirmed_ms"] = await time_list(
                http, cast.sellers, "seller", {"role": "seller", "status": "confirmed"},
                args.list_requests, args.concurrency, page_of("confirmed"),
            )  # fmt: skip
            # The same lists one at a time: the service time without the queue in front of it.
            out["list_buyer_c1_ms"] = await time_list(
                http, cast.buyers, "buyer", {"role": "buyer"}, SEQUENTIAL, 1, page_of(None)
            )
            out["list_seller_confirmed_c1_ms"] = await time_list(
                http, cast.sellers, "seller", {"role": "seller", "status": "confirmed"},
                SEQUENTIAL, 1, page_of("confirmed"),
            )  # fmt: skip
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.worker_cache is not None:  # the stack's processes inherit the environment
        os.environ["ORDER_ENGINE_WORKER_CACHED_WORKFLOWS"] = str(args.worker_cache)
    cast = Cast.for_run(args.open)
    started = datetime.now(UTC)
    load_before = loadavg()
    with ExitStack() as stack_of:
        url = stack_of.enter_context(fresh_postgres()) if args.database == "postgresql" else None
        workdir = Path(stack_of.enter_context(tempfile.TemporaryDirectory(prefix="bench-open-")))
        stack = stack_of.enter_context(running_stack(workdir, [], url))
        worker_rss = stack_of.enter_context(PeakRss(stack.worker_pid))
        api_rss = stack_of.enter_context(PeakRss(stack.api_pid))
        rec = Recorder(stack)
        rss_start = {"worker": rss_mib(stack.worker_pid), "api": rss_mib(stack.api_pid)}
        with rec.phase("past"):
            past = write_past_orders(stack.database_url, cast, args.past, args.seed)
        driven = asyncio.run(drive(stack, args, cast, rec))
        rss_end = {"worker": rss_mib(stack.worker_pid), "api": rss_mib(stack.api_pid)}
        with rec.phase("plans"):
            shipped_id = driven["shipped"].ids[0]
            reader = next(o.buyer for o in driven["opened"].orders if o.id == shipped_id)
            plans = explain_all(
                stack.database_url, cast.buyers[0], cast.sellers[0], (shipped_id, reader)
            )
        worker_peak, api_peak = worker_rss.peak_mib, api_rss.peak_mib
    return figures(
        args=args,
        started=started,
        load_before=load_before,
        load_after=loadavg(),
        cast=cast,
        past=past,
        driven=driven,
        phases=rec.phases,
        rss={
            "worker_peak_mib": round(worker_peak, 1),
            "api_peak_mib": round(api_peak, 1),
            "start_mib": {name: round(value, 1) for name, value in rss_start.items()},
            "after_open_mib": driven["rss_after_open_mib"],
            "end_mib": {name: round(value, 1) for name, value in rss_end.items()},
        },
        plans=plans,
    )


def stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    print("bench: terminated, stopping the stack", file=sys.stderr)
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the stack


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    result = run(args)
    print(table(result))
    print()
    print("\n".join(plan_lines(result["query_plans"])))
    write(result, args.out)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
