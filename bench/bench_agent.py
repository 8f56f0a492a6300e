"""The default offline agent: reply latency and CPU per session.

Not a test. Starts `realtime-sdk serve` (no --handler: the offline agent, server VAD
on) in its own process on 127.0.0.1 and talks to it over websocket the way a phone
call would: recorded speech streamed in 20 ms appends paced by the audio clock, then
silence, for as long as the reply would take to play, then the next turn. Input
transcription is on, so every turn is decoded by pocketsphinx and answered by espeak.

Per turn, at the client:
- `speech_stopped` -> first `response.output_audio.delta` (what a caller waits for);
- `speech_stopped` -> `conversation.item.input_audio_transcription.completed`.

CPU: the server process and its children (the pocketsphinx worker) in CPU seconds per
second of conversation (wall time while sessions talk), from /proc, with the same
figure for the server sitting idle for comparison. With --sessions 1,4 it runs one
session, then four at once (each its own conversation) on a fresh server.

Run: python bench/bench_agent.py [--turns 6] [--sessions 1,4]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from realtime_sdk.audio import read_wav, resample  # noqa: E402

RATE = 24000
FRAME = RATE // 50  # 20 ms
FIXTURES = ROOT / "tests" / "fixtures" / "audio"
UTTERANCES = ["hello_world_16k.wav", "fastrtc-how-are-you-24k.wav"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Server:
    """`realtime-sdk serve --port 0` in a subprocess; its port from its log."""

    def __init__(self) -> None:
        script = Path(sys.executable).with_name("realtime-sdk")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "realtime_sdk.cli"]
        self.process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        bound = threading.Event()
        self.port = 0

        def read() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                found = re.search(r"Uvicorn running on http://[\d.]+:(\d+)", line)
                if found:
                    self.port = int(found.group(1))
                    bound.set()

        threading.Thread(target=read, daemon=True).start()
        if not bound.wait(120):
            self.stop()
            raise SystemExit("the server did not start")
        self.url = f"ws://127.0.0.1:{self.port}/v1/realtime?model=gpt-realtime"

    def cpu_seconds(self) -> float:
        """utime + stime of the server and its child processes (the decoder worker)."""
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if self.process.pid in (pid, ppid):
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def utterance(name: str, rng: np.random.Generator) -> np.ndarray:
    """A recording with its own faint noise and gain, as no two takes are the same
    (identical audio would be decoded once: the recognizer caches by content)."""
    rate, samples = read_wav(FIXTURES / name)
    voice = resample(samples, rate, RATE).astype(np.float64) * rng.uniform(0.7, 1.0)
    noisy = voice + rng.normal(0.0, 20.0, len(voice))
    return np.clip(np.rint(noisy), -32768, 32767).astype(np.int16)


def appends(samples: np.ndarray) -> list[str]:
    samples = np.concatenate([samples, np.zeros(-len(samples) % FRAME, dtype=np.int16)])
    return [
        json.dumps(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(samples[i : i + FRAME].tobytes()).decode(),
            }
        )
        for i in range(0, len(samples), FRAME)
    ]


SILENCE = appends(np.zeros(FRAME, dtype=np.int16))[0]


async def conversation(
    url: str, turns: int, latencies: dict[str, list[float]], seed: int = 0
) -> None:
    """`turns` spoken turns, each followed by silence while the reply plays."""
    rng = np.random.default_rng(seed)
    async with connect(url, max_size=None) as ws:
        update = {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {"input": {"transcription": {"model": "whisper-1"}}},
            },
        }
        await ws.send(json.dumps(update))
        clock = time.monotonic()
        sent = 0
        stopped: float | None = None
        first_audio = transcribed = False
        reply_samples = 0
        done = asyncio.Event()

        async def receive() -> None:
            nonlocal stopped, first_audio, transcribed, reply_samples
            async for raw in ws:
                event = json.loads(raw)
                kind, now = event["type"], time.monotonic()
                if kind == "input_audio_buffer.speech_stopped":
                    stopped, first_audio, transcribed = now, False, False
                elif kind == "response.output_audio.delta":
                    reply_samples += len(base64.b64decode(event["delta"])) // 2
                    if not first_audio and stopped is not None:
                        first_audio = True
                        latencies["first audio"].append(now - stopped)
                elif kind == "conversation.item.input_audio_transcription.completed":
                    if not transcribed and stopped is not None:
                        transcribed = True
                        latencies["transcript"].append(now - stopped)
                elif kind == "response.done":
                    done.set()
                elif kind == "error":
                    raise SystemExit(f"server error: {event['error']}")

        async def send(frame: str) -> None:
            nonlocal sent
            await asyncio.sleep(max(0.0, clock + sent * 0.02 - time.monotonic()))
            await ws.send(frame)
            sent += 1

        reader = asyncio.create_task(receive())
        try:
            for turn in range(turns):
                done.clear()
                reply_samples = 0
                for frame in appends(utterance(UTTERANCES[turn % len(UTTERANCES)], rng)):
                    await send(frame)
                while not done.is_set():  # the mic hears silence until the reply is made
                    await send(SILENCE)
                for _ in range(reply_samples // FRAME + 10):  # ... and while it plays
                    await send(SILENCE)
        finally:
            reader.cancel()


def ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return (
        f"median {1000 * statistics.median(values):.0f} ms, p90 {1000 * p90:.0f} ms,"
        f" max {1000 * values[-1]:.0f} ms (n={len(values)})"
    )


async def level(sessions: int, turns: int) -> None:
    server = Server()
    try:
        # warm up: the first turn pays for loading what is loaded lazily
        await conversation(server.url, 1, {"first audio": [], "transcript": []})
        idle_cpu, idle_wall = server.cpu_seconds(), time.monotonic()
        await asyncio.sleep(5)
        idle = (server.cpu_seconds() - idle_cpu) / (time.monotonic() - idle_wall)

        latencies: dict[str, list[float]] = {"first audio": [], "transcript": []}
        cpu, wall = server.cpu_seconds(), time.monotonic()
        await asyncio.gather(
            *(conversation(server.url, turns, latencies, seed) for seed in range(1, sessions + 1))
        )
        cpu, wall = server.cpu_seconds() - cpu, time.monotonic() - wall
    finally:
        server.stop()
    print(f"{sessions} session(s) x {turns} turns, {wall:.1f} s of conversation:")
    print(f"  speech_stopped -> first audio delta: {ms(latencies['first audio'])}")
    print(f"  speech_stopped -> input transcript:  {ms(latencies['transcript'])}")
    per_session = cpu / wall / sessions
    print(
        f"  server CPU (with its decoder worker): {cpu:.2f} s = {100 * cpu / wall:.1f}% of a core,"
        f" {100 * per_session:.1f}% per session (idle server: {100 * idle:.2f}%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--sessions", default="1,4", help="comma-separated levels")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    for sessions in (int(s) for s in args.sessions.split(",")):
        asyncio.run(level(sessions, args.turns))


if __name__ == "__main__":
    main()
