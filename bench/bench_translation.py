"""Translation sessions held in real time by one server process (one core), with the echo
translator, next to Realtime frame echo measured in the same run.

Not a test. `realtime-sdk serve --handler echo` serves both routes. Translation: each
session streams 20 ms appends every 20 ms and gets each 200 ms frame back as an output
audio delta (harness/translation_load.py); a level holds when the frame-to-delta p99 is
within 100 ms and nothing is lost. Realtime frame echo: the FastRTC echo handler through
our adapter, 20 ms frames each way (harness/loadgen.py, as bench_frame_echo.py runs it).
Run: python bench/bench_translation.py [--seconds 5] [--quick]
Writes bench/results/translation.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.loadgen import held, run_level
from harness.results import save
from harness.servers import Server
from harness.translation_load import translation_level

LEVELS = [25, 50, 100, 200, 300, 400, 500, 600]
QUICK = [25, 100]
BOUND_MS = 100.0


def show(workload: str, row: dict[str, Any]) -> None:
    print(
        f"{workload:<11} {row['sessions']:>5} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f}"
        f" {row['lost']:>6} {row['server_cpu_percent']:>7.0f} {row['server_rss_mib']:>7.0f}"
        f"  {'held' if row['held'] else 'over'}",
        flush=True,
    )


def translation_sweep(levels: list[int], seconds: float, generators: int) -> list[dict[str, Any]]:
    rows = []
    for sessions in levels:
        with Server("echo") as server:
            url = server.url.replace("/v1/realtime?", "/v1/realtime/translations?")
            server.sampler.window()
            row = translation_level(url, sessions, seconds=seconds, generators=generators)
            row["server_cpu_percent"] = server.sampler.cpu_percent()
            row["server_rss_mib"] = server.sampler.peak_rss()
        row["held"] = row["p99_ms"] <= BOUND_MS and row["lost"] == 0 and row["failed"] == 0
        rows.append(row)
        show("translation", row)
        if not row["held"]:
            break
    return rows


def frame_echo_sweep(levels: list[int], seconds: float, generators: int) -> list[dict[str, Any]]:
    rows = []
    for sessions in levels:
        with Server("ours") as server:
            row = run_level(
                "ours", server.url, sessions, seconds=seconds,
                generators=generators, sampler=server.sampler,
            )  # fmt: skip
        row["held"] = held(row)
        rows.append({k: v for k, v in row.items() if k != "system"})
        show("frame echo", row)
        if not row["held"]:
            break
    return rows


def most(rows: list[dict[str, Any]]) -> int:
    return max((r["sessions"] for r in rows if r["held"]), default=0)


def per_core(rows: list[dict[str, Any]]) -> float:
    """Sessions one core would hold by the server's CPU alone, from the largest level held
    (on a machine whose load generators share its cores, fewer are held in practice)."""
    top = max((r for r in rows if r["held"]), key=lambda r: r["sessions"], default=None)
    if top is None or not top["server_cpu_percent"]:
        return 0.0
    return float(100.0 * top["sessions"] / top["server_cpu_percent"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per level")
    parser.add_argument("--generators", type=int, default=2, help="load processes")
    parser.add_argument("--quick", action="store_true", help="two light levels each")
    args = parser.parse_args()
    began = time.monotonic()
    levels = QUICK if args.quick else LEVELS
    head = f"{'p50 ms':>8} {'p99 ms':>8} {'lost':>6} {'CPU %':>7} {'RSS MB':>7}"
    print(f"{'workload':<11} {'N':>5} {head}")
    translation = translation_sweep(levels, args.seconds, args.generators)
    echo = frame_echo_sweep(levels, args.seconds, args.generators)
    figures = {
        "seconds": args.seconds,
        "translation": translation,
        "frame_echo": echo,
        "held": {"translation": most(translation), "frame_echo": most(echo)},
        "per_core_by_cpu": {"translation": per_core(translation), "frame_echo": per_core(echo)},
        "wall_seconds": time.monotonic() - began,
    }
    path = save("translation", figures)
    print(
        f"\nheld in real time by one process: {figures['held']['translation']} translation"
        f" sessions, {figures['held']['frame_echo']} Realtime frame-echo sessions; by server"
        f" CPU per core: {figures['per_core_by_cpu']['translation']:.0f} and"
        f" {figures['per_core_by_cpu']['frame_echo']:.0f}; wrote {path}"
    )


if __name__ == "__main__":
    main()
