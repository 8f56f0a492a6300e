"""Cost of realtime_sdk.audio per 20 ms frame, and the streaming resampler's hold-back.

A plain script, not a test: ``python bench/bench_audio.py``. Each figure is the best of a few
repeats, printed next to a baseline measured in the same run (a numpy copy of the same frame),
so the ratios mean something across machines. Runs in a few seconds.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from realtime_sdk.audio import (
    PCM24K,
    PCMA,
    PCMU,
    Quality,
    StreamingResampler,
    WireDecoder,
    b64decode_audio,
    b64encode_audio,
    decode,
    encode,
)

BUDGET_S = 0.08  # per measurement; about 25 of them
REPEATS = 5


def per_call_us(fn: Callable[[], Any]) -> float:
    """Best-of-REPEATS mean time of one call, in microseconds."""
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < BUDGET_S / REPEATS / 4:
        fn()
        n += 1
    n = max(n * 4, 10)
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def frame(rate: int, seed: int = 0) -> np.ndarray:
    """20 ms of speech-like noise at ``rate``."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0, 4000, rate // 50), -32768, 32767).astype(np.int16)


def row(name: str, fn: Callable[[], Any], base: Callable[[], Any]) -> None:
    us, base_us = per_call_us(fn), per_call_us(base)
    print(f"  {name:<44} {us:9.2f} us   baseline {base_us:6.2f} us   x{us / base_us:7.1f}")


def resampler_row(in_rate: int, out_rate: int, quality: Quality = "HQ") -> None:
    x = frame(in_rate)
    r = StreamingResampler(in_rate, out_rate, quality)
    row(f"stream resample {in_rate}->{out_rate} ({quality})", lambda: r.process(x), x.copy)


def main() -> None:
    print(f"realtime_sdk.audio per 20 ms frame (numpy {np.__version__}); baseline = frame.copy()")

    print("\nbase64 and codecs")
    pcm = frame(24000)
    wire = encode(pcm, PCM24K)
    text = b64encode_audio(wire)
    row(
        "base64 decode+encode, 24 kHz pcm (960 B)",
        lambda: b64encode_audio(b64decode_audio(text)),
        pcm.copy,
    )
    row("pcm16 decode, 24 kHz (960 B)", lambda: decode(wire, PCM24K), pcm.copy)
    row("pcm16 encode, 24 kHz (480 samples)", lambda: encode(pcm, PCM24K), pcm.copy)
    g = frame(8000)
    for fmt, name in ((PCMU, "mu-law"), (PCMA, "A-law")):
        codes = encode(g, fmt)
        row(f"G.711 {name} decode, 8 kHz (160 B)", lambda c=codes, f=fmt: decode(c, f), g.copy)
        row(f"G.711 {name} encode, 8 kHz (160 samples)", lambda f=fmt: encode(g, f), g.copy)

    print("\nstreaming resampling (soxr, float32 inside)")
    for pair in ((24000, 16000), (16000, 24000), (48000, 24000), (8000, 24000)):
        resampler_row(*pair)
    for quality in ("MQ", "LQ"):
        resampler_row(24000, 16000, quality)

    print("\nwhole input path: base64 -> decode -> resample to the back-end rate")
    for fmt, rate in ((PCM24K, 16000), (PCMU, 16000)):
        text = b64encode_audio(encode(frame(fmt.rate), fmt))
        dec = WireDecoder(fmt, rate)
        row(
            f"{fmt.encoding} {fmt.rate} -> {rate} int16",
            lambda t=text, d=dec: d.process(b64decode_audio(t)),
            frame(fmt.rate).copy,
        )

    print("\nhold-back of StreamingResampler fed 20 ms frames (output samples owed, in ms)")
    header = ("pair", "quality", "samples out of 1st frame", "max", "mean", "tail")
    print("  {:<14} {:<7} {:>24} {:>6} {:>6} {:>6}".format(*header))
    for in_rate, out_rate in ((24000, 16000), (16000, 24000), (48000, 24000), (8000, 24000)):
        for quality in ("HQ", "MQ", "LQ"):
            r = StreamingResampler(in_rate, out_rate, quality)
            x = frame(in_rate)
            first = len(r.process(x))
            owed = [r.pending]
            for _ in range(199):
                r.process(x)
                owed.append(r.pending)
            tail = len(r.flush())
            ms = 1000 / out_rate
            pair = f"{in_rate}->{out_rate}"
            print(
                f"  {pair:<14} {quality:<7} {first:>24} {max(owed) * ms:6.1f}"
                f" {np.mean(owed[1:]) * ms:6.1f} {tail * ms:6.1f}"
            )


if __name__ == "__main__":
    main()
