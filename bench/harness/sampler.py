"""A server's CPU and memory, its worker processes included (psutil, else /proc)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

try:
    import psutil  # type: ignore[import-untyped]
except ImportError:  # the bench extra is not installed: read /proc directly
    psutil = None

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    if psutil is not None:
        try:
            root = psutil.Process(pid)
            return [pid, *(p.pid for p in root.children(recursive=True))]
        except psutil.Error:
            return []
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                children += _tree(int(entry.name))
    return [pid, *children]


def _cpu_rss(pid: int) -> tuple[float, float]:
    """CPU seconds used and resident MiB of one process (0, 0 once it is gone)."""
    try:
        if psutil is not None:
            proc = psutil.Process(pid)
            times = proc.cpu_times()
            return times.user + times.system, proc.memory_info().rss / 2**20
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / CLK_TCK
        return cpu, int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except Exception:  # gone between listing and reading (psutil.Error or OSError)
        return 0.0, 0.0


def machine_busy_seconds() -> float:
    """CPU seconds every process on this machine has used, all cores (from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields)
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class Sampler:
    """Samples a process tree every `interval` s in a thread: CPU seconds and RSS.

    `window()` starts a measurement; `cpu_percent()` is the tree's CPU over it (100 =
    one core), `peak_rss()` its highest summed RSS. Worker processes may come and go;
    each one's CPU counts from the first time it was seen.
    """

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self._seen: dict[int, float] = {}  # pid -> CPU seconds at window start
        self._last: dict[int, float] = {}
        self._peak = 0.0
        self._rss = 0.0
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        rss = 0.0
        with self._lock:
            for pid in _tree(self.pid):
                cpu, mib = _cpu_rss(pid)
                self._seen.setdefault(pid, cpu)
                self._last[pid] = cpu
                rss += mib
            self._rss = rss
            self._peak = max(self._peak, rss)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def window(self) -> None:
        self._sample()
        with self._lock:
            self._seen = dict(self._last)
            self._peak = self._rss
            self._start = time.monotonic()

    def cpu_percent(self) -> float:
        self._sample()
        with self._lock:
            used = sum(self._last[p] - self._seen.get(p, self._last[p]) for p in self._last)
            return used / max(time.monotonic() - self._start, 1e-9) * 100

    def rss(self) -> float:
        self._sample()
        return self._rss

    def peak_rss(self) -> float:
        self._sample()
        return self._peak

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
