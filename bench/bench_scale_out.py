"""Scale-out: frame-echo sessions held by one process, by `serve --workers 2` (with its
embedded Valkey) and by two `serve --redis` processes behind HAProxy, in one run; and what
the shared state costs in Redis commands: per session, per `ek_` key minted and used, per
WebRTC call (made, hung up), and while sessions stream (nothing per frame).

Not a test. Needs Debian's redis-server and haproxy. Every session sends a 20 ms frame
every 20 ms and gets it back (bench/harness/loadgen.py); a level holds when p99 <= 100 ms
and no frame is lost.
Run: python bench/bench_scale_out.py [--seconds 6] [--levels 50,100,150] [--quick]
Writes bench/results/scale_out.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.churn import rtc_calls
from harness.loadgen import held, run_level
from harness.results import save
from harness.servers import Server, free_port

SETUPS = ("1 process", "--workers 2", "2 processes + HAProxy + Redis")


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Debian's redis-server on a unix socket, no persistence; its socket path."""
    socket = folder / "redis.sock"
    args = ["redis-server", "--port", "0", "--unixsocket", str(socket), "--save", ""]
    process = subprocess.Popen([*args, "--dir", str(folder)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield str(socket)
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def haproxy(folder: Path, ports: list[int]) -> Iterator[int]:
    """HAProxy, round robin over `ports` with /readyz checks; its port."""
    port = free_port()
    config = folder / "haproxy.cfg"
    lines = ["global", "  maxconn 4000", "defaults", "  mode http", "  timeout connect 2s"]
    lines += ["  timeout client 60s", "  timeout server 60s", "  timeout tunnel 120s"]
    lines += ["frontend f", f"  bind 127.0.0.1:{port}", "  default_backend b", "backend b"]
    lines += ["  balance roundrobin", "  option httpchk GET /readyz", "  default-server inter 1s"]
    lines += [f"  server s{i} 127.0.0.1:{p} check" for i, p in enumerate(ports)]
    config.write_text("\n".join(lines) + "\n")
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"  # sbin: not on every PATH
    process = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("haproxy did not start")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


class Together:
    """The samplers of several server processes, read as one."""

    def __init__(self, servers: list[Server]) -> None:
        self.samplers = [s.sampler for s in servers]

    def window(self) -> None:
        for sampler in self.samplers:
            sampler.window()

    def cpu_percent(self) -> float:
        return sum(s.cpu_percent() for s in self.samplers)

    def peak_rss(self) -> float:
        return sum(s.peak_rss() for s in self.samplers)


def level(setup: str, url: str, sessions: int, seconds: float, sampler: Any) -> dict[str, Any]:
    generators = max(1, min(2, math.ceil(sessions / 150)))
    row = run_level("ours", url, sessions, seconds=seconds, generators=generators, sampler=sampler)
    row["system"] = setup
    row["held"] = held(row)
    print(
        f"{setup:<32} {sessions:>5} p50 {row['p50_ms']:>6.1f} p99 {row['p99_ms']:>7.1f}"
        f" lost {row['lost']:>5} server cpu {row['server_cpu_percent']:>4.0f}%"
        f" {'held' if row['held'] else 'NOT held'}"
    )
    return row


class Commands:
    """Redis's own count of the commands it ran, by name, since the last reset."""

    def __init__(self, socket: str) -> None:
        self.redis = redis.Redis(unix_socket_path=socket, decode_responses=True)

    def reset(self) -> None:
        self.redis.config_resetstat()

    def counted(self) -> dict[str, int]:
        stats = self.redis.info("commandstats")
        counts = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
        counts.pop("config|resetstat", None)
        counts.pop("info", None)
        return counts


def without_checks(counts: dict[str, int]) -> dict[str, int]:
    """Less the balancer's /readyz checks (one PING each), which come with time, not use."""
    return {name: n for name, n in counts.items() if name != "ping"}


async def keys_and_sessions(http: str, ws: str, count: int) -> None:
    """`count` keys minted, each used to open a session, which is then closed."""
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            reply = await client.post(f"{http}/v1/realtime/client_secrets", json={})
            key = reply.json()["value"]
            headers = {"Authorization": f"Bearer {key}"}
            async with websockets.connect(ws, additional_headers=headers) as session:
                json.loads(await session.recv())


async def plain_sessions(ws: str, count: int) -> None:
    for _ in range(count):
        async with websockets.connect(ws) as session:
            json.loads(await session.recv())


def costs(socket: str, http: str, ws: str, seconds: float) -> dict[str, Any]:
    """Redis commands per use, each measured alone (the balancer's PINGs left out)."""
    commands = Commands(socket)
    figures: dict[str, Any] = {}
    n = 50
    commands.reset()
    asyncio.run(plain_sessions(ws, n))
    figures["per_session"] = sum(without_checks(commands.counted()).values()) / n
    commands.reset()
    asyncio.run(keys_and_sessions(http, ws, n))
    per_key = without_checks(commands.counted())
    figures["per_key_minted_and_used"] = {name: calls / n for name, calls in per_key.items()}
    calls = 10
    commands.reset()
    rtc_calls(http, calls, "hangup", talk_s=1.0)
    per_call = without_checks(commands.counted())
    figures["per_call"] = {name: count / calls for name, count in per_call.items()}
    commands.reset()
    row = level("streaming (cost)", ws, n, seconds, None)
    streamed = without_checks(commands.counted())
    figures["while_streaming"] = {
        "sessions": n,
        "frames_sent": row["sent"],
        "commands": streamed,
        "per_frame": sum(streamed.values()) / max(1, row["sent"]),
    }
    figures["readyz_pings"] = commands.counted().get("ping", 0)
    return figures


def _installed(name: str) -> bool:
    return shutil.which(name) is not None or Path("/usr/sbin", name).exists()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--levels", default="50,100,150")
    parser.add_argument("--quick", action="store_true", help="levels 20,50; 3 s each")
    args = parser.parse_args()
    missing = [name for name in ("redis-server", "haproxy") if not _installed(name)]
    if missing:  # `make test` installs them (as root): apt-get install redis-server haproxy
        print(f"bench_scale_out: skipped, not installed: {', '.join(missing)}")
        return
    levels = [20, 50] if args.quick else [int(x) for x in args.levels.split(",")]
    seconds = 3.0 if args.quick else args.seconds
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        with Server("ours") as one:
            rows += [level(SETUPS[0], one.url, n, seconds, one.sampler) for n in levels]
        with Server("ours", workers=2) as two:
            rows += [level(SETUPS[1], two.url, n, seconds, two.sampler) for n in levels]
        with redis_server(Path(folder)) as socket:
            url = ("--redis", f"unix://{socket}")
            with (
                Server("ours", args=url) as a,
                Server("ours", args=url) as b,
                haproxy(Path(folder), [a.port, b.port]) as port,
            ):
                ws = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
                both = Together([a, b])
                rows += [level(SETUPS[2], ws, n, seconds, both) for n in levels]
                shared = costs(socket, f"http://127.0.0.1:{port}", ws, seconds)
    print(json.dumps(shared, indent=1))
    path = save("scale_out", {"seconds": seconds, "rows": rows, "redis_commands": shared})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
