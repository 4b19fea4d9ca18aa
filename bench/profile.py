"""py-spy on the worker and the API while the real phase runs: busy samples only, summarised as
the frames of our own code that hold the most samples (inclusive) and the leaf frames that burn
them (exclusive)."""

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PY_SPY = Path(sys.executable).parent / "py-spy"
OURS = ("api/", "workflows/", "activities/", "services/", "db/", "domain/", "worker.py")
TOP = 10
# Raw collapsed stacks of the thread holding the GIL (what burns CPU in Python), sampled
# without pausing the process.
_RECORD = [str(PY_SPY), "record", "--format", "raw", "--nonblocking", "--gil"]


@contextmanager
def profiled(pids: dict[str, int], folder: Path | None, rate: int = 100) -> Iterator[None]:
    """Record every process of `pids` into `folder/<name>.txt` (collapsed stacks) meanwhile."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    recorders = [
        subprocess.Popen(
            [
                *_RECORD,
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        for recorder in recorders:
            recorder.wait(timeout=60)


def summary(collapsed: Path) -> dict[str, Any]:
    """Top frames of a collapsed-stack file: inclusive for our code, exclusive for any."""
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaves[_short(frames[-1])] += count
        for frame in dict.fromkeys(_short(f) for f in frames if any(o in f for o in OURS)):
            inclusive[frame] += count
    return {
        "samples": total,
        "ours_inclusive": _shares(inclusive, total),
        "leaves": _shares(leaves, total),
    }


def _short(frame: str) -> str:
    """`function (path/to/file.py:line)` → `function (file.py)`, the unit we compare runs by."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    tail = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{name} ({tail})"


def _shares(counter: Counter[str], total: int) -> list[tuple[str, float]]:
    return [(frame, round(100 * n / max(total, 1), 1)) for frame, n in counter.most_common(TOP)]
