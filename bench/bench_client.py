"""The client's own overhead per received event, next to openai-python's, on one recorded stream.

The stream is what our server sends for a text turn and an audio turn (recorded from
the session core with the echo back-end). Three figures per event, in one run:
- openai-python's `parse_event` (json.loads + construct_type_unchecked: no validation);
- our lenient parse (`parse_server_event`: validated, typed, unknown types tolerated);
- our whole receive path (parse + conversation state + audio bookkeeping + dispatch).
Then what a WebRTC call adds: the cost per received 20 ms frame of working out whose
audio it is, and, against a real server (uvicorn on 127.0.0.1, echo back-end), the
time from `connect()` to `session.created` over websocket and over WebRTC (median of 10).
Run: python bench/bench_client.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np
from openai._models import construct_type_unchecked
from openai.types.realtime import RealtimeServerEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import realtime_sdk
from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.ga import parse_server_event
from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.client import IceConfig
from realtime_sdk.realtime.client.connection import RealtimeConnection
from realtime_sdk.realtime.client.heard import HeardTracker
from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.outputs import Send
from realtime_sdk.realtime.protocol.session import Session


def recorded_stream() -> list[str]:
    """A text turn and an audio turn, as the server's frames."""
    session = Session(ids=Ids(), config={"audio": {"input": {"turn_detection": None}}})
    session.start()
    session.receive(
        json.dumps(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hi"}],
                },
            }
        )
    )
    session.receive(json.dumps({"type": "response.create"}))
    assert session.active is not None
    response_id = session.active.id
    frame = (np.sin(np.arange(480) / 7) * 4000).astype(np.int16).tobytes()
    for index in range(100):  # 2 s of audio in 20 ms deltas, with a transcript
        session.response(response_id).audio(frame)
        if index % 10 == 0:
            session.response(response_id).transcript("word ")
    session.finish_response(response_id)
    audio = base64.b64encode(frame * 10).decode()
    session.receive(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
    session.receive(json.dumps({"type": "input_audio_buffer.commit"}))
    return [to_json(out.event) for out in session.take() if isinstance(out, Send)]


class Replay:
    """A transport that plays a recorded stream, over and over."""

    on_reconnect = None

    def __init__(self, frames: list[str]) -> None:
        self.frames = frames
        self.index = 0

    async def recv(self) -> str:
        frame = self.frames[self.index % len(self.frames)]
        self.index += 1
        return frame

    async def send(self, text: str) -> None:
        pass

    async def close(self) -> None:
        pass


def per_event(fn: Any, frames: list[str], rounds: int = 30) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            for frame in frames:
                fn(frame)
        best = min(best, (time.perf_counter() - start) / (rounds * len(frames)) * 1e6)
    return best


def per_frame_tracking(frames: int = 20_000) -> float:
    """Microseconds per received 20 ms frame (48 kHz) to attribute it to its response."""
    tracker = HeardTracker()
    tone = (np.sin(np.arange(960) / 5) * 8000).astype(np.int16)
    silence = np.zeros(960, dtype=np.int16)
    start = time.perf_counter()
    for index in range(frames):
        if index % 100 == 0:
            tracker.event({"type": "output_audio_buffer.started", "response_id": "r"}, index)
        if index % 100 == 90:
            tracker.event({"type": "output_audio_buffer.stopped", "response_id": "r"}, index)
        tracker.frame(tone if index % 10 < 8 else silence, 48000, index + 0.5)
    return (time.perf_counter() - start) / frames * 1e6


@contextmanager
def echo_server() -> Iterator[str]:
    """The echo back-end served by uvicorn on 127.0.0.1 in a thread; its base URL."""
    import logging

    import uvicorn

    logging.getLogger("realtime_sdk").setLevel(logging.ERROR)
    config = uvicorn.Config(
        create_app(ServerConfig(backend_factory=EchoBackend)),
        host="127.0.0.1",
        port=0,
        log_level="error",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)


async def connect_times(base_url: str, transport: str, count: int = 10) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        async with realtime_sdk.connect(
            base_url=base_url, transport=transport, ice=IceConfig(loopback="only")
        ) as conn:
            await conn.wait_for("session.created", timeout=10)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    frames = recorded_stream()
    kinds = {json.loads(f)["type"] for f in frames}
    print(f"recorded stream: {len(frames)} events, {len(kinds)} types, "
          f"{sum(map(len, frames)) // len(frames)} bytes on average\n")  # fmt: skip

    theirs = per_event(
        lambda f: construct_type_unchecked(
            value=json.loads(f), type_=cast(Any, RealtimeServerEvent)
        ),
        frames,
    )
    ours_parse = per_event(parse_server_event, frames)

    conn = RealtimeConnection(Replay(frames))  # type: ignore[arg-type]
    conn.on("*", lambda event: None)
    loop = asyncio.new_event_loop()

    def receive(_frame: str) -> None:
        loop.run_until_complete(conn.recv())

    ours_full = per_event(receive, frames, rounds=10)
    loop.close()
    print(f"{'openai-python parse_event (no validation)':<55} {theirs:7.1f} us/event  1.00x")
    print(f"{'realtime-sdk parse_server_event (validated)':<55} {ours_parse:7.1f} us/event"
          f"  {ours_parse / theirs:.2f}x")  # fmt: skip
    print(f"{'realtime-sdk recv (parse + state + audio + dispatch)':<55} {ours_full:7.1f} us/event"
          f"  {ours_full / theirs:.2f}x")  # fmt: skip
    print(f"{'realtime-sdk WebRTC: whose audio a received frame is':<55} "
          f"{per_frame_tracking():7.1f} us/frame (20 ms)\n")  # fmt: skip

    with echo_server() as base_url:
        for transport in ("websocket", "webrtc"):
            times = asyncio.run(connect_times(base_url, transport))
            print(f"connect -> session.created over {transport:<9} median "
                  f"{statistics.median(times) * 1000:6.1f} ms  (min {min(times) * 1000:.1f},"
                  f" max {max(times) * 1000:.1f}; 10 connections)")  # fmt: skip


if __name__ == "__main__":
    main()
