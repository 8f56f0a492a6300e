"""Servers under test, each in a process of its own on 127.0.0.1, stopped on exit.

Systems (what `Server(system)` starts):
- ``ours``: `realtime-sdk serve` with the FastRTC echo handler through our adapter;
- ``ours-asyncio``: the same on the standard asyncio loop (no uvloop);
- ``fastrtc``: FastRTC's own `Stream` websocket endpoint serving the same handler;
- ``floor``: a bare `websockets` server doing json + base64 both ways;
- ``floor-starlette``: the same work behind uvicorn + Starlette;
- ``vad``: `realtime-sdk serve` with the echo back-end and server VAD (turn echo);
- ``echo``: the echo back-end without VAD and without fastrtc loaded (idle memory).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .sampler import Sampler

BENCH = Path(__file__).resolve().parent.parent
HARNESS = BENCH / "harness"
ECHO = "harness.echo_handler:EchoHandler"
SYSTEMS = ("ours", "ours-asyncio", "fastrtc", "floor", "floor-starlette", "vad", "echo")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _command(system: str, port: int, workers: int, args: tuple[str, ...] = ()) -> list[str]:
    py = sys.executable
    common = ["--port", str(port), "--log-level", "warning", *args]
    if workers > 1:
        common += ["--workers", str(workers)]
    if system in ("ours", "ours-asyncio"):
        loop = "asyncio" if system == "ours-asyncio" else "auto"
        serve = ["serve", "--handler", ECHO, "--no-turn-detection", *common]
        return [py, str(HARNESS / "serve_ours.py"), "--loop", loop, *serve]
    if system in ("vad", "echo"):
        quiet = ["--no-turn-detection"] if system == "echo" else []
        return [py, str(HARNESS / "serve_ours.py"), "serve", "--handler", "echo", *quiet, *common]
    if system == "fastrtc":
        return [py, str(HARNESS / "fastrtc_server.py"), "--port", str(port)]
    if system == "floor":
        return [py, str(HARNESS / "floor_server.py"), "--port", str(port)]
    if system == "floor-starlette":
        return [py, str(HARNESS / "floor_server.py"), "--port", str(port), "--stack", "starlette"]
    raise ValueError(f"unknown system {system!r}; one of {', '.join(SYSTEMS)}")


class Server:
    """One system's server process (and its workers), sampled while it runs."""

    def __init__(
        self,
        system: str,
        *,
        workers: int = 1,
        src: str | None = None,
        start_timeout: float = 60,
        args: tuple[str, ...] = (),
    ) -> None:
        """`src`: serve the realtime_sdk package found there (another checkout's `src/`)
        instead of the installed one, to compare two versions in one run; `args`: more of
        `serve`'s flags (ours only)."""
        self.system = system
        self.port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        if src is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        # a file, not a pipe: a full pipe would stall the server; closed by stop()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            _command(system, self.port, workers, args),
            cwd=BENCH,  # `--handler harness.echo_handler:...` imports from here
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers go with it on stop()
        )
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{system} server exited: {self.output()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{system} server did not start in {start_timeout} s")
        if workers > 1:
            time.sleep(2.0)  # every worker has bound and imported, not just the first
        self.sampler = Sampler(self.process.pid)

    @property
    def url(self) -> str:
        if self.system == "fastrtc":
            return f"ws://127.0.0.1:{self.port}/websocket/offer"
        return f"ws://127.0.0.1:{self.port}/v1/realtime?model=gpt-realtime"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """What the server printed so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if hasattr(self, "sampler"):
            self.sampler.close()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
