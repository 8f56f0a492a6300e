"""Cost of realtime_sdk.audio per 20 ms frame, and the streaming resampler's hold-back.

The streaming resampler (libswresample through PyAV) is measured next to soxr's own stream,
which it replaced on the live paths: the CPU each takes per frame, and how late each releases
audio (what a live call hears at every change of rate).

A plain script, not a test: ``python bench/bench_audio.py``. Each figure is the best of a few
repeats, printed next to a baseline measured in the same run (a numpy copy of the same frame),
so the ratios mean something across machines. Runs in a few seconds.

``--before REV`` also loads ``src/realtime_sdk/audio.py`` as it was at REV (one module then, with
nothing of ours imported) beside today's package, and times the per-frame paths of both in
turns, in the same process: what a change to the package costs or saves.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import soxr  # type: ignore[import-untyped]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from realtime_sdk import audio
from realtime_sdk.audio import (
    PCM24K,
    PCMA,
    PCMU,
    StreamingResampler,
    WireDecoder,
    b64decode_audio,
    b64encode_audio,
    decode,
    encode,
)
from realtime_sdk.audio.levels import QUIET_RMS, is_quiet, peak_at_most

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


class SoxrStream:
    """soxr's stream behind the same calls, for comparison (float32 inside, as it was)."""

    def __init__(self, in_rate: int, out_rate: int, quality: str = "HQ") -> None:
        self.out_rate = out_rate
        self.ratio = out_rate / in_rate
        self.stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=quality)
        self.taken = self.given = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        y = self.stream.resample_chunk(x.astype(np.float32) / 32768)
        self.taken, self.given = self.taken + len(x), self.given + len(y)
        return np.clip(np.rint(y * 32768), -32768, 32767).astype(np.int16)

    @property
    def pending(self) -> float:
        return self.taken * self.ratio - self.given


def resampler_row(in_rate: int, out_rate: int) -> None:
    x = frame(in_rate)
    r = StreamingResampler(in_rate, out_rate)
    row(f"stream resample {in_rate}->{out_rate}", lambda: r.process(x), x.copy)
    s = SoxrStream(in_rate, out_rate)
    row("  soxr HQ stream, for comparison", lambda: s.process(x), x.copy)


def quiet_forms(x: np.ndarray) -> list[tuple[str, Callable[[], Any]]]:
    """`is_quiet` beside the other ways the same question was asked, on one frame."""
    square = QUIET_RMS * QUIET_RMS * len(x)

    def float64_dot() -> bool:
        f = x.astype(np.float64)
        return float(f.dot(f)) <= square

    def int64_dot() -> bool:
        f = x.astype(np.int64)
        return int(f.dot(f)) <= square

    def scaled_floats() -> bool:  # [-1, 1] floats, as the Silero model had them
        f = x / 32767.0
        return float(f.dot(f)) <= square / 32767.0**2

    return [
        ("is_quiet (float32 dot)", lambda: is_quiet(x)),
        ("  float64 dot", float64_dot),
        ("  int64 dot", int64_dot),
        ("  scaled floats' dot", scaled_floats),
        ("  peak_at_most (max and min)", lambda: peak_at_most(x, 64)),
    ]


