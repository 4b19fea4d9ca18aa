"""The bare twin's worker as a process of its own, built as `order-engine worker` builds ours:
the pydantic data converter, the same sandbox runner, uvloop. Its CPU per order is the floor of
our worker's: what the SDK spends on this workflow's shape with activities that do nothing.

    .venv/bin/python -m bench.bare_worker ADDRESS TASK_QUEUE

Runs until SIGTERM or SIGINT.
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package

import uvloop
from temporalio.worker import Worker

from bench.bare import ACTIVITIES, BareWorkflow
from config import Settings
from worker import SandboxRunner
from workflows.client import connect

READY = "bare worker polling"
ROOT = Path(__file__).resolve().parents[1]


async def run(address: str, task_queue: str) -> None:
    client = await connect(Settings(temporal_address=address, task_queue=task_queue))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareWorkflow],
        activities=ACTIVITIES,
        workflow_runner=SandboxRunner(),
    )
    async with worker:
        print(f"{READY} {task_queue}", flush=True)
        await stop.wait()


@contextmanager
def running(address: str, task_queue: str) -> Iterator[int]:
    """This module as a process of the bench; yields its pid once it polls, stops it after."""
    argv = [sys.executable, "-m", "bench.bare_worker", address, task_queue]
    # As the stack's worker: with bytecode, or the sandbox compiles bench/bare.py every run.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, env=env, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if READY not in line:
            raise RuntimeError(f"the bare worker did not start: {line}{process.stdout.read()}")
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    uvloop.run(run(argv[0], argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
