"""The results' page: bench/results/README.md (tables, targets, machine) and the plot.

Reads what the benchmarks left in bench/results/*.json; a benchmark that did not run
is left out. Run: python bench/harness/report.py (make bench runs it last).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.loadgen import held
from harness.machine import one_line
from harness.results import RESULTS, load

PLOT = "latency_vs_sessions.png"
NAMES = {
    "ours": "realtime-sdk (FastRTC adapter, uvloop)",
    "ours-asyncio": "realtime-sdk (FastRTC adapter, asyncio loop)",
    "ours-baseline": "realtime-sdk before the hot-path fixes",
    "ours-after": "realtime-sdk after the fixes (paired with the one before)",
    "fastrtc": "FastRTC Stream websocket",
    "floor": "bare websockets floor",
    "floor-starlette": "uvicorn + Starlette floor",
}


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text: str = f"{value:.{digits}f}" if isinstance(value, float) else f"{value}"
    return text


def _label(row: dict[str, Any]) -> str:
    name = NAMES.get(row["system"], str(row["system"]))
    return name + (f", {row['workers']} workers" if row.get("workers", 1) > 1 else "")


def frame_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| system | sessions | p50 ms | p99 ms | drift ms | lost | late | server CPU % |"
        " CPU %/session | RSS MiB | others' CPU % | held |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        out.append(
            f"| {_label(r)} | {r['sessions']} | {_f(r['p50_ms'])} | {_f(r['p99_ms'])} |"
            f" {_f(r['drift_ms'])} | {r['lost']} | {r['late']} | {_f(r['server_cpu_percent'], 0)} |"
            f" {_f(r['cpu_per_session'], 2)} | {_f(r['server_rss_mib'], 0)} |"
            f" {_f(r.get('other_cpu_percent'), 0)} | {'yes' if held(r) else 'no'} |"
        )
    return out


def _at(rows: list[dict[str, Any]], system: str, sessions: int) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in rows
            if r["system"] == system and r["sessions"] == sessions and r.get("workers", 1) == 1
        ),
        None,
    )


def targets(
    frame: dict[str, Any] | None,
    turn: dict[str, Any] | None,
    rtc: dict[str, Any] | None,
    codec: dict[str, Any] | None,
) -> list[str]:
    out = ["| target | measured | holds |", "|---|---|---|"]

    def add(name: str, measured: str, ok: bool | None) -> None:
        out.append(f"| {name} | {measured} | {'-' if ok is None else 'yes' if ok else 'no'} |")

    if frame is not None:
        rows = frame["levels"]
        ours = frame["held"].get("ours", 0)
        add("frame echo: >= 400 sessions in one process", f"{ours} held", ours >= 400)
        drift = frame.get("drift_run")
        if drift is not None:
            ok = abs(drift["drift_ms"] or 0) <= 20 and drift["lost"] == 0 and drift["late"] == 0
            add(
                f"frame echo: no drift over {drift['seconds']:.0f} s",
                f"{_f(drift['drift_ms'])} ms at {drift['sessions']} sessions,"
                f" p99 {_f(drift['p99_ms'])} ms, {drift['lost']} lost",
                ok,
            )
        mine, floor = _at(rows, "ours", 50), _at(rows, "floor", 50)
        if mine and floor:
            ratio = mine["server_cpu_percent"] / max(floor["server_cpu_percent"], 1e-9)
            add(
                "frame echo: CPU per session at N=50 within 2x of the bare floor",
                f"{_f(mine['cpu_per_session'], 2)} vs {_f(floor['cpu_per_session'], 2)}"
                f" %/session: {ratio:.2f}x",
                ratio <= 2,
            )
        two = max((r["sessions"] for r in rows if r.get("workers", 1) == 2 and held(r)), default=0)
        add(
            "serve --workers 2 scales sessions", f"{two} held with 2 (vs {ours} with 1)", two > ours
        )
        memory = frame.get("memory", {})
        if "echo" in memory:
            rss = memory["echo"]["idle_rss_mib"]
            add("idle server < 60 MB without fastrtc", f"{rss:.0f} MiB", rss < 60)
        for system in ("echo", "vad"):
            if system in memory:
                kib = memory[system]["per_session_kib"]
                add(f"idle session < 1 MB ({system})", f"{kib:.0f} KiB", kib < 1024)
    if turn is not None:
        ok = [
            r["sessions"]
            for r in turn["levels"]
            if r["added_p99"] <= 100 and r["errors"] + r["failed"] == 0
        ]
        best = max(ok, default=0)
        add(
            "turn echo (server VAD): >= 200 sessions, end of speech -> first audio p99 <= 100 ms",
            f"{best} sessions",
            best >= 200,
        )
    if rtc is not None:
        add("WebRTC: >= 20 sessions, Opus, real time, no drift", f"{rtc['held']} held",
            rtc["held"] >= 20)  # fmt: skip
    if codec is not None:
        ratio = codec["ours_lenient_parse_us"] / codec["openai_parse_us"]
        add("lenient server-event parse no slower than openai-python's", f"{ratio:.2f}x",
            ratio <= 1)  # fmt: skip
        strict = codec["append_strict_parse_us"]
        add("strict parse of a 20 ms append < 20 us", f"{strict:.1f} us", strict < 20)
    return out


def plot(frame: dict[str, Any] | None, turn: dict[str, Any] | None, rtc: Any) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    series: dict[str, list[tuple[int, float]]] = {}
    for r in frame["levels"] if frame else []:
        if r["p99_ms"] is not None:
            series.setdefault(_label(r), []).append((r["sessions"], r["p99_ms"]))
    for r in turn["levels"] if turn else []:
        series.setdefault("realtime-sdk turn echo (VAD): speech end -> first audio", []).append(
            (r["sessions"], r["audio_p99"])
        )
    for r in rtc["levels"] if rtc else []:
        if r["p99_ms"] is not None:
            series.setdefault("realtime-sdk WebRTC (Opus) round trip", []).append(
                (r["sessions"], r["p99_ms"])
            )
    for label, points in series.items():
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.axhline(100, color="grey", linestyle="--", linewidth=1, label="bound: p99 100 ms")
    ax.set_xlabel("concurrent sessions")
    ax.set_ylabel("p99 latency, ms (log)")
    ax.set_yscale("log")
    ax.set_title("p99 latency vs sessions: frame echo, turn echo (VAD), WebRTC", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / PLOT)
    plt.close(fig)
    return True


def main() -> None:
    frame, turn, rtc, codec = load("frame_echo"), load("turn_echo"), load("webrtc"), load("codec")
    machine = next((r["machine"] for r in (frame, turn, rtc, codec) if r), None)
    lines = ["# Benchmark results", ""]
    if machine is not None:
        versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
        lines += [f"Machine: {one_line(machine)}.", "", f"Versions: {versions}.", ""]
    lines += [
        "Written by `make bench` (bench/harness/report.py). The machine may be shared:"
        " read ratios between systems measured in the same run, not absolute figures.",
        "",
        "## Targets",
        "",
        *targets(frame, turn, rtc, codec),
        "",
    ]
    if plot(frame, turn, rtc):
        lines += [f"![p99 latency vs sessions]({PLOT})", ""]
    if frame is not None:
        lines += [
            "## Frame echo",
            "",
            "One FastRTC `AsyncStreamHandler` echo at 24 kHz; each session sends a 20 ms frame"
            " every 20 ms and gets it back. Bound: p99 round trip <= 100 ms, nothing lost or"
            f" late. {frame['seconds']:.0f} s measured per level; a sweep stops at its first"
            " level over the bound. *late*: no echo within 1 s of the end.",
            "",
            *frame_table(frame["levels"]),
            "",
        ]
        drift_rows = [frame[k] for k in ("drift_run", "fastrtc_drift_run") if frame.get(k)]
        if drift_rows:
            lines += ["Drift runs:", "", *frame_table(drift_rows), ""]
        if frame.get("memory"):
            lines += ["Idle memory:", "", "| server | idle RSS MiB | KiB per idle session |"]
            lines += ["|---|---:|---:|"]
            for system, m in frame["memory"].items():
                lines.append(f"| {system} | {m['idle_rss_mib']:.0f} | {m['per_session_kib']:.0f} |")
            lines.append("")
    if turn is not None:
        lines += [
            "## Turn echo with server VAD",
            "",
            "Recorded speech then silence in real time; `echo` answers each turn. Times from"
            " the frame at `speech_stopped.audio_end_ms` (end of speech plus"
            f" silence_duration_ms = {turn['silence_ms']}), so they are what the server adds.",
            "",
            "| sessions | turns | speech_stopped p50/p99 ms | first audio p50/p99 ms |"
            " errors | server CPU % | RSS MiB |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in turn["levels"]:
            lines.append(
                f"| {r['sessions']} | {r['turns']} | {_f(r['stopped_p50'])} /"
                f" {_f(r['stopped_p99'])} | {_f(r['audio_p50'])} / {_f(r['audio_p99'])} |"
                f" {r['errors'] + r['failed']} | {_f(r['server_cpu'], 0)} |"
                f" {_f(r['server_rss'], 0)} |"
            )
        lines.append("")
    if rtc is not None:
        lines += [
            "## WebRTC (aiortc peers, Opus both ways)",
            "",
            "Each peer streams a tone with a louder 100 ms marker every second; round trip ="
            " marker sent -> heard back; drift = the slope of each peer's round trips (worst"
            " peer), in ms/s and over the window; packets lost = what the peers' receivers"
            " counted missing on the way back.",
            "",
            "| sessions | p50 ms | p99 ms | missed markers | drift ms/s | drift ms |"
            " least heard s/s | packets lost | server CPU % | RSS MiB | held |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in rtc["levels"]:
            lines.append(
                f"| {r['sessions']} | {_f(r['p50_ms'])} | {_f(r['p99_ms'])} |"
                f" {r['missed_markers']} | {_f(r.get('drift_ms_per_s'), 2)} |"
                f" {_f(r['drift_ms'])} | {_f(r['heard_ratio_min'], 2)} |"
                f" {r.get('lost_packets', '-')} | {_f(r['server_cpu_percent'], 0)} |"
                f" {_f(r['server_rss_mib'], 0)} |"
                f" {'yes' if r['held'] else 'no'} |"
            )
        lines.append("")
    if codec is not None:
        lines += [
            "## Codec (microseconds per event)",
            "",
            "| what | us/event |",
            "|---|---:|",
            f"| json.loads of a 20 ms append (floor) | {codec['append_json_loads_us']:.2f} |",
            f"| strict parse of a 20 ms append | {codec['append_strict_parse_us']:.2f} |",
            f"| json.dumps of the server stream as dicts (floor) | {codec['json_dumps_us']:.2f} |",
            f"| to_json of the server stream | {codec['serialize_us']:.2f} |",
            f"| openai-python parse of the server stream | {codec['openai_parse_us']:.2f} |",
            f"| our lenient parse of the server stream | {codec['ours_lenient_parse_us']:.2f} |",
            "",
        ]
    (RESULTS / "README.md").write_text("\n".join(lines))
    print(f"wrote {RESULTS / 'README.md'}")


if __name__ == "__main__":
    main()
