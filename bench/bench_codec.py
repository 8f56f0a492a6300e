"""Codec: the server's per-frame parse and the cost of serializing what it sends.

Not a test. Figures per event, best of three, in one run:
- a strict parse (`parse_client_event`) of one 20 ms `input_audio_buffer.append`
  (24 kHz PCM16, ~1.3 KB), next to `json.loads` of the same text (the floor);
- `to_json` of a recorded server event stream (a text turn and an audio turn from the
  session core, see bench_client.py), next to `json.dumps` of the same events as dicts;
- our lenient server-event parse next to openai-python's on that stream.
Run: python bench/bench_codec.py    Writes bench/results/codec.json.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from openai._models import construct_type_unchecked
from openai.types.realtime import RealtimeServerEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_client import recorded_stream
from harness.results import save

from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.ga import parse_client_event, parse_server_event


def per_event(fn: Callable[[Any], object], items: Sequence[Any], total: int = 20000) -> float:
    """Microseconds per call, best of three passes of about `total` calls."""
    rounds = max(1, total // len(items))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            for item in items:
                fn(item)
        best = min(best, (time.perf_counter() - start) / (rounds * len(items)) * 1e6)
    return best


def main() -> None:
    appends = []  # 50 different frames: nothing along the way can answer from a cache
    for index in range(50):
        samples = (np.sin(np.arange(480) / 7 + index) * 4000).astype(np.int16).tobytes()
        audio = base64.b64encode(samples).decode()
        appends.append(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
    append = appends[0]
    loads = per_event(json.loads, appends)
    strict = per_event(parse_client_event, appends)

    frames = recorded_stream()
    models = [parse_server_event(f) for f in frames]
    dicts = [json.loads(f) for f in frames]
    serialize = per_event(cast(Callable[[Any], object], to_json), models)
    dumps = per_event(json.dumps, dicts)
    lenient = per_event(parse_server_event, frames)
    theirs = per_event(
        lambda f: construct_type_unchecked(
            value=json.loads(f), type_=cast(Any, RealtimeServerEvent)
        ),
        frames,
    )
    rows = [
        ("json.loads, 20 ms append (floor)", loads, ""),
        ("parse_client_event strict, 20 ms append", strict, "target < 20 us"),
        ("json.dumps of the server stream as dicts (floor)", dumps, ""),
        ("to_json of the server stream", serialize, f"{1e6 / serialize:,.0f} events/s"),
        ("openai-python parse_event of the server stream", theirs, ""),
        ("parse_server_event lenient of the server stream", lenient, f"{lenient / theirs:.2f}x"),
    ]
    print(f"append: {len(append)} bytes; server stream: {len(frames)} events\n")
    for name, value, note in rows:
        print(f"{name:<52} {value:8.2f} us/event  {note}")
    save(
        "codec",
        {
            "append_bytes": len(append),
            "stream_events": len(frames),
            "append_json_loads_us": loads,
            "append_strict_parse_us": strict,
            "serialize_us": serialize,
            "json_dumps_us": dumps,
            "openai_parse_us": theirs,
            "ours_lenient_parse_us": lenient,
        },
    )


if __name__ == "__main__":
    main()
