"""`order-engine dev | api | worker | token | demo | order`."""

import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
import uvloop

from config import get_settings, settle_collector

# Flags for every dev server we start (make run, tests, bench). The default SQLite pragmas measured
# 3.3x slower here; the transfer-queue poll limit (20/s) added ~30 ms after each activity.
DEV_SERVER_TUNING = (
    "--sqlite-pragma",
    "journal_mode=WAL",
    "--sqlite-pragma",
    "synchronous=NORMAL",
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",
)

# Allocations between the API's young garbage collections (config.settle_collector).
API_YOUNG_COLLECTION_EVERY = 50_000

app = typer.Typer(help="order-engine: orders and payments on Temporal.", no_args_is_help=True)


@app.command()
def api() -> None:
    """Serve the HTTP API."""
    from api.app import create_app

    settings = get_settings()
    served = create_app(settings)
    # Here, not in the app's lifespan: the tests run that app in-process.
    settle_collector(young_every=API_YOUNG_COLLECTION_EVERY)
    uvicorn.run(
        served,
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        timeout_graceful_shutdown=20,
    )


@app.command()
def worker() -> None:
    """Run the workflows and activities (start as many as the load needs)."""
    from worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # uvloop, as the API's uvicorn does: the worker's loop wakes for every task and activity.
    uvloop.run(run_worker(get_settings()))


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="user id")],
    roles: Annotated[str, typer.Option(help="comma-separated: buyer,seller,admin")] = "buyer",
    hours: Annotated[float, typer.Option(help="validity")] = 12,
    email: Annotated[str | None, typer.Option(help="the email claim: where mail goes")] = None,
) -> None:
    """Print a JWT signed with the configured secret."""
    from datetime import timedelta

    from api.auth import ROLES, issue_token

    wanted = [role.strip() for role in roles.split(",") if role.strip()]
    unknown = set(wanted) - ROLES
    if unknown:
        raise typer.BadParameter(f"unknown roles {sorted(unknown)}; use {sorted(ROLES)}")
    secret = get_settings().jwt_secret
    typer.echo(issue_token(secret, sub, wanted, timedelta(hours=hours), email=email))


def _api_url() -> str:
    settings = get_settings()
    return f"http://{settings.api_host}:{settings.api_port}"


ApiUrl = Annotated[str, typer.Option(help="the running API", default_factory=_api_url)]
UiUrl = Annotated[str, typer.Option(help="the Temporal UI")]


@app.command()
def demo(api_url: ApiUrl, ui_url: UiUrl = "http://localhost:8233") -> None:
    """One whole purchase against the running stack (`make run`), then its Temporal UI link.

    A seller lists a car, a buyer orders it and pays by card, the seller ships, the buyer
    takes delivery."""
    from rich.console import Console

    from console import run_demo

    run_demo(get_settings(), api_url, ui_url, Console())


@app.command()
def order(
    order_id: Annotated[str, typer.Argument(help="the order's id")],
    api_url: ApiUrl,
    ui_url: UiUrl = "http://localhost:8233",
) -> None:
    """An order, its timeline and its workflow's state (describe, query `status`)."""
    from rich.console import Console

    from console import show_order

    show_order(get_settings(), api_url, ui_url, order_id, Console())


@app.command()
def dev(
    ui_port: Annotated[int, typer.Option(help="Temporal UI port")] = 8233,
    state_dir: Annotated[Path, typer.Option(help="where the dev server keeps its file")] = Path(
        "var"
    ),
) -> None:
    """Temporal dev server (UI on :8233), worker and API on SQLite: everything for a laptop."""
    from db.migrate import upgrade
    from workflows.search_attributes import cli_flags

    settings = get_settings()
    host, port = settings.temporal_address.rsplit(":", 1)
    check_ports_free(
        [
            ("Temporal", host, int(port)),
            ("Temporal UI", host, ui_port),
            ("API", settings.api_host, settings.api_port),
        ]
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [
                _installed("temporal"),
                "server",
                "start-dev",
                "--ip",
                host,
                "--port",
                port,
                "--ui-port",
                str(ui_port),
                "--db-filename",
                str(state_dir / "temporal.db"),
                *DEV_SERVER_TUNING,
                "--log-level",
                "warn",
                *cli_flags(),
            ]
        )
    ]
    try:
        _wait_for_port(host, int(port), "Temporal")
        upgrade(settings.database_url)
        me = [sys.executable, "-m", "cli"]
        processes += [subprocess.Popen([*me, "worker"]), subprocess.Popen([*me, "api"])]
        _wait_for_port(settings.api_host, settings.api_port, "API")
        typer.echo(
            f"\nready in {time.monotonic() - started:.1f}s\n"
            f"  API          http://{settings.api_host}:{settings.api_port}/docs\n"
            f"  Temporal UI  http://localhost:{ui_port}\n"
            f"  Temporal     {settings.temporal_address} (task queue {settings.task_queue})\n"
            f"  database     {settings.database_url}\n"
            "Ctrl-C stops everything."
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        typer.echo("a process exited; stopping the others", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()


def check_ports_free(wanted: list[tuple[str, str, int]]) -> None:
    """Exit 1 naming each port (what, host, port) that something else already listens on: else
    the API or Temporal would fail behind a "ready" answered by whatever holds the port."""
    taken = []
    for what, host, port in wanted:
        with socket.socket() as probe:
            # SO_REUSEADDR: a port left in TIME_WAIT by our own last run is free, not taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                taken.append(f"port {port} ({what}, {host}) is already in use")
    if taken:
        typer.echo(
            "\n".join(taken) + "\nStop what holds it (`lsof -i :PORT` names it; often an earlier "
            "`make run`), or choose other ports (README, Troubleshooting).",
            err=True,
        )
        raise typer.Exit(1)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _installed(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: run `make install`")
    return found


def _wait_for_port(host: str, port: int, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not open {host}:{port} within {timeout:.0f}s")


if __name__ == "__main__":
    app()
