"""`order-engine demo` and `order` without a running stack: one clear line, exit 1."""

import socket

from typer.testing import CliRunner

import cli


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_without_the_stack_says_so() -> None:
    api = f"http://127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(cli.app, ["demo", "--api-url", api])
    assert result.exit_code == 1
    assert "the API does not answer" in result.output
    assert "make run" in result.output
