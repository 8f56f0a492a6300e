"""GPT-Live sessions held in real time by one server process (one core), with the FastRTC
echo handler, next to Realtime frame echo with the same handler in the same run.

Not a test. `realtime-sdk serve --handler harness.echo_handler:EchoHandler` serves both
routes. Live: each session streams 20 ms appends every 20 ms and the server sends a
40 ms output frame every 40 ms, the echo or silence (harness/live_load.py); a level
holds when the output frames' p99 lateness against their 40 ms schedule is within
100 ms, none is missing and every session started. Realtime frame echo: 20 ms frames
each way (harness/loadgen.py), as bench_translation.py runs it.
Run: python bench/bench_live.py [--seconds 5] [--quick]
Writes bench/results/live.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_translation import frame_echo_sweep, most, per_core
from harness.live_load import live_level
from harness.results import save
from harness.servers import Server

LEVELS = [25, 50, 100, 200, 300, 400, 500, 600]
QUICK = [25, 100]
BOUND_MS = 100.0


def live_sweep(levels: list[int], seconds: float, generators: int) -> list[dict[str, Any]]:
    rows = []
    for sessions in levels:
        with Server("ours") as server:
            url = f"ws://127.0.0.1:{server.port}/v1/live/sessions"
            server.sampler.window()
            row = live_level(url, sessions, seconds=seconds, generators=generators)
            row["server_cpu_percent"] = server.sampler.cpu_percent()
            row["server_rss_mib"] = server.sampler.peak_rss()
        row["held"] = (
            row["p99_late_ms"] <= BOUND_MS
            and row["missing"] == 0
            and row["failed"] == 0
            and row["connected"] == sessions
        )
        rows.append(row)
        print(
            f"{'live':<11} {sessions:>5} {row['p50_late_ms']:>8.1f} {row['p99_late_ms']:>8.1f}"
            f" {row['missing']:>6} {row['server_cpu_percent']:>7.0f}"
            f" {row['server_rss_mib']:>7.0f}  {'held' if row['held'] else 'over'}"
            f"  (echo in {100 * row['voiced_share']:.0f}% of frames)",
            flush=True,
        )
        if not row["held"]:
            break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per level")
    parser.add_argument("--generators", type=int, default=2, help="load processes")
    parser.add_argument("--quick", action="store_true", help="two light levels each")
    args = parser.parse_args()
    began = time.monotonic()
    levels = QUICK if args.quick else LEVELS
    print(
        f"{'workload':<11} {'N':>5} {'p50 ms':>8} {'p99 ms':>8} {'lost':>6} {'CPU %':>7}"
        f" {'RSS MB':>7}   (live: output lateness; frame echo: round trip)"
    )
    live = live_sweep(levels, args.seconds, args.generators)
    echo = frame_echo_sweep(levels, args.seconds, args.generators)
    figures = {
        "seconds": args.seconds,
        "live": live,
        "frame_echo": echo,
        "held": {"live": most(live), "frame_echo": most(echo)},
        "per_core_by_cpu": {"live": per_core(live), "frame_echo": per_core(echo)},
        "wall_seconds": time.monotonic() - began,
    }
    path = save("live", figures)
    print(
        f"\nheld in real time by one process: {figures['held']['live']} Live sessions,"
        f" {figures['held']['frame_echo']} Realtime frame-echo sessions; by server CPU per"
        f" core: {figures['per_core_by_cpu']['live']:.0f} and"
        f" {figures['per_core_by_cpu']['frame_echo']:.0f}; wrote {path}"
    )


if __name__ == "__main__":
    main()
