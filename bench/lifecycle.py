"""The order lifecycle benchmark: real purchases over HTTP against a bare twin workflow.

    .venv/bin/python bench/lifecycle.py [--orders N] [--concurrency C]

One run starts a file-backed Temporal dev server, the worker and the API as separate processes,
drives N purchases (order, card payment, ship, deliver, then the escrow hold and the payout that
end the workflow) at concurrency C over HTTP, then the same number of BareWorkflow lifecycles
(same activities, updates and timers, activities that do nothing) on the same server, and writes
the figures to bench/results/lifecycle.json (or --out). On SQLite it then runs bench/steps.py
with the stack stopped and prints the worker's floor: the bare twin's worker CPU per order plus
our database steps run one after another, a lower bound of what our worker can cost here with
the workflow's current shape and database code.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package

import httpx
from temporalio.client import Client

from api.auth import issue_token
from bench import bare_worker
from bench.breakdown import history_steps, sample
from bench.drive import (
    BarePurchase,
    HttpPurchase,
    Timings,
    bare_ids,
    check_paid,
    closed_loop,
    make_listings,
)
from bench.open_orders_data import fresh_postgres
from bench.procfs import CpuUse, PeakRss
from bench.profile import profiled, summary
from bench.report import Phase, RunInfo, breakdown_table, figures, table, write
from bench.stack import ESCROW_HOLD, JWT_SECRET, TASK_QUEUE, Stack, running_stack
from config import Settings
from workflows.client import connect

Driver = Callable[[Timings], Callable[[str], Awaitable[None]]]
RESULTS = Path(__file__).resolve().parent / "results" / "lifecycle.json"
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=200, help="purchases per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="purchases in flight")
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="untimed purchases before each phase (default: the concurrency)",
    )
    parser.add_argument(
        "--histories",
        type=int,
        default=50,
        help="workflow histories per phase read for the breakdown (0: none)",
    )
    parser.add_argument(
        "--dynamic-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra dev-server dynamic config, e.g. history.transferProcessorMaxPollRPS=1000",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the read model: a SQLite file, or a fresh database on 127.0.0.1:5432",
    )
    parser.add_argument(
        "--floor-orders",
        type=int,
        default=200,
        help="purchases of bench.steps for the worker's floor, after the run (0: none; SQLite)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="py-spy the worker and the API during the real phase's timed part into DIR",
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.concurrency < 1 or args.floor_orders < 0:
        parser.error("--orders and --concurrency must be at least 1, --floor-orders at least 0")
    if args.warmup is None:
        args.warmup = args.concurrency
    return args


def http_client(stack: Stack, user: str, role: str) -> httpx.AsyncClient:
    token = issue_token(JWT_SECRET, user, [role])
    return httpx.AsyncClient(
        base_url=stack.api_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )


async def measured(
    client: Client,
    args: argparse.Namespace,
    items: list[str],
    driver: Driver,
    pids: dict[str, int],
    profile: Path | None = None,
) -> Phase:
    """Warm up untimed, then time the rest; CPU of every process of `pids` counted over the
    timed part."""
    warm, timed = items[: args.warmup], items[args.warmup :]
    await closed_loop(warm, args.concurrency, driver(Timings()))
    timings = Timings()
    spied = {"worker": pids["worker"], "api": pids["api"]}
    with CpuUse(pids) as cpu, profiled(spied, profile):
        wall = await closed_loop(timed, args.concurrency, driver(timings))
    chosen = sample(timings.workflow_ids, args.histories)
    return Phase(len(timed), wall, timings, cpu.seconds, await history_steps(client, chosen))


async def real_phase(stack: Stack, client: Client, args: argparse.Namespace) -> Phase:
    async with (
        http_client(stack, "bench-seller", "seller") as seller,
        http_client(stack, "bench-buyer", "buyer") as buyer,
    ):
        listings = await make_listings(seller, args.warmup + args.orders, args.concurrency)
        driver = partial(HttpPurchase, buyer, seller, client)
        phase = await measured(client, args, listings, driver, stack.pids, args.profile)
        await check_paid(buyer, phase.timings.order_ids, args.concurrency)
        return phase


async def bare_phase(stack: Stack, client: Client, args: argparse.Namespace) -> Phase:
    task_queue = f"{TASK_QUEUE}-bare"
    with bare_worker.running(stack.temporal_address, task_queue) as worker_pid:
        ids = bare_ids(args.warmup + args.orders)
        driver = partial(BarePurchase, client, task_queue)
        # The twin's worker counts as the worker; ours and the API idle meanwhile.
        pids = {**stack.pids, "worker": worker_pid}
        return await measured(client, args, ids, driver, pids)


async def both_phases(stack: Stack, args: argparse.Namespace) -> tuple[Phase, Phase]:
    client = await connect(
        Settings(
            temporal_address=stack.temporal_address, task_queue=TASK_QUEUE, jwt_secret=JWT_SECRET
        )
    )
    real = await real_phase(stack, client, args)
    bare = await bare_phase(stack, client, args)
    return real, bare


def run(args: argparse.Namespace) -> dict[str, Any]:
    info = RunInfo(
        args.orders,
        args.concurrency,
        os.getloadavg(),
        args.dynamic_config,
        ESCROW_HOLD.total_seconds(),
    )
    with ExitStack() as stack_of:
        workdir = Path(
            stack_of.enter_context(tempfile.TemporaryDirectory(prefix="bench-lifecycle-"))
        )
        url = stack_of.enter_context(fresh_postgres()) if args.database == "postgresql" else None
        stack = stack_of.enter_context(running_stack(workdir, args.dynamic_config, url))
        worker_rss = stack_of.enter_context(PeakRss(stack.worker_pid))
        api_rss = stack_of.enter_context(PeakRss(stack.api_pid))
        real, bare = asyncio.run(both_phases(stack, args))
    info.worker_rss_mib, info.api_rss_mib = worker_rss.peak_mib, api_rss.peak_mib
    if args.database == "sqlite" and args.floor_orders:
        info.db_steps_ms = db_steps_ms(args.floor_orders)
    return figures(real, bare, info)


def db_steps_ms(orders: int) -> float:
    """bench.steps' CPU per order, in a process of its own (not this one's heap, grown by the
    run) and with the stack stopped: the steps alone on the machine."""
    command = [sys.executable, "-m", "bench.steps", "--orders", str(orders)]
    command += ["--warmup", str(max(1, orders // 10)), "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout)["cpu_ms_per_order"])


def print_profiles(folder: Path) -> None:
    for name in ("worker", "api"):
        found = summary(folder / f"{name}.txt")
        print(f"\n{name}: {found['samples']} busy samples; our frames (inclusive %):")
        for frame, share in found["ours_inclusive"]:
            print(f"  {share:5.1f}  {frame}")
        print(f"{name}: leaf frames (exclusive %):")
        for frame, share in found["leaves"]:
            print(f"  {share:5.1f}  {frame}")


def stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    print("bench: terminated, stopping the stack", file=sys.stderr)
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the stack


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    result = run(args)
    print(table(result))
    print()
    print(breakdown_table(result))
    if args.profile:
        print_profiles(args.profile)
    write(result, args.out)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
