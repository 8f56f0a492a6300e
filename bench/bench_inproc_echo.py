"""In-process frame echo: the CPU one 20 ms frame costs on the server's whole path, no socket.

Not a test. The FastRTC echo handler (an ``AsyncStreamHandler``, as bench_frame_echo serves)
behind the real driver, session and adapter, in this process, fed one frame at a time and
waited for until that frame is back (lockstep, unpaced: the figure is CPU, not latency):

- ``ws 24k``: websocket appends (24 kHz PCM, base64 in JSON) over an in-memory transport
  pair to a handler at 24 kHz in and out (bench_frame_echo's echo without the sockets);
- ``ws 48k``: the same to a handler at FastRTC's default 48 kHz, in and out;
- ``webrtc 48k`` and ``webrtc 24k``: a call's audio as the WebRTC transport hands it on
  (aiortc's Opus decoder gives 48 kHz stereo frames; converted as the driver's ``hear_at``
  asks) and the reply into the WebRTC player (its PlayoutBuffer, 20 ms taken per frame and
  made into the stereo frame the paced track gives the Opus encoder): all of a call but
  RTP and Opus.

The figure is the process's CPU time (all threads) per frame, the best of ``--repeats`` runs of
``--frames`` frames after a warm-up. ``--src DIR`` measures the package in DIR instead of this
checkout's (see harness/trees.py; the names are taken from where each version has them), so
bench_recut.py can time two versions back to back. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from av import AudioFrame

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.trees import find, use_src

SRC = use_src(sys.argv)  # before anything of ours is imported: the rest is found by `find`

CASES = ("ws 24k", "ws 48k", "webrtc 48k", "webrtc 24k")
DELTA = '"response.output_audio.delta"'
PEER_RATE = 48000  # what aiortc's Opus decoder gives
WAIT_S = 2.0  # a frame not back by then is a stall (counted, and the run goes on)


def tone(rate: int, n: int, start: int = 0) -> np.ndarray:
    """`n` samples of a 440 Hz tone at -16 dBFS, from sample `start` (loud enough for the
    adapter's turn policy to hear sound in every frame)."""
    t = (np.arange(n) + start) / rate
    return (5000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def echo_handler(rate: int) -> Any:
    """The frame echo's handler at `rate` in and out (harness/echo_handler.py's, any rate)."""
    from fastrtc import AsyncStreamHandler

    class Echo(AsyncStreamHandler):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(
                expected_layout="mono", output_sample_rate=rate, input_sample_rate=rate
            )
            self.frames: asyncio.Queue[Any] = asyncio.Queue(500)

        async def receive(self, frame: Any) -> None:
            if not self.frames.full():
                self.frames.put_nowait(frame)

        async def emit(self) -> Any:
            return await self.frames.get()

        def copy(self) -> Echo:
            return Echo()

    return Echo()


def served(rate: int, transport: Any, kind: str) -> tuple[Any, asyncio.Task[None]]:
    """The session, the adapter over a copy of the echo handler, and the driver running."""
    session_cls = find(
        "realtime_sdk.realtime.protocol.session:Session", "realtime_sdk.protocol.session:Session"
    )
    driver_cls = find(
        "realtime_sdk.realtime.server.driver:SessionDriver",
        "realtime_sdk.server.driver:SessionDriver",
    )
    adapter = find(
        "realtime_sdk.backends.fastrtc.backend:FastRTCBackend",
        "realtime_sdk.backends.fastrtc:FastRTCBackend",
    )
    backend = adapter(echo_handler(rate))
    session = session_cls(capabilities=backend.capabilities, transport=kind)
    driver = driver_cls(transport, session, backend)
    return session, asyncio.create_task(driver.run())


async def measure(
    step: Callable[[int], Awaitable[bool]], frames: int, warm: int
) -> tuple[float, int]:
    """CPU microseconds per `step` over `frames` steps after `warm` of them; stalls."""
    stalls = 0
    for k in range(warm):
        stalls += not await step(k)
    t0 = time.process_time()
    for k in range(warm, warm + frames):
        stalls += not await step(k)
    return (time.process_time() - t0) / frames * 1e6, stalls


async def ws_echo(rate: int, frames: int, warm: int) -> tuple[float, int]:
    pair = find(
        "realtime_sdk.transports.memory:MemoryTransport",
        "realtime_sdk.server.channel:MemoryChannel",
    )
    client, server = pair.pair()
    _, driver = served(rate, server, "websocket")
    appends = [
        json.dumps(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(tone(24000, 480, 480 * k).tobytes()).decode(),
            }
        )
        for k in range(50)  # 1 s of tone, repeated: one period fits it whole
    ]

    async def step(k: int) -> bool:
        await client.send(appends[k % len(appends)])
        try:
            while True:
                text = await asyncio.wait_for(client.recv(), WAIT_S)
                if text is None:
                    raise RuntimeError("the server ended the session")
                if DELTA in text:
                    return True
        except TimeoutError:
            return False

    try:
        return await measure(step, frames, warm)
    finally:
        await client.close()
        await asyncio.wait_for(driver, 10)


class FakeCall:
    """What the driver sees of a WebRTC call (a Transport and an AudioTransport), minus RTP:
    peer frames converted as `WebRTCTransport._read_audio` converts them, response audio into
    the real PlayoutBuffer, taken out 20 ms at a time as `PacedTrack.recv` takes it."""

    def __init__(self) -> None:
        self.playout = find(
            "realtime_sdk.transports.webrtc.playout:PlayoutBuffer",
            "realtime_sdk.transports.playout:PlayoutBuffer",
        )
        self.peer_audio = find(
            "realtime_sdk.transports.webrtc.peer_audio:PeerAudio",
            "realtime_sdk.transports.webrtc:PeerAudio",
        )
        self.input_frame = find(
            "realtime_sdk.transports.webrtc.peer_audio:input_frame",
            "realtime_sdk.transports.webrtc:input_frame",
        )
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.buffer = self.playout(self.inbox.put_nowait)
        self.hearing: Any = None
        self.pushed = asyncio.Event()
        self.closed = False

    # the Transport
    async def recv(self) -> Any:
        return await self.inbox.get()

    async def send(self, text: str) -> None:
        if self.closed:
            raise ConnectionError("closed")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = True
        self.inbox.put_nowait(None)

    # the AudioTransport
    async def send_audio(self, samples: Any, rate: int, tag: Any) -> None:
        self.buffer.push(samples, rate, tag)
        self.pushed.set()

    async def room(self) -> None:
        return None

    def finish_audio(self, response_id: str) -> None:
        self.buffer.finish(response_id)

    def clear_audio(self) -> Any:
        return self.buffer.clear()

    def hear_at(self, rate: int) -> None:
        if self.hearing is None or self.hearing.rate != rate:
            self.hearing = self.peer_audio(rate)

    # the peer's side
    def hear(self, frame: AudioFrame) -> None:
        hearing = self.hearing
        self.inbox.put_nowait(
            self.input_frame(frame) if hearing is None else hearing.convert(frame)
        )

    def play(self) -> AudioFrame:
        samples = self.buffer.take(self.buffer.rate // 50)
        both = np.repeat(samples, 2).reshape(1, -1)
        out = AudioFrame.from_ndarray(both, format="s16", layout="stereo")
        out.sample_rate = self.buffer.rate
        return out


def peer_frames(count: int) -> list[AudioFrame]:
    """What aiortc's Opus decoder gives: 20 ms of 48 kHz stereo s16, packed."""
    out = []
    for k in range(count):
        mono = tone(PEER_RATE, 960, 960 * k)
        frame = AudioFrame.from_ndarray(
            np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = PEER_RATE
        out.append(frame)
    return out


async def webrtc_echo(rate: int, frames: int, warm: int) -> tuple[float, int]:
    call = FakeCall()
    _, driver = served(rate, call, "webrtc")
    heard = peer_frames(warm + frames)

    async def step(k: int) -> bool:
        call.pushed.clear()
        call.hear(heard[k])
        try:
            await asyncio.wait_for(call.pushed.wait(), WAIT_S)
        except TimeoutError:
            return False
        call.play()
        return True

    try:
        return await measure(step, frames, warm)
    finally:
        await call.close()
        await asyncio.wait_for(driver, 10)


def run_case(case: str, frames: int, warm: int) -> tuple[float, int]:
    kind, rate = case.split()
    work = ws_echo if kind == "ws" else webrtc_echo
    return asyncio.run(work(int(rate[:-1]) * 1000, frames, warm))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", default=None, help="the package's source tree to measure")
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", action="append", choices=CASES, help="default: all")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    for case in args.case or CASES:
        runs = [run_case(case, args.frames, args.warm) for _ in range(args.repeats)]
        best = min(us for us, _ in runs)
        results[case] = {"us_per_frame": best, "stalls": sum(s for _, s in runs)}
    if args.json:
        print(json.dumps({"src": SRC, "results": results}))
        return
    print(f"in-process frame echo, {SRC}: CPU per 20 ms frame, best of {args.repeats}")
    for case, row in results.items():
        stalls = f"  ({row['stalls']:.0f} stalls)" if row["stalls"] else ""
        print(f"  {case:<12} {row['us_per_frame']:8.1f} us{stalls}")


if __name__ == "__main__":
    main()
