"""The collector's tuning of the servers (config.settle_collector), each run in a process of
its own: it changes the interpreter's global state."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import gc, json, sys
from config import settle_collector
before = gc.get_freeze_count()
default = gc.get_threshold()
settle_collector(**json.loads(sys.argv[1]))
frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
print(json.dumps({"before": before, "frozen": frozen, "default": default, "after": threshold}))
"""


def _settled(arguments: dict[str, int]) -> dict[str, list[int] | int]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    seen: dict[str, list[int] | int] = json.loads(done.stdout)
    return seen


@pytest.mark.parametrize("arguments", [{}, {"young_every": 50_000}])
def test_the_startup_heap_is_frozen(arguments: dict[str, int]) -> None:
    seen = _settled(arguments)
    assert seen["before"] == 0
    # Every module config imported (pydantic, pydantic-settings) is out of the collector's way.
    frozen = seen["frozen"]
    assert isinstance(frozen, int) and frozen > 10_000


def test_the_worker_keeps_pythons_young_collections() -> None:
    seen = _settled({})
    assert seen["after"] == seen["default"]


def test_the_api_collects_its_young_objects_less_often() -> None:
    seen = _settled({"young_every": 50_000})
    default, after = seen["default"], seen["after"]
    assert isinstance(default, list) and isinstance(after, list)
    assert after == [50_000, *default[1:]]


def test_order_engine_api_settles_the_collector_before_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cli

    happened: list[tuple[str, object]] = []
    monkeypatch.setattr(cli, "settle_collector", lambda **given: happened.append(("settle", given)))
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: happened.append(("serve", app)))
    cli.api()
    assert [what for what, _ in happened] == ["settle", "serve"]
    assert happened[0][1] == {"young_every": 50_000}
