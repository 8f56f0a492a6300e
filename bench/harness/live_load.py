"""Live load: processes of their own, each holding many GPT-Live sessions.

A session starts (`session.start` -> `session.started`), then streams as a microphone
does: a 20 ms append every 20 ms by the clock, phases spread over the 20 ms. The server
sends output every 40 ms whether or not the back-end speaks, so what is measured is
that clock: each output frame's lateness against the schedule its session's first frame
set (k x 40 ms after it), the frames missing at the end, and how many of the measured
ones carried the echo (sound, not silence).
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

APPEND_S = 0.02
OUTPUT_S = 0.04
HEADERS = {"Authorization": "Bearer sk-bench"}
START = json.dumps({"type": "session.start", "session": {"model": "gpt-live-1"}})
SILENT = base64.b64encode(bytes(1920)).decode()  # 40 ms of 24 kHz silence, as the server sends


def _append() -> str:
    t = np.arange(int(24000 * APPEND_S))
    tone = (np.sin(2 * np.pi * 440 * t / 24000) * 3000).astype("<i2")
    return json.dumps(
        {"type": "session.input_audio.append", "audio": base64.b64encode(tone.tobytes()).decode()}
    )


async def _session(url: str, start: float, phase: float, until: float, out: dict[str, Any]) -> None:
    arrivals: list[float] = []
    voiced: list[float] = []  # arrivals of frames with sound
    async with connect(url, additional_headers=HEADERS, max_size=None, compression=None) as ws:
        await ws.send(START)
        started = json.loads(await ws.recv())
        assert started["type"] == "session.started", started
        out["ready"] += 1

        async def read() -> None:
            async for message in ws:
                if '"session.output_audio.delta"' not in message[:48]:
                    continue
                arrivals.append(time.monotonic())
                if SILENT not in message:
                    voiced.append(arrivals[-1])

        reader = asyncio.create_task(read())
        frame = _append()
        sent = 0
        while (at := start + phase + sent * APPEND_S) < until:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            await ws.send(frame)
            sent += 1
        reader.cancel()
    out["sessions"].append({"arrivals": arrivals, "voiced": voiced})


async def _generate(url: str, count: int, start: float, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"ready": 0, "sessions": []}
    phases = [(i % 8) * APPEND_S / 8 for i in range(count)]
    cpu0 = time.process_time()
    runs = [_session(url, start, p, start + seconds, out) for p in phases]
    results = await asyncio.gather(*runs, return_exceptions=True)
    out["failed"] = sum(isinstance(r, BaseException) for r in results)
    out["cpu"] = time.process_time() - cpu0
    return out


def _generator(url: str, count: int, start: float, seconds: float) -> dict[str, Any]:
    """One load process: its sessions on uvloop where installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_generate(url, count, start, seconds))
    return uvloop.run(_generate(url, count, start, seconds))


def _lateness(arrivals: list[float], measured: float) -> tuple[list[float], int]:
    """Each measured frame's lateness (s) against the session's own 40 ms schedule, and
    the frames that schedule says should have come by the last arrival but did not."""
    if not arrivals:
        return [], 0
    first = arrivals[0]
    late = [at - (first + k * OUTPUT_S) for k, at in enumerate(arrivals) if at >= measured]
    due = int((arrivals[-1] - first) / OUTPUT_S) + 1
    return late, max(0, due - len(arrivals))


def live_level(
    url: str, sessions: int, *, seconds: float, warmup: float = 2.0, generators: int = 1
) -> dict[str, Any]:
    """N Live sessions streaming for `warmup + seconds`; output lateness after the warmup."""
    start = time.monotonic() + 3.0 + sessions / 100  # every session started by then
    counts = [sessions // generators + (i < sessions % generators) for i in range(generators)]
    spawn = mp.get_context("spawn")
    with ProcessPoolExecutor(generators, mp_context=spawn) as pool:
        futures = [pool.submit(_generator, url, n, start, warmup + seconds) for n in counts]
        parts = [f.result(timeout=warmup + seconds + 60) for f in futures]
    measured = start + warmup
    late: list[float] = []
    missing = 0
    frames = voiced = 0
    for part in parts:
        for s in part["sessions"]:
            lateness, lost = _lateness(s["arrivals"], measured)
            # lateness is against the first frame; the best frame sets the zero
            floor = min(lateness, default=0.0)
            late += [(x - floor) * 1000 for x in lateness]
            missing += lost
            frames += sum(at >= measured for at in s["arrivals"])
            voiced += sum(at >= measured for at in s["voiced"])
    late.sort()

    def pct(q: float) -> float:
        return late[min(len(late) - 1, int(q * len(late)))] if late else 1e9

    return {
        "sessions": sessions,
        "connected": sum(p["ready"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "p50_late_ms": pct(0.5),
        "p99_late_ms": pct(0.99),
        "missing": missing,
        "frames": frames,
        "voiced_share": voiced / frames if frames else 0.0,
        "gen_cpu_percent": sum(p["cpu"] for p in parts) / (warmup + seconds + 1) * 100,
    }
