"""The collector's tuning of the servers (config.settle_collector), run in a process of its own:
it changes the interpreter's global state."""

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import gc, json
from config import settle_collector
before = gc.get_freeze_count()
settle_collector()
frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
print(json.dumps({"before": before, "frozen": frozen, "threshold": threshold}))
"""


def test_the_startup_heap_is_frozen_and_young_collections_are_rarer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    seen = json.loads(done.stdout)
    assert seen["before"] == 0
    # Every module config imported (pydantic, pydantic-settings) is out of the collector's way.
    assert seen["frozen"] > 10_000
    assert seen["threshold"] == [50_000, 20, 10]
