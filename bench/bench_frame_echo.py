"""Frame echo: sessions per server within the bound, ours next to FastRTC's Stream and the floors.

Not a test. One FastRTC `AsyncStreamHandler` echo at 24 kHz, served by
- ``ours``: `realtime-sdk serve` through the FastRTC adapter (uvloop when installed),
- ``ours-asyncio``: the same on the standard loop (what uvloop moves),
- ``fastrtc``: FastRTC's own `Stream` websocket endpoint, in its own wire format,
- ``floor``: a bare `websockets` server doing only json + base64 both ways,
- ``floor-starlette``: that work behind uvicorn + Starlette;
each in its own process, driven by load-generator processes, all on 127.0.0.1. Every
session sends a 20 ms frame every 20 ms and gets it back. Per level N: round trip
p50/p99, drift (median round trip of the last 2 s minus the first 2 s, the worst
session), lost frames, server CPU and RSS. A level holds when p99 <= 100 ms and no
frame is lost; a sweep stops at its first level that does not hold. Then: one long
drift run (60 s by default) at a chosen N, `serve --workers 2` at the levels past what
one process held, idle memory per server and per idle session.
Run: python bench/bench_frame_echo.py [--seconds 6] [--drift-seconds 60] [--quick]
Writes bench/results/frame_echo.json (bench/harness/report.py makes the table and plot).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.loadgen import held, run_level
from harness.results import save
from harness.servers import BENCH, Server

BASELINE_REV = "b6a43ea^"  # before the first hot-path fix

LEVELS = {
    "ours": [10, 50, 100, 150, 200, 300, 400, 500, 600],
    "ours-asyncio": [50, 100, 150, 200, 300, 400],
    "fastrtc": [1, 10],
    "floor": [10, 50, 100, 150, 200, 300, 400, 500, 600, 700],
    "floor-starlette": [50, 100, 150, 200, 300, 400, 500],
}
QUICK = {
    "ours": [10, 50],
    "ours-asyncio": [50],
    "fastrtc": [1],
    "floor": [10, 50],
    "floor-starlette": [50],
}


def generators_for(sessions: int, most: int) -> int:
    """One generator process per 150 sessions, at most `most`."""
    return max(1, min(most, math.ceil(sessions / 150)))


def most_held(rows: list[dict[str, Any]], system: str, workers: int = 1) -> int:
    """The most sessions one system held, in one process unless `workers` says."""
    return max(
        (
            r["sessions"]
            for r in rows
            if r["system"] == system and r.get("workers", 1) == workers and held(r)
        ),
        default=0,
    )


def show(row: dict[str, Any]) -> None:
    print(
        f"{row['system']:<16} {row['sessions']:>5} {row.get('workers', 1):>3}"
        f" {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['drift_ms']:>9.1f}"
        f" {row['lost']:>6} {row['late']:>6} {row['server_cpu_percent']:>7.0f}"
        f" {row['server_rss_mib']:>7.0f} {row['gen_lag_p99_ms']:>8.1f}"
        f" {row['gen_cpu_percent']:>6.0f} {row['other_cpu_percent']:>6.0f}"
        f"  {'held' if held(row) else 'over'}",
        flush=True,
    )


HEADER = (
    f"{'system':<16} {'N':>5} {'wk':>3} {'p50 ms':>8} {'p99 ms':>8} {'drift ms':>9}"
    f" {'lost':>6} {'late':>6} {'CPU %':>7} {'RSS MB':>7} {'lag p99':>8} {'gen %':>6}"
    f" {'other%':>6}"
)


def baseline_tree(rev: str, into: Path) -> Path | None:
    """This repository's `src/` as it was at `rev` (a whole tree: modules move between
    revisions), or None when git cannot give it."""
    root = BENCH.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", rev, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        print(f"no baseline: {rev}: {archive.stderr.decode().strip()}")
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def level(
    system: str,
    sessions: int,
    seconds: float,
    generators: int,
    workers: int = 1,
    src: Path | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    with Server(system, workers=workers, src=None if src is None else str(src)) as server:
        idle = server.sampler.rss()
        try:
            row = run_level(
                system,
                server.url,
                sessions,
                seconds=seconds,
                generators=generators_for(sessions, generators),
                sampler=server.sampler,
            )
        except RuntimeError as exc:
            print(f"{system} at {sessions}: {exc}; server said: {server.output()[-500:]}")
            raise
    row["system"] = label or system
    row["workers"] = workers
    row["idle_rss_mib"] = idle
    row["cpu_per_session"] = row["server_cpu_percent"] / sessions
    show(row)
    return row


def sweep(system: str, levels: list[int], seconds: float, generators: int) -> list[dict[str, Any]]:
    rows = []
    for sessions in levels:
        try:
            row = level(system, sessions, seconds, generators)
        except RuntimeError:
            break
        rows.append(row)
        if not held(row):
            break
    return rows


async def _idle_sessions(url: str, count: int) -> list[Any]:
    from websockets.asyncio.client import connect

    sockets = []
    for _ in range(count):
        ws = await connect(url, additional_headers={"Authorization": "Bearer sk-bench"})
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "session.created", first
        sockets.append(ws)
    return sockets


def idle_memory(system: str, sessions: int) -> dict[str, float]:
    """A server's RSS with no session, then per idle session (the mean over `sessions`)."""

    async def measure(server: Server) -> dict[str, float]:
        await asyncio.sleep(1.0)
        before = server.sampler.rss()
        sockets = await _idle_sessions(server.url, sessions)
        await asyncio.sleep(2.0)
        after = server.sampler.rss()
        for ws in sockets:
            await ws.close()
        return {"idle_rss_mib": before, "per_session_kib": (after - before) * 1024 / sessions}

    with Server(system) as server:
        return asyncio.run(measure(server))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--systems", default="ours,fastrtc,floor,floor-starlette,ours-asyncio")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per level")
    parser.add_argument("--drift-seconds", type=float, default=60.0)
    parser.add_argument("--drift-sessions", type=int, default=50)
    parser.add_argument("--generators", type=int, default=2, help="most load processes")
    parser.add_argument("--quick", action="store_true", help="two light levels per system")
    parser.add_argument(
        "--baseline",
        default=BASELINE_REV,
        help="also serve src/ as of this revision at 50 and 100 sessions ('' for none):"
        " what the changes since moved, measured in the same run",
    )
    args = parser.parse_args()
    began = time.monotonic()
    table = QUICK if args.quick else LEVELS
    systems = [s for s in args.systems.split(",") if s]
    print(HEADER)
    rows: list[dict[str, Any]] = []
    for system in systems:
        rows += sweep(system, table[system], args.seconds, args.generators)

    if args.baseline and "ours" in systems:
        with tempfile.TemporaryDirectory() as tmp:
            src = baseline_tree(args.baseline, Path(tmp))
            for sessions in [50, 100] if src is not None and not args.quick else []:
                for label, tree in (("ours-baseline", src), ("ours-after", None)):
                    try:
                        rows.append(
                            level("ours", sessions, args.seconds, args.generators, src=tree,
                                  label=label)
                        )  # fmt: skip
                    except RuntimeError:
                        break

    ours = [r for r in rows if r["system"] == "ours" and held(r)]
    best = max((r["sessions"] for r in ours), default=0)
    extra: dict[str, Any] = {}
    # serve --workers 2 at the levels one process could not hold (or the last two tried)
    if "ours" in systems:
        tried = [r["sessions"] for r in rows if r["system"] == "ours"]
        beyond = [n for n in table["ours"] if n > best][:2] or tried[-2:]
        for sessions in beyond:
            try:
                rows.append(level("ours", sessions, args.seconds, args.generators, workers=2))
            except RuntimeError:
                break
    # the long drift run
    if args.drift_seconds > 0 and "ours" in systems:
        n = args.drift_sessions
        print(f"\ndrift run: ours, {n} sessions, {args.drift_seconds:.0f} s")
        drift = level("ours", n, args.drift_seconds, args.generators)
        drift["kind"] = "drift"
        extra["drift_run"] = drift
        if "fastrtc" in systems:
            print(f"drift run: fastrtc, 1 session, {min(args.drift_seconds, 20):.0f} s")
            extra["fastrtc_drift_run"] = level("fastrtc", 1, min(args.drift_seconds, 20), 1)
    print("\nidle memory (RSS MiB; KiB per idle session over 100 sessions)")
    memory = {}
    for system in ("echo", "vad", "ours"):  # the servers that greet with session.created
        try:
            memory[system] = idle_memory(system, 100)
        except (RuntimeError, OSError, AssertionError, TimeoutError) as exc:
            print(f"{system}: {exc}")
            continue
        print(
            f"{system:<16} idle {memory[system]['idle_rss_mib']:6.1f} MiB, "
            f"{memory[system]['per_session_kib']:7.1f} KiB per idle session"
        )
    path = save(
        "frame_echo",
        {
            "seconds": args.seconds,
            "levels": rows,
            "memory": memory,
            "held": {system: most_held(rows, system) for system in systems},
            **extra,
            "wall_seconds": time.monotonic() - began,
        },
    )
    print(f"\nwrote {path} in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
