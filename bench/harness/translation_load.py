"""Translation load: processes of their own, each holding many translation sessions.

A session streams as a microphone client does: a 20 ms append every 20 ms, paced by the
clock (deadline = start + n * 20 ms), phases spread over the 20 ms. The server works in
200 ms frames, so each output audio delta answers the append that completed its frame;
its latency is the time from that append's send to the delta's arrival, matched by the
delta's `elapsed_ms`. A frame whose delta has not come by the end (plus a grace second)
is lost.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import time
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

APPEND_MS = 20
FRAME_MS = 200
PER_FRAME = FRAME_MS // APPEND_MS
HEADERS = {"Authorization": "Bearer sk-bench"}


def _append() -> str:
    t = np.arange(24000 * APPEND_MS // 1000)
    tone = (np.sin(2 * np.pi * 440 * t / 24000) * 3000).astype("<i2")
    audio = base64.b64encode(tone.tobytes()).decode()
    return json.dumps({"type": "session.input_audio_buffer.append", "audio": audio})


async def _session(url: str, start: float, phase: float, until: float, out: dict[str, Any]) -> None:
    sent: list[float] = []
    latencies: list[tuple[float, float]] = []  # (frame completed at, seconds to its delta)
    async with connect(url, additional_headers=HEADERS, max_size=None, compression=None) as ws:
        created = json.loads(await ws.recv())
        assert created["type"] == "session.created", created
        out["ready"] += 1

        async def read() -> None:
            async for message in ws:
                if '"session.output_audio.delta"' not in message[:60]:
                    continue
                now = time.monotonic()
                elapsed = json.loads(message)["elapsed_ms"]
                done = (elapsed + FRAME_MS) // APPEND_MS - 1  # the append that completed it
                if done < len(sent):
                    latencies.append((sent[done], now - sent[done]))

        reader = asyncio.create_task(read())
        frame = _append()
        while (at := start + phase + len(sent) * APPEND_MS / 1000) < until:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            sent.append(time.monotonic())
            await ws.send(frame)
        await asyncio.sleep(1.0)  # grace for the last frames
        reader.cancel()
    out["sessions"].append({"frames": len(sent) // PER_FRAME, "latencies": latencies})


async def _generate(url: str, count: int, start: float, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"ready": 0, "sessions": []}
    until = start + seconds
    phases = [(i % PER_FRAME) * APPEND_MS / 1000 / PER_FRAME for i in range(count)]
    cpu0 = time.process_time()
    results = await asyncio.gather(
        *(_session(url, start, p, until, out) for p in phases), return_exceptions=True
    )
    out["failed"] = sum(isinstance(r, BaseException) for r in results)
    out["cpu"] = time.process_time() - cpu0
    return out


def _child(url: str, count: int, start: float, seconds: float, queue: Any) -> None:
    try:
        import uvloop

        queue.put(uvloop.run(_generate(url, count, start, seconds)))
    except ImportError:
        queue.put(asyncio.run(_generate(url, count, start, seconds)))


def translation_level(
    url: str, sessions: int, *, seconds: float, warmup: float = 2.0, generators: int = 1
) -> dict[str, Any]:
    """N translation sessions streaming for `warmup + seconds`; latencies after the warmup."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start = time.monotonic() + 3.0 + sessions / 100  # every session connected by then
    shares = [sessions // generators + (i < sessions % generators) for i in range(generators)]
    procs = [
        ctx.Process(target=_child, args=(url, n, start, warmup + seconds, queue), daemon=True)
        for n in shares
    ]
    for proc in procs:
        proc.start()
    parts = [queue.get(timeout=warmup + seconds + 60) for _ in procs]
    for proc in procs:
        proc.join(5)
    measured = start + warmup
    latencies = sorted(
        lat * 1000 for p in parts for s in p["sessions"] for at, lat in s["latencies"]
        if at >= measured
    )  # fmt: skip
    expected = sum(s["frames"] for p in parts for s in p["sessions"])
    answered = sum(len(s["latencies"]) for p in parts for s in p["sessions"])

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 1e9

    return {
        "sessions": sessions,
        "connected": sum(p["ready"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "lost": expected - answered,
        "gen_cpu_percent": sum(p["cpu"] for p in parts) / (warmup + seconds + 1) * 100,
    }
