"""Cost of the sans-I/O session core: events per second, per-frame cost, idle memory.

Not a test: prints figures, each next to a baseline measured in the same run
(`json.loads` of the same frame), since these machines are shared and noisy.
Run: python bench/bench_session.py
"""

from __future__ import annotations

import base64
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from realtime_sdk._generated.ga import parse_client_event
from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.vad import SileroSpeechModel

FRAME = (np.sin(np.arange(480) / 5) * 3000).astype(np.int16).tobytes()
APPEND = json.dumps(
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(FRAME).decode()}
)


def per_call(fn: Callable[[], object], seconds: float = 0.6) -> float:
    """Microseconds per call, best of three runs."""
    best = float("inf")
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            for _ in range(50):
                fn()
            count += 50
        best = min(best, elapsed / count * 1e6)
    return best


def rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    baseline = per_call(lambda: json.loads(APPEND))
    print(f"baseline json.loads of one 20 ms append frame: {baseline:.1f} us\n")

    rows: list[tuple[str, float]] = []
    rows.append(
        ("strict parse of input_audio_buffer.append", per_call(lambda: parse_client_event(APPEND)))
    )

    manual = Session(config={"audio": {"input": {"turn_detection": None}}})
    manual.start()

    def append_manual() -> None:
        manual.receive(APPEND)
        manual.take()
        if len(manual.buffer) > 1_000_000:
            manual.buffer.clear()

    rows.append(("append through the session, no VAD", per_call(append_manual)))

    vad = Session(speech_model=SileroSpeechModel())
    vad.start()

    def append_vad() -> None:
        vad.receive(APPEND)
        vad.take()
        if len(vad.buffer) > 1_000_000:
            vad.buffer.clear()

    rows.append(
        ("append through the session, server VAD (resample + Silero)", per_call(append_vad))
    )

    text = Session(ids=Ids.counting(), config={"output_modalities": ["text"]})
    text.start()
    text.take()
    item = json.dumps(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hi"}],
            },
        }
    )
    create = json.dumps({"type": "response.create"})
    produced = 0

    def text_turn() -> None:
        nonlocal produced
        text.receive(item)
        text.receive(create)
        response_id = text.active.id if text.active else ""
        for _ in range(10):
            text.response_text(response_id, "word ")
        text.response_finished(response_id)
        produced += len(text.take())

    turn_us = per_call(text_turn, 1.0)
    produced = 0
    text_turn()
    events_per_turn = produced
    rows.append((f"text turn ({events_per_turn} server events)", turn_us))

    for name, us in rows:
        print(f"{name:<62} {us:8.1f} us  {us / baseline:6.1f}x baseline")
    rate = events_per_turn / turn_us * 1e6
    print(f"\nserver events per second through the core (text turns): {rate:,.0f}")
    print(
        f"client appends per second through the core with VAD: {1e6 / rows[2][1]:,.0f}"
        f" ({1e6 / rows[2][1] / 50:,.0f} real-time sessions per core at 50 frames/s)"
    )

    gc.collect()
    before = rss_kib()
    sessions = []
    for _ in range(200):
        s = Session(speech_model=SileroSpeechModel())
        s.start()
        s.receive(APPEND)  # one frame, so the model has run once
        s.take()
        sessions.append(s)
    gc.collect()
    after = rss_kib()
    print(f"memory per idle session with its VAD: {(after - before) / 200:,.0f} KiB (200 sessions)")

    light = []
    before = rss_kib()
    for _ in range(2000):
        s = Session(config={"audio": {"input": {"turn_detection": None}}})
        s.start()
        s.take()
        light.append(s)
    gc.collect()
    after = rss_kib()
    print(
        f"memory per idle session without VAD: {(after - before) / 2000:,.1f} KiB (2000 sessions)"
    )


if __name__ == "__main__":
    main()
