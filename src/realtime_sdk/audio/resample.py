"""Changing the sample rate: soxr for whole signals, libswresample for live streams.

One resampler for each kind of input, for a measured reason (bench/bench_audio.py, 20 ms
frames). A live stream pays at every change of rate in the time a listener waits, so it goes
through libswresample (FFmpeg's, through PyAV): it holds back half its filter, 0.7-2 ms, where
soxr's stream releases audio in blocks, 21 ms late on average and 37-38 ms at most (43 and 73
ms from 8 kHz; LQ halves that); a WebRTC echo goes through two such changes. libswresample
costs about 19-20 us a frame against soxr's 9-10, well inside the budget. A whole signal (a
file, a committed turn) has no one waiting on its first samples, so `resample` keeps soxr's
HQ filter. PyAV is imported at the first change of rate: a server that never resamples does
not carry it (~16 MiB).
"""

from __future__ import annotations

import functools
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import soxr  # type: ignore[import-untyped]  # ships no type information

from .formats import EMPTY, Int16Array, check_rate, require_mono_int16

__all__ = ["Quality", "StreamingResampler", "resample", "samples_of_frames"]

Quality: TypeAlias = Literal["QQ", "LQ", "MQ", "HQ", "VHQ"]

# Whole signals: soxr. It takes int16 directly but dithers int16 output (results would move by
# up to 2 LSB from run to run); resampling in float32 and rounding ourselves is deterministic
# and lets us clip the filter's overshoot explicitly.


def _int16_to_float(x: Int16Array) -> npt.NDArray[np.float32]:
    y = x.astype(np.float32)
    y *= np.float32(1.0 / 32768.0)
    return y


def _float_to_int16(y: npt.NDArray[np.float32]) -> Int16Array:
    """Round and clip (soxr's filters overshoot full-scale input by up to ~20 %)."""
    z = np.multiply(y, 32768.0, dtype=np.float32)
    np.rint(z, out=z)
    np.minimum(z, 32767.0, out=z)
    np.maximum(z, -32768.0, out=z)
    return z.astype(np.int16)


def resample(
    samples: Int16Array, in_rate: int, out_rate: int, quality: Quality = "HQ"
) -> Int16Array:
    """One-shot resampling of a whole signal; returns ``samples`` itself when rates match."""
    x = require_mono_int16(samples, "samples")
    check_rate(in_rate, "in_rate")
    check_rate(out_rate, "out_rate")
    if in_rate == out_rate:
        return x
    if len(x) == 0:
        return EMPTY.copy()
    y = soxr.resample(_int16_to_float(x), in_rate, out_rate, quality=quality)
    return _float_to_int16(y)


class StreamingResampler:
    """Chunked resampling of live audio, state kept across chunks (no clicks at boundaries).

    libswresample, about 1 ms held back (see the module's docstring for why not soxr's stream).
    The output is time-aligned with the input (sample ``k`` out is at time ``k / out_rate``),
    the same for any chunking, and agrees with `resample` to ~85 dB in band. ``pending`` says
    how many output samples are owed. Call ``flush()`` at the end of a continuous signal (end
    of a turn or response) to get them; then the resampler starts afresh.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = check_rate(in_rate, "in_rate")
        self.out_rate = check_rate(out_rate, "out_rate")
        self._swr: Any = None  # av.AudioResampler, made at the first chunk
        self._in = 0
        self._out = 0

    @property
    def is_identity(self) -> bool:
        return self.in_rate == self.out_rate

    @property
    def pending(self) -> float:
        """Output samples owed for the input taken since the last flush or reset."""
        return self._in * self.out_rate / self.in_rate - self._out

    def process(self, chunk: Int16Array) -> Int16Array:
        """Resample the next chunk; the last ~1 ms of it comes with the next one or flush()."""
        x = require_mono_int16(chunk, "chunk")
        if self.is_identity:
            return x
        if len(x) == 0:
            return EMPTY.copy()
        av = _pyav()
        if self._swr is None:
            self._swr = av.AudioResampler(format="s16", layout="mono", rate=self.out_rate)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(x).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = self.in_rate
        self._in += len(x)
        y = samples_of_frames(self._swr.resample(frame))
        self._out += len(y)
        return y

    def flush(self) -> Int16Array:
        """End the signal: return the held-back tail and reset for the next signal."""
        y = EMPTY.copy() if self._swr is None else samples_of_frames(self._swr.resample(None))
        self.reset()
        return y

    def reset(self) -> None:
        """Drop any held-back samples (e.g. on barge-in or ``input_audio_buffer.clear``)."""
        self._swr = None
        self._in = 0
        self._out = 0


@functools.cache
def _pyav() -> Any:
    """PyAV, imported when a stream first changes rate."""
    import av

    return av


def samples_of_frames(frames: list[Any]) -> Int16Array:
    """The samples of PyAV's mono s16 frames (a resampler's output), end to end."""
    if not frames:
        return EMPTY.copy()
    parts = [frame.to_ndarray().reshape(-1) for frame in frames]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
