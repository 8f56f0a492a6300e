"""A real `redis-server` (Debian's package) for the tests, on a unix socket or a TCP port,
which a test may stop and start again at the same address (a Redis outage)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from helpers.need import need


def redis_server_binary() -> str:
    """The `redis-server` on PATH; skips (fails under REQUIRE_ALL) when it is missing."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    need(found is not None, "redis-server is not installed (apt-get install redis-server)")
    assert found is not None
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process with no persistence, in `folder`."""

    def __init__(self, folder: Path, *, port: int | None = None) -> None:
        self.binary = redis_server_binary()
        self.folder = folder
        self.port = port  # None: a unix socket only
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket}"

    def start(self) -> RedisServer:
        args = [self.binary, "--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        args += ["--port", str(self.port or 0), "--unixsocket", str(self.socket)]
        args += ["--unixsocketperm", "700", "--loglevel", "warning"]
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._answers():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1)
                sock.connect(str(self.socket))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
