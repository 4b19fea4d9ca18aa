"""Reading processes from /proc (psutil is not installed): peak RSS and CPU time."""

import os
import threading
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of all the process's threads so far."""
    # Fields after the parenthesised command name: state is [0], utime [11], stime [12].
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuUse:
    """CPU seconds each named process spends inside the `with` block."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._start: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def __enter__(self) -> "CpuUse":
        self._start = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = {
            name: cpu_seconds(pid) - self._start[name] for name, pid in self._pids.items()
        }


class PeakRss:
    """Samples a process's VmRSS every 100 ms from /proc (no psutil) and keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)
        self.peak_kib = 0
        self.samples = 0

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self._read_kib()
            if rss is not None:
                self.peak_kib = max(self.peak_kib, rss)
                self.samples += 1
            self._stop.wait(self._interval)

    def _read_kib(self) -> int | None:
        try:
            for line in self._status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None
