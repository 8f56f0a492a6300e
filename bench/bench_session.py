"""Cost of the sans-I/O session core: events per second, per-frame cost, idle memory.

Not a test: prints figures, each next to a baseline measured in the same run
(`json.loads` of the same frame), since these machines are shared and noisy.
Run: python bench/bench_session.py [--src DIR] [--json]

``--src DIR`` measures the package in DIR (see harness/trees.py: the session moved in the
architecture re-cut, and each version is driven by the names it has), so bench_recut.py can
time two versions back to back; ``--json`` prints the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.trees import find, use_src

SRC = use_src(sys.argv)  # before anything of ours is imported

from realtime_sdk._generated.ga import parse_client_event  # noqa: E402
from realtime_sdk.vad import SileroSpeechModel  # noqa: E402

Session = find(
    "realtime_sdk.realtime.protocol.session:Session", "realtime_sdk.protocol.session:Session"
)
Ids = find("realtime_sdk.realtime.protocol.ids:Ids", "realtime_sdk.protocol.ids:Ids")

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


def kept(session: Any) -> bytearray:
    """The turn the session holds (its input buffer; a bytearray on the session before)."""
    buffer = getattr(session, "input_buffer", None)
    return buffer.kept if buffer is not None else session.buffer


def reply_text(session: Any, response_id: str, text: str) -> None:
    if hasattr(session, "response_text"):
        session.response_text(response_id, text)
    else:
        session.response(response_id).text(text)


def reply_finished(session: Any, response_id: str) -> None:
    if hasattr(session, "response_finished"):
        session.response_finished(response_id)
    else:
        session.finish_response(response_id)


def audio_turns(seconds: int = 5, held: int = 10, turns: int = 40) -> float:
    """Median microseconds from the commit of a `seconds` s turn to its (text) response's end,
    in a conversation that holds `held` such turns (the commit and the response are where the
    turn's audio and the conversation's were copied; the appends that fill it are not timed)."""
    session = Session(ids=Ids.counting(), config={"audio": {"input": {"turn_detection": None}}})
    session.start()
    speech = (np.sin(np.arange(24000 * seconds) / 5) * 3000).astype(np.int16).tobytes()
    fill = json.dumps(
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(speech).decode()}
    )
    commit = json.dumps({"type": "input_audio_buffer.commit"})
    create = json.dumps({"type": "response.create", "response": {"output_modalities": ["text"]}})

    def turn() -> None:
        session.receive(commit)
        session.receive(create)
        response_id = session.active.id
        reply_text(session, response_id, "ok")
        reply_finished(session, response_id)
        session.take()

    took = []
    for k in range(held + turns):
        session.receive(fill)
        session.take()
        start = time.perf_counter()
        turn()
        took.append(time.perf_counter() - start)
        if k >= held:  # the oldest turn and its reply go: the conversation keeps its size
            for stored in session.conversation.items()[:2]:
                session.receive(
                    json.dumps({"type": "conversation.item.delete", "item_id": stored.id})
                )
            session.take()
    return float(np.median(took[held:])) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", default=None, help="the package's source tree to measure")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    baseline = per_call(lambda: json.loads(APPEND))
    if not args.json:
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
        if len(kept(manual)) > 1_000_000:
            kept(manual).clear()

    rows.append(("append through the session, no VAD", per_call(append_manual)))

    vad = Session(speech_model=SileroSpeechModel())
    vad.start()

    def append_vad() -> None:
        vad.receive(APPEND)
        vad.take()
        if len(kept(vad)) > 1_000_000:
            kept(vad).clear()

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
            reply_text(text, response_id, "word ")
        reply_finished(text, response_id)
        produced += len(text.take())

    turn_us = per_call(text_turn, 1.0)
    produced = 0
    text_turn()
    events_per_turn = produced
    rows.append((f"text turn ({events_per_turn} server events)", turn_us))
    rows.append(("audio turn: commit 5 s, respond over 10 such turns", audio_turns()))
    if args.json:
        figures = {name: us for name, us in rows}
        print(json.dumps({"src": SRC, "baseline_us": baseline, "results": figures}))
        return

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
