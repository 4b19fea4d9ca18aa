"""The system under test as separate processes: a file-backed Temporal dev server, the worker
and the API, each started from the virtualenv, and all of them stopped however the run ends."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from bench.bare import ESCROW_HOLD
from cli import DEV_SERVER_TUNING
from workflows.search_attributes import cli_flags

BIN = Path(sys.executable).parent
JWT_SECRET = "bench-secret-0123456789abcdef0123456789"
TASK_QUEUE = "bench-order-engine"
STOP_GRACE = 25.0


@dataclass(frozen=True)
class Stack:
    temporal_address: str
    api_url: str
    database_url: str
    temporal_pid: int
    worker_pid: int
    api_pid: int

    @property
    def pids(self) -> dict[str, int]:
        """The processes whose CPU is counted; `bench` drives (the bare phase swaps in the
        twin's worker for ours)."""
        return {
            "temporal": self.temporal_pid,
            "worker": self.worker_pid,
            "api": self.api_pid,
            "bench": os.getpid(),
        }


class BenchError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Processes:
    """Subprocesses with their logs; stop() ends them newest first, SIGTERM then SIGKILL."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with open(self.log(name), "wb") as log:
            process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self._workdir,
                stdin=subprocess.DEVNULL,
            )
        self._running.append((name, process))
        return process

    def log(self, name: str) -> Path:
        return self._workdir / f"{name}.log"

    def check(self) -> None:
        for name, process in self._running:
            if process.poll() is not None:
                tail = self.log(name).read_text(errors="replace")[-3000:]
                raise BenchError(f"{name} exited with {process.returncode}:\n{tail}")

    def report_exits(self) -> None:
        """Each process that has exited, with the tail of its log, on stderr."""
        for name, process in self._running:
            if process.poll() is not None:
                tail = self.log(name).read_text(errors="replace")[-3000:]
                print(f"{name} exited with {process.returncode}:\n{tail}", file=sys.stderr)

    def stop(self) -> None:
        for _, process in reversed(self._running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for _, process in reversed(self._running):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._running.clear()


def wait_until(
    ready: Callable[[], bool], processes: Processes, what: str, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        if ready():
            return
        time.sleep(0.2)
    raise BenchError(f"{what} was not ready within {timeout:.0f}s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def answers_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def temporal_argv(workdir: Path, port: int, dynamic_config: list[str]) -> list[str]:
    return [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(workdir / "temporal.db"),
        *DEV_SERVER_TUNING,
        "--headless",
        "--log-level",
        "error",
        *cli_flags(),
        *(f"--dynamic-config-value={value}" for value in dynamic_config),
    ]


def engine_env(database_url: str, temporal_address: str, api_port: int) -> dict[str, str]:
    settings = {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "TASK_QUEUE": TASK_QUEUE,
        "JWT_SECRET": JWT_SECRET,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(api_port),
        # One benchmark buyer pays for hundreds of cars a minute: not what the limit is for.
        "PAYMENT_RATE_LIMIT": "1000000",
        # ...and holds as many unpaid orders at once as the run's concurrency.
        "ORDER_RATE_LIMIT": "1000000",
        "MAX_OPEN_UNPAID_ORDERS": "1000000",
        # A short escrow hold, the bare twin's: each purchase goes on to the payout and ends.
        "ESCROW_HOLD": f"{ESCROW_HOLD.total_seconds():g}s",
    }
    env = {**os.environ, **{f"ORDER_ENGINE_{key}": value for key, value in settings.items()}}
    # As an installed package is (pip compiles it): without bytecode, the sandbox compiles the
    # workflow's module from source for every workflow it creates (6 ms each on this machine).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@contextmanager
def running_stack(
    workdir: Path, dynamic_config: list[str], database_url: str | None = None
) -> Iterator[Stack]:
    """Temporal, then the worker and the API; yields once /readyz answers 200. The read model
    is a SQLite file in `workdir` unless `database_url` names another (an empty database)."""
    from db.migrate import upgrade

    processes = Processes(workdir)
    try:
        temporal_port, api_port = free_port(), free_port()
        temporal = processes.start(
            "temporal", temporal_argv(workdir, temporal_port, dynamic_config)
        )
        wait_until(partial(port_open, temporal_port), processes, "Temporal")
        database_url = database_url or f"sqlite:///{workdir / 'orders.db'}"
        # Migrated once here, so the worker and the API do not race to create the schema.
        upgrade(database_url)
        address = f"127.0.0.1:{temporal_port}"
        env = engine_env(database_url, address, api_port)
        worker = processes.start("worker", [str(BIN / "order-engine"), "worker"], env)
        api = processes.start("api", [str(BIN / "order-engine"), "api"], env)
        api_url = f"http://127.0.0.1:{api_port}"
        wait_until(partial(answers_ok, f"{api_url}/readyz"), processes, "API")
        try:
            yield Stack(address, api_url, database_url, temporal.pid, worker.pid, api.pid)
        except BaseException:
            # A request that failed because a process died says only "connection reset":
            # the dead process's log (gone with the work folder) says why.
            processes.report_exits()
            raise
        processes.check()
    finally:
        processes.stop()
