"""Several `realtime-sdk serve` processes and a real HAProxy (Debian's package) in front
of them, for the scale-out tests: each process logs to its own file, so a test can tell
which process answered what."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers.need import need
from helpers.redis_server import free_port

KEY = "sk-multinode"


def wait_until(condition: object, within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2, headers={"Connection": "close"}).status_code
    except httpx.HTTPError:
        return 0


class ServeProcess:
    """`realtime-sdk serve --handler echo` on a port of 127.0.0.1, logging to a file."""

    def __init__(self, folder: Path, name: str, *args: str, env: dict[str, str] | None = None):
        self.name = name
        self.port = free_port()
        self.log = folder / f"{name}.log"
        self.args = ["serve", "--handler", "echo", "--no-turn-detection", "--api-key", KEY]
        self.args += ["--port", str(self.port), "--log-level", "info", *args]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> ServeProcess:
        """Start the process; `wait_ready` waits for it (start several, then wait)."""
        command = [sys.executable, "-m", "realtime_sdk.cli", *self.args]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        return self

    def wait_ready(self) -> ServeProcess:
        wait_until(self.ready, 90, f"{self.name} to start")
        return self

    def start(self) -> ServeProcess:
        return self.launch().wait_ready()

    def ready(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.tail()
        return status(f"{self.url}/readyz") == 200

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, within_s: float) -> int:
        assert self.process is not None
        code = self.process.wait(within_s)
        self.process = None
        return code

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    need(found is not None, "haproxy is not installed (apt-get install haproxy)")
    assert found is not None
    return found


class HAProxy:
    """Round robin over the servers, websockets passed through, /readyz checked 3x a second."""

    def __init__(self, folder: Path, servers: list[ServeProcess]) -> None:
        self.binary = haproxy_binary()
        self.port = free_port()
        self.config = folder / "haproxy.cfg"
        lines = [
            "global",
            "  maxconn 2000",
            "defaults",
            "  mode http",
            "  timeout connect 2s",
            "  timeout client 60s",
            "  timeout server 60s",
            "  timeout tunnel 120s",  # an upgraded websocket
            "frontend realtime",
            f"  bind 127.0.0.1:{self.port}",
            "  default_backend servers",
            "backend servers",
            "  balance roundrobin",
            "  option httpchk GET /readyz",
            "  http-check expect status 200",
            "  default-server inter 300ms fall 1 rise 2",
        ]
        lines += [f"  server {s.name} 127.0.0.1:{s.port} check" for s in servers]
        self.config.write_text("\n".join(lines) + "\n")
        self.log = folder / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HAProxy:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(lambda: status(f"{self.url}/healthz") == 200, 15, "haproxy")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