def load_before(rev: str) -> Any:
    """``src/realtime_sdk/audio.py`` at ``rev``, as a module of its own."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    source = subprocess.run(
        ["git", "-C", root, "show", f"{rev}:src/realtime_sdk/audio.py"],
        capture_output=True,
        check=True,
    ).stdout
    path = os.path.join(tempfile.mkdtemp(), "audio_before.py")
    with open(path, "wb") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("audio_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audio_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def per_frame_paths(a: Any) -> list[tuple[str, Callable[[], Any]]]:
    """The per-frame paths of one version of the audio code ``a``."""
    pcm, pcm16k, g = frame(24000), frame(16000), frame(8000)
    wire, ulaw = a.encode(pcm, a.PCM24K), a.encode(g, a.PCMU)
    text = a.b64encode_audio(wire)
    hiss = np.clip(np.random.default_rng(1).normal(0, 16, 480), -100, 100).astype(np.int16)
    quiet_wire = a.encode(hiss, a.PCM24K)
    to_24k, to_ulaw = a.WireEncoder(16000, a.PCM24K), a.WireEncoder(24000, a.PCMU)
    from_24k = a.WireDecoder(a.PCM24K, 16000)
    skip_quiet, skip_loud = (a.QuietSkippingDecoder(a.PCM24K, 16000) for _ in range(2))
    quiet = getattr(a, "is_quiet", None)
    if quiet is None:  # before levels.py: the check QuietSkippingDecoder wrote inline

        def quiet(x: np.ndarray) -> bool:
            f = x.astype(np.float32)
            return float(f.dot(f)) <= 32.0 * 32.0 * len(x)

    return [
        (
            "base64 decode+encode, 24 kHz pcm (960 B)",
            lambda: a.b64encode_audio(a.b64decode_audio(text)),
        ),
        ("pcm16 decode, 24 kHz (960 B)", lambda: a.decode(wire, a.PCM24K)),
        ("pcm16 encode, 24 kHz (480 samples)", lambda: a.encode(pcm, a.PCM24K)),
        ("mu-law decode, 8 kHz (160 B)", lambda: a.decode(ulaw, a.PCMU)),
        ("mu-law encode, 8 kHz (160 samples)", lambda: a.encode(g, a.PCMU)),
        ("WireEncoder 16 kHz -> pcm 24 kHz", lambda: to_24k.process(pcm16k)),
        ("WireEncoder 24 kHz -> mu-law", lambda: to_ulaw.process(pcm)),
        ("WireDecoder pcm 24 kHz -> 16 kHz", lambda: from_24k.process(wire)),
        ("QuietSkippingDecoder, a quiet frame", lambda: skip_quiet.process(quiet_wire)),
        ("QuietSkippingDecoder, a loud frame", lambda: skip_loud.process(wire)),
        ("the quiet check, 20 ms at 24 kHz", lambda: quiet(hiss)),
    ]


def before_after(rev: str) -> None:
    """Each per-frame path before and after, timed in turns; best of three turns each."""
    print(f"\nper 20 ms frame: audio.py at {rev} against the audio package (best of 3 turns)")
    print("  {:<44} {:>9} {:>9} {:>7}".format("", "before", "after", "ratio"))
    pairs = zip(per_frame_paths(load_before(rev)), per_frame_paths(audio), strict=True)
    for (name, before), (_, after) in pairs:
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(3):
            times["before"].append(per_call_us(before))
            times["after"].append(per_call_us(after))
        b, a = min(times["before"]), min(times["after"])
        print(f"  {name:<44} {b:7.2f} us {a:7.2f} us {a / b:7.2f}")


def hold_back(r: Any, in_rate: int, out_rate: int) -> tuple[float, float]:
    """Output owed after each of 200 frames of 20 ms: (max, mean) in ms."""
    x = frame(in_rate)
    owed = []
    for _ in range(200):
        r.process(x)
        owed.append(r.pending * 1000 / out_rate)
    return max(owed), float(np.mean(owed[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REV", help="also time audio.py as it was at REV")
    args = parser.parse_args()
    if args.before:
        before_after(args.before)
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

    print("\nstreaming resampling (libswresample through PyAV; soxr's stream for comparison)")
    for pair in ((24000, 16000), (16000, 24000), (48000, 24000), (24000, 48000), (8000, 24000)):
        resampler_row(*pair)

    print("\nwhole input path: base64 -> decode -> resample to the back-end rate")
    for fmt, rate in ((PCM24K, 16000), (PCMU, 16000)):
        text = b64encode_audio(encode(frame(fmt.rate), fmt))
        dec = WireDecoder(fmt, rate)
        row(
            f"{fmt.encoding} {fmt.rate} -> {rate} int16",
            lambda t=text, d=dec: d.process(b64decode_audio(t)),
            frame(fmt.rate).copy,
        )

    print("\nthe quiet check on a quiet frame (a -66 dBFS hiss)")
    for rate, ms in ((24000, 20), (16000, 32)):
        hiss = np.clip(np.random.default_rng(1).normal(0, 16, rate * ms // 1000), -100, 100)
        x = hiss.astype(np.int16)
        for name, fn in quiet_forms(x):
            row(f"{name}, {ms} ms at {rate // 1000} kHz", fn, x.copy)

    print("\nhold-back fed 20 ms frames: output owed, in ms (what a live call hears late)")
    print("  {:<14} {:<22} {:>6} {:>6}".format("pair", "resampler", "max", "mean"))
    for in_rate, out_rate in ((24000, 16000), (16000, 24000), (48000, 24000), (8000, 24000)):
        pair = f"{in_rate}->{out_rate}"
        candidates: list[tuple[str, Any]] = [
            ("StreamingResampler", StreamingResampler(in_rate, out_rate))
        ]
        candidates += [(f"soxr {q} stream", SoxrStream(in_rate, out_rate, q)) for q in ("HQ", "LQ")]
        for name, r in candidates:
            most, mean = hold_back(r, in_rate, out_rate)
            print(f"  {pair:<14} {name:<22} {most:6.1f} {mean:6.1f}")


if __name__ == "__main__":
    main()
