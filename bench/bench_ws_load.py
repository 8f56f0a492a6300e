"""Websocket load: how many real-time audio sessions one server holds before latency grows.

Not a test. Starts `realtime-sdk serve` (echo, server VAD on) in its own process on
127.0.0.1 and drives it from this process:

1. connect -> `session.created`, 20 sequential connections on an idle server;
2. a sweep of N concurrent sessions (default 10, 25, 50, 100, 150, 200; ~10 s each, a fresh
   server per level), each streaming a recorded utterance and then silence in 20 ms
   appends paced by the audio clock, so the server's VAD ends a turn about every 2.2 s
   and echo answers it. Latency per turn: from sending the frame where the speech
   ended (`speech_stopped.audio_end_ms`) to receiving `speech_stopped`, and to the
   first `response.output_audio.delta`.

The load generator shares the machine, so it reports its own pacing lag and CPU; a
level where the generator fell behind says more about the generator than the server.
Run: python bench/bench_ws_load.py [--levels 10,25,50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness.results import save  # noqa: E402

from realtime_sdk.audio import read_wav, resample  # noqa: E402

FRAME_MS = 20
RATE = 24000
SAMPLES = RATE * FRAME_MS // 1000
SPEECH = ROOT / "tests" / "fixtures" / "audio" / "hello_world_16k.wav"
QUIET = ("--log-level", "warning")
SILENCE_MS = 200  # the server's default silence_duration_ms: the wait every turn starts with
DELTA = '"type":"response.output_audio.delta"'
CLK_TCK = os.sysconf("SC_CLK_TCK")


def turn_frames() -> list[str]:
    """One turn of append events: the utterance, then 1.2 s of silence."""
    rate, samples = read_wav(SPEECH)
    voice = resample(samples, rate, RATE)
    pattern = np.concatenate([voice, np.zeros(RATE * 12 // 10, dtype=np.int16)])
    pattern = pattern[: len(pattern) // SAMPLES * SAMPLES]
    return [
        json.dumps(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(pattern[i : i + SAMPLES].tobytes()).decode(),
            }
        )
        for i in range(0, len(pattern), SAMPLES)
    ]


class Server:
    """`realtime-sdk serve` in a subprocess, on a free port; stopped by `stop()`."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        script = Path(sys.executable).with_name("realtime-sdk")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "realtime_sdk.cli"]
        self.process = subprocess.Popen(
            [*command, "serve", "--handler", "echo", "--port", str(self.port), *QUIET],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"ws://127.0.0.1:{self.port}/v1/realtime?model=gpt-realtime"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def machine_busy_seconds() -> float:
    """CPU seconds all processes on this machine have used (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


async def open_session(url: str) -> tuple[ClientConnection, float, float]:
    """A connection, and the seconds to the handshake and to `session.created`."""
    start = time.perf_counter()
    ws = await connect(url, additional_headers={"Authorization": "Bearer sk-bench"}, max_size=None)
    opened = time.perf_counter()
    first = json.loads(await ws.recv())
    assert first["type"] == "session.created", first
    return ws, opened - start, time.perf_counter() - start


@dataclass
class Stats:
    stopped_ms: list[float] = field(default_factory=list)  # speech end -> speech_stopped
    first_audio_ms: list[float] = field(default_factory=list)  # speech end -> first delta
    send_lag_ms: list[float] = field(default_factory=list)  # generator behind its clock
    errors: int = 0


async def run_session(
    url: str, frames: list[str], stop_at: float, measure_from: float, stats: Stats
) -> None:
    loop = asyncio.get_running_loop()
    ws, _, _ = await open_session(url)
    sent_at: list[float] = []
    offset = random.randrange(len(frames))  # spread the turns of all sessions out
    stopped: list[float] = []  # when the frame where the last turn's speech ended went out
    answering: dict[str, float] = {}  # response id -> that time, until its first audio

    async def send() -> None:
        start = loop.time()
        index = 0
        while loop.time() < stop_at:
            deadline = start + index * FRAME_MS / 1000
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif loop.time() > measure_from:
                stats.send_lag_ms.append(-delay * 1000)
            sent_at.append(loop.time())
            await ws.send(frames[(offset + index) % len(frames)])
            index += 1

    async def receive() -> None:
        async for message in ws:
            now = loop.time()
            assert isinstance(message, str)
            if DELTA in message[:100]:
                started = answering.pop(json.loads(message)["response_id"], None)
                if started is not None and now > measure_from:
                    stats.first_audio_ms.append((now - started) * 1000)
                continue
            event = json.loads(message)
            kind = event["type"]
            if kind == "error":
                stats.errors += 1
            elif kind == "input_audio_buffer.speech_stopped":
                frame = max(0, -(-event["audio_end_ms"] // FRAME_MS) - 1)
                if frame < len(sent_at):
                    stopped[:] = [sent_at[frame]]
                    if now > measure_from:
                        stats.stopped_ms.append((now - sent_at[frame]) * 1000)
            elif kind == "response.created" and stopped:
                answering[event["response"]["id"]] = stopped.pop()

    receiver = asyncio.create_task(receive())
    try:
        await send()
    finally:
        await ws.close()
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def level(sessions: int, seconds: float, frames: list[str]) -> dict[str, float]:
    server = Server()
    try:
        loop = asyncio.get_running_loop()
        stats = Stats()
        begin = loop.time()
        measure_from = begin + 3.0  # connections ramp up and VADs settle first
        stop_at = measure_from + seconds
        cpu0, wall0, mine0 = server.cpu_seconds(), time.monotonic(), time.process_time()
        busy0 = machine_busy_seconds()
        tasks = []
        for _ in range(sessions):  # ramp over ~1 s so handshakes do not all collide
            tasks.append(
                asyncio.create_task(run_session(server.url, frames, stop_at, measure_from, stats))
            )
            await asyncio.sleep(1.0 / sessions)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        wall = time.monotonic() - wall0
        rss = server.rss_mib()
        server_cpu = (server.cpu_seconds() - cpu0) / wall * 100
        client_cpu = (time.process_time() - mine0) / wall * 100
        machine = (machine_busy_seconds() - busy0) / wall * 100
        return {
            "sessions": sessions,
            "failed": len(failed),
            "turns": len(stats.stopped_ms),
            "stopped_p50": pct(stats.stopped_ms, 0.5),
            "stopped_p99": pct(stats.stopped_ms, 0.99),
            "audio_p50": pct(stats.first_audio_ms, 0.5),
            "audio_p99": pct(stats.first_audio_ms, 0.99),
            "lag_p99": pct(stats.send_lag_ms, 0.99) if stats.send_lag_ms else 0.0,
            "errors": stats.errors,
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
            "other_cpu": max(0.0, machine - server_cpu - client_cpu),
            "server_rss": rss,
        }
    finally:
        server.stop()


async def connect_times(count: int = 20) -> tuple[list[float], list[float]]:
    server = Server()
    try:
        handshakes, created = [], []
        for _ in range(count + 2):
            ws, handshake, total = await open_session(server.url)
            await ws.close()
            handshakes.append(handshake * 1000)
            created.append(total * 1000)
        return handshakes[2:], created[2:]  # the first two warm the server up
    finally:
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="10,25,50,100,150,200")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    random.seed(1)
    frames = turn_frames()
    print(f"machine: {os.cpu_count()} CPUs; one uvicorn worker; echo; server VAD on (Silero)")
    handshakes, created = await connect_times()
    print(
        f"connect -> session.created: median {statistics.median(created):.1f} ms"
        f" (handshake {statistics.median(handshakes):.1f} ms), p90 {pct(created, 0.9):.1f} ms,"
        f" over {len(created)} connections\n"
    )
    print(
        "sessions  turns  speech_stopped p50/p99 ms  first audio p50/p99 ms  "
        "gen lag p99 ms  errors  CPU% server/gen/other  server RSS MiB"
    )
    held, baseline = 0, None
    rows = []
    for sessions in (int(n) for n in args.levels.split(",")):
        row = await level(sessions, args.seconds, frames)
        # timed from the frame at speech_stopped.audio_end_ms, which is the end of speech
        # plus silence_duration_ms: what is left is what the server adds
        row["added_p99"] = row["audio_p99"]
        rows.append(row)
        print(
            f"{row['sessions']:>8}  {row['turns']:>5}  "
            f"{row['stopped_p50']:>11.1f} / {row['stopped_p99']:<9.1f}  "
            f"{row['audio_p50']:>9.1f} / {row['audio_p99']:<9.1f}  "
            f"{row['lag_p99']:>14.1f}  {row['errors'] + row['failed']:>6}  "
            f"{row['server_cpu']:>8.0f} /{row['client_cpu']:>4.0f} /{row['other_cpu']:>4.0f}"
            f"  {row['server_rss']:>13.0f}",
            flush=True,
        )
        baseline = baseline or row["stopped_p99"]
        if row["audio_p99"] > 1000 or row["errors"] + row["failed"]:
            print("(far over the bound: no heavier level tried)")
            break
        # held: p99 within twice the lightest level's (or +100 ms), nothing lost, and the
        # generator itself on time (else the level measured the generator)
        if (
            row["stopped_p99"] <= max(2 * baseline, baseline + 100)
            and row["errors"] + row["failed"] == 0
            and row["lag_p99"] < 20
            and held == sessions_before(args.levels, sessions)
        ):
            held = sessions
    print(f"\nheld before p99 grew: {held} concurrent sessions (of the levels tried)")
    within = [
        r["sessions"] for r in rows if r["added_p99"] <= 100 and r["errors"] + r["failed"] == 0
    ]
    print(
        f"first audio p99 within silence_duration_ms ({SILENCE_MS}) + 100 ms:"
        f" up to {max(within, default=0)} sessions"
    )
    save(
        "turn_echo",
        {
            "silence_ms": SILENCE_MS,
            "seconds": args.seconds,
            "connect_ms": statistics.median(created),
            "levels": rows,
            "held": held,
        },
    )


def sessions_before(levels: str, sessions: int) -> int:
    """The level tried before `sessions` (0 for the first): levels must hold in a row."""
    tried = [int(n) for n in levels.split(",")]
    index = tried.index(sessions)
    return tried[index - 1] if index else 0


if __name__ == "__main__":
    asyncio.run(main())
