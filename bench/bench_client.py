"""The client's own overhead per received event, next to openai-python's, on one recorded stream.

The stream is what our server sends for a text turn and an audio turn (recorded from
the session core with the echo back-end). Three figures per event, in one run:
- openai-python's `parse_event` (json.loads + construct_type_unchecked: no validation);
- our lenient parse (`parse_server_event`: validated, typed, unknown types tolerated);
- our whole receive path (parse + conversation state + audio bookkeeping + dispatch).
Run: python bench/bench_client.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
from openai._models import construct_type_unchecked
from openai.types.realtime import RealtimeServerEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.ga import parse_server_event
from realtime_sdk.client.connection import RealtimeConnection
from realtime_sdk.protocol.ids import Ids
from realtime_sdk.protocol.outputs import Send
from realtime_sdk.protocol.session import Session


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
        session.response_audio(response_id, frame)
        if index % 10 == 0:
            session.response_transcript(response_id, "word ")
    session.response_finished(response_id)
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


if __name__ == "__main__":
    main()
