"""Frame-echo load generators: processes of their own, each driving many sessions.

The parent (`run_level`) starts the generator processes; each opens its sessions,
reports ready, and at a start time the parent gives them all sends one numbered 20 ms
frame per session every 20 ms, paced by the clock (deadline = start + n * 20 ms, never
a sleep after each send), with the sessions' phases spread over the 20 ms. Each echo
is matched to its frame by number. After the run, a grace period collects late echoes;
a frame with no echo by then is lost. Everything stops by itself: the run is bounded
by its duration plus fixed margins, whatever the server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import statistics
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from .framewire import FRAME_MS, RING, Wire
from .sampler import machine_busy_seconds

SLOTS = 10  # the 20 ms period split into 2 ms slots, sessions spread across them
GRACE_S = 1.0
CONNECT_TIMEOUT_S = 20.0
HEADERS = {"Authorization": "Bearer sk-bench"}


@dataclass
class Track:
    """One session's frames: when each went out, and its echo's round trip."""

    sent_at: list[float] = field(default_factory=list)
    rtt: dict[int, float] = field(default_factory=dict)  # frame number -> seconds
    next_seq: int = 0  # the lowest frame number whose echo can still come


class Session:
    def __init__(self, wire: Wire, url: str) -> None:
        self.wire = wire
        self.url = url
        self.track = Track()
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.errors = 0

    async def open(self) -> None:
        headers = None if self.wire.is_fastrtc else HEADERS
        self.ws = await connect(
            self.url, additional_headers=headers, max_size=None, compression=None
        )
        for message in self.wire.hello():
            await self.ws.send(message)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        track, seq_of = self.track, self.wire.seq_of
        with contextlib.suppress(Exception):
            async for message in self.ws:
                now = time.monotonic()
                residue = seq_of(message)
                if residue is None:
                    if '"error"' in message[:60]:
                        self.errors += 1
                    continue
                # echoes come in order: the first frame at or after next_seq with this number
                seq = track.next_seq + (residue - track.next_seq) % RING
                if seq < len(track.sent_at):
                    track.rtt[seq] = now - track.sent_at[seq]
                    track.next_seq = seq + 1

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 2)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)


async def _generate(
    wire: Wire, url: str, count: int, offset: int, total: int, pipe: Connection
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    clock = time.monotonic  # uvloop's loop.time() counts whole milliseconds
    frames = wire.frames()
    sessions = [Session(wire, url) for _ in range(count)]
    gate = asyncio.Semaphore(16)  # handshakes in small batches, not all at once

    async def open_one(session: Session) -> bool:
        async with gate:
            try:
                await asyncio.wait_for(session.open(), CONNECT_TIMEOUT_S)
                return True
            except Exception:
                return False

    opened = await asyncio.gather(*(open_one(s) for s in sessions))
    live = [s for s, ok in zip(sessions, opened, strict=True) if ok]
    pipe.send(("ready", len(live)))
    start_mono, warmup, seconds = await loop.run_in_executor(None, pipe.recv)
    start = start_mono
    measure_from, stop_at = start + warmup, start + warmup + seconds
    slots: list[list[Session]] = [[] for _ in range(SLOTS)]
    for index, session in enumerate(live):  # phases spread over all processes' sessions
        slots[((offset + index) * SLOTS // max(total, 1)) % SLOTS].append(session)
    lags: list[float] = []
    cpu0 = time.process_time()
    tick = 0
    while True:
        base = start + tick * FRAME_MS / 1000
        if base >= stop_at:
            break
        for slot_index, slot in enumerate(slots):
            deadline = base + slot_index * FRAME_MS / 1000 / SLOTS
            delay = deadline - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            elif deadline >= measure_from:
                lags.append(-delay * 1000)
            for session in slot:
                if session.ws is None:
                    continue
                track = session.track
                track.sent_at.append(time.monotonic())
                try:
                    await session.ws.send(frames[tick % RING])
                except Exception:
                    session.ws = None
        tick += 1
    await asyncio.sleep(GRACE_S)
    cpu = time.process_time() - cpu0
    await asyncio.gather(*(s.close() for s in live))
    return _summary(live, count, measure_from, stop_at, lags, cpu)


def _summary(
    live: list[Session],
    count: int,
    measure_from: float,
    stop_at: float,
    lags: list[float],
    cpu: float,
) -> dict[str, Any]:
    """Round trips in the measured window, per-session drift, and lost frames."""
    rtts: list[float] = []
    drifts: list[float] = []
    sent = lost = late = errors = 0
    edge = 2.0  # drift: median round trip of the window's last 2 s minus its first 2 s
    for session in live:
        track = session.track
        errors += session.errors
        first: list[float] = []
        last: list[float] = []
        for seq, at in enumerate(track.sent_at):
            if at < measure_from or at >= stop_at:
                continue
            sent += 1
            rtt = track.rtt.get(seq)
            if rtt is None:  # skipped over by a later echo: lost; else still on its way
                if seq < track.next_seq:
                    lost += 1
                else:
                    late += 1
                continue
            rtts.append(rtt * 1000)
            if at < measure_from + edge:
                first.append(rtt * 1000)
            elif at >= stop_at - edge:
                last.append(rtt * 1000)
        if first and last:
            drifts.append(statistics.median(last) - statistics.median(first))
    return {
        "rtts": rtts,
        "drifts": drifts,
        "sent": sent,
        "lost": lost,
        "late": late,
        "errors": errors,
        "failed": count - len(live),
        "lags": lags,
        "cpu": cpu,
    }


def _child(system: str, url: str, count: int, offset: int, total: int, pipe: Connection) -> None:
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    try:
        result = run(_generate(Wire(system), url, count, offset, total, pipe))
        pipe.send(("done", result))
    except Exception as exc:
        pipe.send(("error", repr(exc)))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_level(
    system: str,
    url: str,
    sessions: int,
    *,
    seconds: float,
    warmup: float = 3.0,
    generators: int = 1,
    sampler: Any = None,
) -> dict[str, Any]:
    """N sessions of frame echo against `url`; the figures of one level.

    `sampler` (the server's) is windowed over the measured seconds, so CPU and RSS are
    the server's while every session streams.
    """
    ctx = mp.get_context("spawn")  # no inherited loops, sockets or threads
    procs, pipes = [], []
    counts = [sessions // generators + (i < sessions % generators) for i in range(generators)]
    offset = 0
    for count in counts:
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(
            target=_child, args=(system, url, count, offset, sessions, theirs), daemon=True
        )
        proc.start()
        procs.append(proc)
        pipes.append(mine)
        offset += count
    try:
        ready = 0
        for pipe in pipes:
            if not pipe.poll(CONNECT_TIMEOUT_S * (1 + sessions / 16) + 30):
                raise RuntimeError("a load generator did not get ready")
            kind, value = pipe.recv()
            if kind != "ready":
                raise RuntimeError(f"load generator: {value}")
            ready += value
        start = time.monotonic() + 0.5
        for pipe in pipes:
            pipe.send((start, warmup, seconds))
        time.sleep(max(0.0, start + warmup - time.monotonic()))
        if sampler is not None:
            sampler.window()
        busy0, wall0 = machine_busy_seconds(), time.monotonic()
        time.sleep(max(0.0, start + warmup + seconds - time.monotonic()))
        cpu = sampler.cpu_percent() if sampler is not None else float("nan")
        machine = (machine_busy_seconds() - busy0) / (time.monotonic() - wall0) * 100
        rss = sampler.peak_rss() if sampler is not None else float("nan")
        parts = []
        for pipe in pipes:
            if not pipe.poll(GRACE_S + 30):
                raise RuntimeError("a load generator did not finish")
            kind, value = pipe.recv()
            if kind != "done":
                raise RuntimeError(f"load generator: {value}")
            parts.append(value)
    finally:
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
    rtts = [r for p in parts for r in p["rtts"]]
    drifts = [d for p in parts for d in p["drifts"]]
    lags = [g for p in parts for g in p["lags"]]
    sent = sum(p["sent"] for p in parts)
    gen_cpu = sum(p["cpu"] for p in parts) / (warmup + seconds + GRACE_S) * 100
    return {
        "system": system,
        "sessions": sessions,
        "connected": ready,
        "seconds": seconds,
        "p50_ms": pct(rtts, 0.5),
        "p99_ms": pct(rtts, 0.99),
        "max_ms": max(rtts) if rtts else float("nan"),
        "drift_ms": max(drifts, key=abs) if drifts else float("nan"),
        "drift_median_ms": statistics.median(drifts) if drifts else float("nan"),
        "sent": sent,
        "lost": sum(p["lost"] for p in parts),
        "late": sum(p["late"] for p in parts),  # no echo within the grace period
        "errors": sum(p["errors"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "gen_lag_p99_ms": pct(lags, 0.99) if lags else 0.0,
        "gen_cpu_percent": gen_cpu,
        "server_cpu_percent": cpu,
        # everything else the machine ran meanwhile (other users' work): 100 = one core
        "other_cpu_percent": max(0.0, machine - cpu - gen_cpu),
        "server_rss_mib": rss,
    }


def held(row: dict[str, Any], bound_ms: float = 100.0) -> bool:
    """The issue's bound: p99 round trip within `bound_ms`, nothing lost, all connected."""
    p99 = row["p99_ms"]  # NaN, or None once read back from JSON: no echo at all
    return bool(
        p99 is not None
        and p99 <= bound_ms
        and row["lost"] == 0
        and row["late"] == 0
        and row["failed"] == 0
        and row["connected"] == row["sessions"]
        and row["sent"] > 0
    )
