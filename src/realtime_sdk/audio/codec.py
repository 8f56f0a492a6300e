"""Wire bytes <-> int16 samples, once (`decode`, `encode`) or as a stream that changes rate.

The streams are what a session's audio goes through for every frame: `WireDecoder` for the
input side (each ``input_audio_buffer.append`` into a back-end's rate), `WireEncoder` for the
output side (each back-end frame into the session's format), and `QuietSkippingDecoder` for a
model that scores quiet audio as nothing (server VAD), which spares that audio the resampler.
"""

from __future__ import annotations

import numpy as np

from .formats import AudioFormat, FormatLike, Int16Array, check_rate, require_mono_int16
from .g711 import ALAW_DECODE, ALAW_ENCODE, ULAW_DECODE, ULAW_ENCODE
from .levels import is_quiet
from .resample import StreamingResampler

__all__ = ["QuietSkippingDecoder", "WireDecoder", "WireEncoder", "decode", "encode"]


def decode(data: bytes | bytearray | memoryview, fmt: FormatLike) -> Int16Array:
    """Wire bytes -> a new 1-D int16 array the caller owns."""
    fmt = AudioFormat.parse(fmt)
    if fmt.encoding == "pcm":
        if len(data) % 2:
            raise ValueError(
                f"PCM16 audio must be a whole number of 2-byte samples; got {len(data)} bytes"
            )
        return np.frombuffer(data, dtype="<i2").astype(np.int16)
    codes = np.frombuffer(data, dtype=np.uint8)
    table = ULAW_DECODE if fmt.encoding == "pcmu" else ALAW_DECODE
    return table[codes]


def encode(samples: Int16Array, fmt: FormatLike) -> bytes:
    """A 1-D int16 array -> wire bytes (no resampling: the rate is the caller's business)."""
    fmt = AudioFormat.parse(fmt)
    x = require_mono_int16(samples, "samples")
    if fmt.encoding == "pcm":
        return x.astype("<i2", copy=False).tobytes()
    table = ULAW_ENCODE if fmt.encoding == "pcmu" else ALAW_ENCODE
    return table[x.view(np.uint16)].tobytes()


class WireDecoder:
    """Wire bytes of one format -> int16 samples at ``rate``, resampler state kept across calls.

    For the input side: each ``input_audio_buffer.append`` into the back-end's rate.
    """

    def __init__(self, fmt: FormatLike, rate: int) -> None:
        self.fmt = AudioFormat.parse(fmt)
        self.rate = check_rate(rate, "rate")
        self.resampler = StreamingResampler(self.fmt.rate, rate)

    def process(self, data: bytes | bytearray | memoryview) -> Int16Array:
        return self.resampler.process(decode(data, self.fmt))

    def flush(self) -> Int16Array:
        return self.resampler.flush()


class QuietSkippingDecoder:
    """Wire bytes -> int16 at ``rate`` for a model that scores quiet audio as nothing (server VAD).

    A chunk that `is_quiet` does not go through the resampler: it comes out as zeros, as many
    as the resampler would have given (its held-back tail first), and the resampler starts
    afresh at the next chunk with sound. The output keeps its length and timing, and a session
    listening to silence pays a decode and a sum per chunk instead of a libswresample call
    (bench/bench_vad.py measures both).
    """

    def __init__(self, fmt: FormatLike, rate: int) -> None:
        self.inner = WireDecoder(fmt, rate)
        self.fmt = self.inner.fmt
        self.rate = self.inner.rate
        self._in = 0  # input samples since the start
        self._out = 0  # output samples given since then
        self.skipped = 0  # chunks that did not go through the resampler

    def process(self, data: bytes | bytearray | memoryview) -> Int16Array:
        x = decode(data, self.fmt)
        self._in += len(x)
        resampler = self.inner.resampler
        if resampler.is_identity or len(x) == 0:
            y = resampler.process(x)
        elif is_quiet(x):
            self.skipped += 1
            tail = resampler.flush()
            owed = self._in * self.rate // self.fmt.rate - self._out
            silence = np.zeros(max(0, owed - len(tail)), dtype=np.int16)
            y = np.concatenate((tail, silence)) if len(tail) else silence
        else:
            y = resampler.process(x)
        self._out += len(y)
        return y


class WireEncoder:
    """int16 samples at ``rate`` -> wire bytes of one format, resampler state kept across calls.

    For the output side: each back-end frame into the session's output format.
    """

    def __init__(self, rate: int, fmt: FormatLike) -> None:
        self.rate = check_rate(rate, "rate")
        self.fmt = AudioFormat.parse(fmt)
        self.resampler = StreamingResampler(rate, self.fmt.rate)

    def process(self, samples: Int16Array) -> bytes:
        return encode(self.resampler.process(samples), self.fmt)

    def flush(self) -> bytes:
        return encode(self.resampler.flush(), self.fmt)
