"""`order-engine dev` (make run) refuses to start when a port it needs is taken, naming it."""

import socket
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

import cli


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_taken_port_is_named_and_exits_non_zero(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as stopped:
        cli.check_ports_free(
            [("Temporal", "127.0.0.1", free_port()), ("API", "127.0.0.1", taken_port)]
        )
    assert stopped.value.exit_code == 1
    err = capsys.readouterr().err
    assert f"port {taken_port} (API, 127.0.0.1) is already in use" in err
    assert "Temporal" not in err.splitlines()[0]


def test_free_ports_pass() -> None:
    cli.check_ports_free([("API", "127.0.0.1", free_port())])


def test_make_run_stops_before_starting_anything(taken_port: int) -> None:
    try:
        result = CliRunner().invoke(cli.app, ["dev", "--ui-port", str(taken_port)])
    finally:
        cli.get_settings.cache_clear()  # dev cached the settings it read
    assert result.exit_code == 1
    assert f"port {taken_port} (Temporal UI" in result.output
    assert "\nready in" not in result.output
