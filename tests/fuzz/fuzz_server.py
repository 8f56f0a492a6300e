"""A real `realtime-sdk serve` process on 127.0.0.1, and what /proc says of it.

The fuzz runs against the command users run, in its own process, so that a crash is a
dead process (not a thread of the test runner) and its threads, open descriptors and
resident memory can be read before and after.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 90.0  # the agent loads its recognizer and speech engine first


@dataclass(frozen=True)
class ProcessStats:
    threads: int
    fds: int
    rss_kib: int

    def __str__(self) -> str:
        return f"threads {self.threads}, fds {self.fds}, RSS {self.rss_kib / 1024:.1f} MiB"


def process_stats(pid: int) -> ProcessStats:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return ProcessStats(int(fields["Threads"]), fds, int(fields["VmRSS"].split()[0]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def realtime_sdk_command() -> str:
    """The console script of the interpreter running us (the project's venv)."""
    beside = Path(sys.executable).parent / "realtime-sdk"
    return str(beside) if beside.exists() else "realtime-sdk"


class ServerProcess:
    """`realtime-sdk serve --handler <handler>` on a free port; its output goes to a
    log file (read for the tracebacks it logged)."""

    def __init__(self, handler: str, pythonpath: str | None = None) -> None:
        """`pythonpath`: import realtime_sdk from there (another checkout's `src`)."""
        self.handler = handler
        self.pythonpath = pythonpath
        self.port = free_port()
        self._log_dir = tempfile.TemporaryDirectory(prefix="realtime-fuzz-")
        self.log_path = Path(self._log_dir.name) / f"serve-{handler}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/realtime"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        command = [
            realtime_sdk_command(),
            "serve",
            "--handler",
            self.handler,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        env = dict(os.environ)
        env.setdefault("REALTIME_SDK_MCP_HOSTS", "127.0.0.1,localhost,::1")  # fuzzed URLs: never
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [self.pythonpath, env.get("PYTHONPATH")])
            )
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve did not answer within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.2)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stats(self) -> ProcessStats | None:
        if not self.alive():
            return None
        try:
            return process_stats(self.pid)
        except (OSError, KeyError, ValueError):
            return None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def exceptions(self) -> dict[str, int]:
        """The last line of each traceback the server logged, counted."""
        counts: dict[str, int] = {}
        lines = self.log().splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("Traceback"):
                continue
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                j += 1
            last = lines[j] if j < len(lines) else "?"
            last = re.sub(r"0x[0-9a-f]+", "0x..", last)[:200]
            counts[last] = counts.get(last, 0) + 1
        return counts

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def close(self) -> None:
        self.stop()
        self._log_dir.cleanup()
