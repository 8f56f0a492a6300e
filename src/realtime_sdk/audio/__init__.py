"""Audio for the Realtime protocol: wire formats, base64, G.711, resampling, WAV.

Self-contained (numpy and soxr; PyAV for live resampling, loaded when first needed) so that
the sans-I/O session core can import it without pulling in anything else of ours. Samples
are always 1-D ``int16`` arrays here; wire audio is always ``bytes``.
"""

from __future__ import annotations

import binascii
import functools
import io
import os
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any, Final, Literal, Protocol, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import soxr  # type: ignore[import-untyped]  # ships no type information

from .levels import QUIET_RMS, is_quiet

__all__ = [
    "PCM24K",
    "PCMA",
    "PCMU",
    "QUIET_RMS",
    "AudioFormat",
    "Encoding",
    "FormatLike",
    "Int16Array",
    "Quality",
    "StreamingResampler",
    "WireDecoder",
    "WireEncoder",
    "b64decode_audio",
    "b64encode_audio",
    "decode",
    "decode_wire_audio",
    "encode",
    "is_quiet",
    "read_wav",
    "resample",
    "to_fastrtc_frame",
    "to_mono_int16",
    "write_wav",
]

Int16Array: TypeAlias = npt.NDArray[np.int16]
Encoding: TypeAlias = Literal["pcm", "pcmu", "pcma"]
Quality: TypeAlias = Literal["QQ", "LQ", "MQ", "HQ", "VHQ"]

_G711_RATE: Final = 8000
_GA_DEFAULT_PCM_RATE: Final = 24000
_GA_TYPES: Final[dict[str, Encoding]] = {
    "audio/pcm": "pcm",
    "audio/pcmu": "pcmu",
    "audio/pcma": "pcma",
}
_BETA_NAMES: Final[dict[str, Encoding]] = {
    "pcm16": "pcm",
    "g711_ulaw": "pcmu",
    "g711_alaw": "pcma",
}
_GA_FORMATS: dict[tuple[str, int | None], AudioFormat] = {}  # AudioFormat.from_ga's, by value
_EMPTY: Final[Int16Array] = np.zeros(0, dtype=np.int16)
_EMPTY.flags.writeable = False


class _HasType(Protocol):
    """What a GA format object looks like, e.g. the generated pydantic models."""

    @property
    def type(self) -> str: ...


# --------------------------------------------------------------------------- formats


def _check_rate(rate: object, what: object) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise ValueError(f"sample rate of {what} must be a positive integer, got {rate!r}")
    return rate


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """One of the protocol's three wire formats, with its sample rate.

    ``pcm`` is 16-bit little-endian mono (the protocol only uses 24000 Hz, but other rates are
    allowed so back-end formats can be described too); ``pcmu``/``pcma`` are G.711 at 8000 Hz.
    """

    encoding: Encoding
    rate: int

    def __post_init__(self) -> None:
        if self.encoding not in ("pcm", "pcmu", "pcma"):
            raise ValueError(
                f"unknown audio encoding {self.encoding!r}; expected 'pcm', 'pcmu' or 'pcma'"
            )
        _check_rate(self.rate, "rate")
        if self.encoding != "pcm" and self.rate != _G711_RATE:
            raise ValueError(f"G.711 ({self.encoding}) is 8000 Hz only, not {self.rate}")

    # -- constructors from what the protocol carries

    @classmethod
    def from_ga(cls, value: Mapping[str, Any] | _HasType) -> AudioFormat:
        """From a GA format object: ``{"type": "audio/pcm", "rate": 24000}`` or a model."""
        if value is None:
            raise ValueError("unknown audio format None; expected a format object")
        if isinstance(value, Mapping):
            kind, rate = value.get("type"), value.get("rate")
        else:
            kind, rate = getattr(value, "type", None), getattr(value, "rate", None)
        if kind is None:
            kind = "audio/pcm"  # the spec leaves `type` optional; PCM is the default format
        # the session's format is read for every frame: a valid one is made once
        key = (kind, rate) if isinstance(kind, str) and type(rate) in (int, type(None)) else None
        known = _GA_FORMATS.get(key) if key is not None else None
        if known is not None:
            return known
        made = cls._from_ga(kind, rate)
        if key is not None and len(_GA_FORMATS) < 64:
            _GA_FORMATS[key] = made
        return made

    @classmethod
    def _from_ga(cls, kind: object, rate: object) -> AudioFormat:
        encoding = _GA_TYPES.get(kind) if isinstance(kind, str) else None
        if encoding is None:
            raise ValueError(
                f"unknown audio format type {kind!r}; expected one of {', '.join(_GA_TYPES)}"
            )
        if encoding == "pcm":
            return cls("pcm", _GA_DEFAULT_PCM_RATE if rate is None else _check_rate(rate, kind))
        if rate is not None and rate != _G711_RATE:
            raise ValueError(f"{kind} is 8000 Hz only; got rate {rate!r}")
        return cls(encoding, _G711_RATE)

    @classmethod
    def from_beta(cls, name: str) -> AudioFormat:
        """From a beta format string: ``"pcm16"``, ``"g711_ulaw"`` or ``"g711_alaw"``."""
        encoding = _BETA_NAMES.get(name) if isinstance(name, str) else None
        if encoding is None:
            raise ValueError(
                f"unknown beta audio format {name!r}; expected one of {', '.join(_BETA_NAMES)}"
            )
        return cls(encoding, _GA_DEFAULT_PCM_RATE if encoding == "pcm" else _G711_RATE)

    @classmethod
    def parse(cls, value: FormatLike) -> AudioFormat:
        """Any of the above: an AudioFormat, a beta string, or a GA object."""
        if isinstance(value, AudioFormat):
            return value
        if isinstance(value, str):
            return cls.from_beta(value)
        return cls.from_ga(value)

    # -- back to the wire

    def to_ga(self) -> dict[str, Any]:
        """The GA session format object."""
        if self.encoding == "pcm":
            return {"type": "audio/pcm", "rate": self.rate}
        return {"type": f"audio/{self.encoding}"}

    def to_beta(self) -> str:
        """The beta format string; beta ``pcm16`` is implicitly 24 kHz."""
        if self.encoding == "pcmu":
            return "g711_ulaw"
        if self.encoding == "pcma":
            return "g711_alaw"
        if self.rate != _GA_DEFAULT_PCM_RATE:
            raise ValueError(f"beta pcm16 is 24000 Hz only; this format is {self.rate} Hz")
        return "pcm16"

    # -- sizes and durations, counted the way the protocol counts them

    @property
    def bytes_per_sample(self) -> int:
        return 2 if self.encoding == "pcm" else 1

    @property
    def is_g711(self) -> bool:
        return self.encoding != "pcm"

    def samples_in(self, nbytes: int) -> int:
        """Whole samples in ``nbytes`` of wire audio."""
        if nbytes < 0:
            raise ValueError(f"byte count must be >= 0, got {nbytes}")
        return nbytes // self.bytes_per_sample

    def duration_ms(self, nbytes: int) -> int:
        """Milliseconds in ``nbytes``, floored; sum samples, not ms, across chunks."""
        return self.ms_for_samples(self.samples_in(nbytes))

    def ms_for_samples(self, samples: int) -> int:
        """Milliseconds covered by ``samples`` samples at this rate, floored."""
        if samples < 0:
            raise ValueError(f"sample count must be >= 0, got {samples}")
        return samples * 1000 // self.rate

    def samples_for_ms(self, ms: int) -> int:
        """Samples in the first ``ms`` milliseconds, floored."""
        if ms < 0:
            raise ValueError(f"duration must be >= 0 ms, got {ms}")
        return ms * self.rate // 1000

    def bytes_for_ms(self, ms: int) -> int:
        """Bytes of wire audio in ``ms`` milliseconds (whole samples)."""
        return self.samples_for_ms(ms) * self.bytes_per_sample


PCM24K: Final = AudioFormat("pcm", 24000)
PCMU: Final = AudioFormat("pcmu", _G711_RATE)
PCMA: Final = AudioFormat("pcma", _G711_RATE)

FormatLike: TypeAlias = AudioFormat | str | Mapping[str, Any] | _HasType
"""What ``decode``/``encode`` and the converters accept as a format (see AudioFormat.parse)."""


# --------------------------------------------------------------------------- base64


def b64decode_audio(text: str | bytes) -> bytes:
    """Strict base64 (no whitespace, correct padding): a bad ``audio`` field is a client error."""
    # binascii's strict mode (3.11, 3.12) lets padding run past the last quantum ("QUJD=",
    # "AAAA====")
    if len(text) % 4:
        raise ValueError("invalid base64 audio: its length is not a multiple of 4")
    if text[-3:] in ("===", b"==="):
        raise ValueError("invalid base64 audio: more than two padding characters")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII str
        raise ValueError(f"invalid base64 audio: {exc}") from None


def decode_wire_audio(text: str | bytes, fmt: AudioFormat) -> bytes:
    """A client's base64 audio in `fmt`, refused (ValueError, a message for people) unless it
    is strict base64 of whole samples: half a PCM16 sample would fail later, far from its cause."""
    data = b64decode_audio(text)
    if len(data) % fmt.bytes_per_sample:
        raise ValueError(
            f"PCM16 audio must be a whole number of 2-byte samples; got {len(data)} bytes"
        )
    return data


def b64encode_audio(data: bytes | bytearray | memoryview) -> str:
    """Standard padded base64 without newlines, as the protocol sends it."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


# --------------------------------------------------------------------------- G.711
# ITU-T G.711, bit for bit the same as ITU-T G.191's reference code (the tests check every
# sample). Decoding is a 256-entry table; the encoders below follow the segment/bias algorithm
# and run once, at import, to fill 65536-entry tables, so encoding a frame is a single gather.

_ULAW_BIAS: Final = 0x84
_ULAW_CLIP: Final = 32635
_ULAW_EXP_LUT: Final = np.array([max(0, i.bit_length() - 1) for i in range(256)], dtype=np.int32)
_ALAW_SEG_END: Final = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def _ulaw_encode_reference(pcm: Int16Array) -> npt.NDArray[np.uint8]:
    """mu-law: bias 0x84, clip 32635, 8 segments, inverted bits.

    Negative samples take the ones' complement (-x - 1), as ITU-T G.191's reference code does,
    so the two halves mirror each other; plain negation differs on 127 negative inputs.
    """
    x = pcm.astype(np.int32)
    negative = x < 0
    sign = np.where(negative, 0x80, 0)
    magnitude = np.minimum(np.where(negative, ~x, x), _ULAW_CLIP) + _ULAW_BIAS
    exponent = _ULAW_EXP_LUT[magnitude >> 7]
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    code: npt.NDArray[np.int32] = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return code.astype(np.uint8)


def _alaw_encode_reference(pcm: Int16Array) -> npt.NDArray[np.uint8]:
    """A-law: 13-bit magnitude, 8 segments, even bits toggled with 0x55."""
    x = pcm.astype(np.int32) >> 3
    positive = x >= 0
    mask = np.where(positive, 0xD5, 0x55)
    magnitude = np.where(positive, x, -x - 1)
    segment = np.searchsorted(_ALAW_SEG_END, magnitude).astype(np.int32)
    shift = np.where(segment < 2, 1, segment)
    code = (segment << 4) | ((magnitude >> shift) & 0x0F)
    return (code ^ mask).astype(np.uint8)


def _ulaw_decode_table() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = ((((u & 0x0F) << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> Int16Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    segment = (a & 0x70) >> 4
    magnitude = np.where(segment == 0, t + 8, (t + 0x108) << np.maximum(segment - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


def _encode_table(
    encoder: Callable[[Int16Array], npt.NDArray[np.uint8]],
) -> npt.NDArray[np.uint8]:
    """Indexed by the sample's bit pattern as uint16."""
    every_sample = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16)
    table = encoder(every_sample)
    table.flags.writeable = False
    return table


_ULAW_DECODE: Final = _ulaw_decode_table()
_ALAW_DECODE: Final = _alaw_decode_table()
_ULAW_ENCODE: Final = _encode_table(_ulaw_encode_reference)
_ALAW_ENCODE: Final = _encode_table(_alaw_encode_reference)
_ULAW_DECODE.flags.writeable = False
_ALAW_DECODE.flags.writeable = False


# --------------------------------------------------------------------------- decode / encode


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
    table = _ULAW_DECODE if fmt.encoding == "pcmu" else _ALAW_DECODE
    return table[codes]


def encode(samples: Int16Array, fmt: FormatLike) -> bytes:
    """A 1-D int16 array -> wire bytes (no resampling: the rate is the caller's business)."""
    fmt = AudioFormat.parse(fmt)
    x = _require_mono_int16(samples, "samples")
    if fmt.encoding == "pcm":
        return x.astype("<i2", copy=False).tobytes()
    table = _ULAW_ENCODE if fmt.encoding == "pcmu" else _ALAW_ENCODE
    return table[x.view(np.uint16)].tobytes()


def _require_mono_int16(samples: object, what: str) -> Int16Array:
    if not isinstance(samples, np.ndarray):
        raise TypeError(
            f"{what} must be a 1-D int16 numpy array, got {type(samples).__name__}; "
            "convert with to_mono_int16()"
        )
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise TypeError(
            f"{what} must be 1-D int16, got {samples.dtype} with shape {samples.shape}; "
            "convert with to_mono_int16()"
        )
    return cast(Int16Array, samples)


# --------------------------------------------------------------------------- resampling
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
    x = _require_mono_int16(samples, "samples")
    _check_rate(in_rate, "in_rate")
    _check_rate(out_rate, "out_rate")
    if in_rate == out_rate:
        return x
    if len(x) == 0:
        return _EMPTY.copy()
    y = soxr.resample(_int16_to_float(x), in_rate, out_rate, quality=quality)
    return _float_to_int16(y)


class StreamingResampler:
    """Chunked resampling of live audio, state kept across chunks (no clicks at boundaries).

    libswresample (FFmpeg's, through PyAV, loaded on first use) holds back only half its
    filter, about 1 ms. soxr's stream, which `resample` uses for whole signals, releases audio
    in blocks, 21 ms late on average and 38 ms at most, and a live call hears that at every
    change of rate (a WebRTC echo has two; bench/bench_audio.py measures both). The output is
    time-aligned with the input (sample ``k`` out is at time ``k / out_rate``), the same for
    any chunking, and agrees with `resample` to ~85 dB in band. ``pending`` says how many
    output samples are owed. Call ``flush()`` at the end of a continuous signal (end of a turn
    or response) to get them; then the resampler starts afresh.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = _check_rate(in_rate, "in_rate")
        self.out_rate = _check_rate(out_rate, "out_rate")
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
        x = _require_mono_int16(chunk, "chunk")
        if self.is_identity:
            return x
        if len(x) == 0:
            return _EMPTY.copy()
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
        y = _EMPTY.copy() if self._swr is None else samples_of_frames(self._swr.resample(None))
        self.reset()
        return y

    def reset(self) -> None:
        """Drop any held-back samples (e.g. on barge-in or ``input_audio_buffer.clear``)."""
        self._swr = None
        self._in = 0
        self._out = 0


@functools.cache
def _pyav() -> Any:
    """PyAV, imported when a stream first changes rate: a server that never resamples (or
    has not yet) does not carry it (~16 MiB)."""
    import av

    return av


def samples_of_frames(frames: list[Any]) -> Int16Array:
    """The samples of PyAV's mono s16 frames (a resampler's output), end to end."""
    if not frames:
        return _EMPTY.copy()
    parts = [frame.to_ndarray().reshape(-1) for frame in frames]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class WireDecoder:
    """Wire bytes of one format -> int16 samples at ``rate``, resampler state kept across calls.

    For the input side: each ``input_audio_buffer.append`` into the back-end's rate.
    """

    def __init__(self, fmt: FormatLike, rate: int) -> None:
        self.fmt = AudioFormat.parse(fmt)
        self.rate = _check_rate(rate, "rate")
        self.resampler = StreamingResampler(self.fmt.rate, rate)

    def process(self, data: bytes | bytearray | memoryview) -> Int16Array:
        return self.resampler.process(decode(data, self.fmt))

    def flush(self) -> Int16Array:
        return self.resampler.flush()

    def reset(self) -> None:
        self.resampler.reset()


class QuietSkippingDecoder:
    """Wire bytes -> int16 at ``rate`` for a model that scores quiet audio as nothing (server VAD).

    A chunk quieter than `quiet_rms` does not go through the resampler: it comes out as zeros,
    as many as the resampler would have given (its held-back tail first), and the resampler
    starts afresh at the next chunk with sound. The output keeps its length and timing, and a
    session listening to silence pays a decode and a sum per chunk instead of a libswresample
    call (bench/bench_vad.py measures both).
    """

    def __init__(self, fmt: FormatLike, rate: int, quiet_rms: float = QUIET_RMS) -> None:
        self.inner = WireDecoder(fmt, rate)
        self.fmt = self.inner.fmt
        self.rate = self.inner.rate
        self.quiet_rms = quiet_rms
        self._in = 0  # input samples since the start
        self._out = 0  # output samples given since then
        self.skipped = 0  # chunks that did not go through the resampler

    def process(self, data: bytes | bytearray | memoryview) -> Int16Array:
        x = decode(data, self.fmt)
        self._in += len(x)
        resampler = self.inner.resampler
        if resampler.is_identity or len(x) == 0:
            y = resampler.process(x)
        else:
            if is_quiet(x, self.quiet_rms):
                self.skipped += 1
                tail = resampler.flush()
                owed = self._in * self.rate // self.fmt.rate - self._out
                y = np.concatenate((tail, np.zeros(max(0, owed - len(tail)), dtype=np.int16)))
            else:
                y = resampler.process(x)
        self._out += len(y)
        return y


class WireEncoder:
    """int16 samples at ``rate`` -> wire bytes of one format, resampler state kept across calls.

    For the output side: each back-end frame into the session's output format.
    """

    def __init__(self, rate: int, fmt: FormatLike) -> None:
        self.rate = _check_rate(rate, "rate")
        self.fmt = AudioFormat.parse(fmt)
        self.resampler = StreamingResampler(rate, self.fmt.rate)

    def process(self, samples: Int16Array) -> bytes:
        return encode(self.resampler.process(samples), self.fmt)

    def flush(self) -> bytes:
        return encode(self.resampler.flush(), self.fmt)

    def reset(self) -> None:
        self.resampler.reset()


# --------------------------------------------------------------------------- numpy shapes


def to_mono_int16(array: npt.ArrayLike, *, channel_axis: int | None = None) -> Int16Array:
    """Any common audio array -> 1-D int16.

    Shapes: ``(N,)``, ``(1, N)``, ``(N, 1)``, ``(C, N)`` (FastRTC) or ``(N, C)``; channels are
    averaged. For 2-D input the channel axis is the shorter one unless ``channel_axis`` says.
    Dtypes: int16 (kept), float in [-1, 1] (scaled by 32768 and clipped; NaN -> 0), int32 and
    uint8 as full-scale 32- and 8-bit PCM.
    """
    a = np.asarray(array)
    if a.ndim == 2:
        if a.size == 0:
            return np.zeros(0, dtype=np.int16)
        if channel_axis is None:
            rows, cols = a.shape
            channel_axis = 0 if rows == 1 or (rows <= cols and cols != 1) else 1
        if channel_axis not in (0, 1, -1, -2):
            raise ValueError(f"channel_axis must be 0 or 1 for 2-D audio, got {channel_axis}")
        if a.shape[channel_axis] == 1:
            a = a.reshape(-1)
        elif a.dtype == np.int16 and a.shape[channel_axis] == 2:
            return _mean_of_two(a, channel_axis)
        else:
            return _scale_to_int16(a.mean(axis=channel_axis, dtype=np.float64), a.dtype)
    elif a.ndim != 1:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {a.shape}")
    if a.dtype == np.int16:
        return cast(Int16Array, a)
    return _scale_to_int16(a, a.dtype)


def _mean_of_two(a: npt.NDArray[np.int16], channel_axis: int) -> Int16Array:
    """Stereo int16 (every decoded Opus frame) to mono in integers: the float mean rounded
    half to even, exactly, at a fraction of its cost."""
    left, right = (a[0], a[1]) if channel_axis in (0, -2) else (a[:, 0], a[:, 1])
    total = left.astype(np.int32) + right
    half = total >> 1  # floor
    mono: Int16Array = (half + (total & half & 1)).astype(np.int16)  # .5: the even neighbour
    return mono


def _scale_to_int16(values: npt.NDArray[Any], dtype: np.dtype[Any]) -> Int16Array:
    """``values`` are in the units of ``dtype`` (maybe already averaged, so float)."""
    if np.issubdtype(dtype, np.floating):
        v = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=1.0, neginf=-1.0) * 32768.0
    elif dtype == np.int16:
        v = values.astype(np.float64, copy=False)
    elif dtype == np.int32:
        v = values.astype(np.float64, copy=False) / 65536.0
    elif dtype == np.uint8:
        v = (values.astype(np.float64, copy=False) - 128.0) * 256.0
    else:
        raise TypeError(f"unsupported audio dtype {dtype}; use int16, int32, uint8 or float")
    return np.clip(np.rint(v), -32768, 32767).astype(np.int16)


def to_fastrtc_frame(samples: npt.ArrayLike, rate: int) -> tuple[int, Int16Array]:
    """FastRTC's audio frame: ``(sample_rate, int16 array of shape (1, N))``."""
    return _check_rate(rate, "rate"), to_mono_int16(samples).reshape(1, -1)


# --------------------------------------------------------------------------- WAV


def read_wav(source: str | os.PathLike[str] | bytes | IO[bytes]) -> tuple[int, Int16Array]:
    """A PCM WAV file (8/16/24/32-bit, any channels) -> ``(rate, mono int16 samples)``."""
    fileobj: str | IO[bytes]
    if isinstance(source, bytes | bytearray | memoryview):
        fileobj = io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        fileobj = os.fspath(source)
    else:
        fileobj = source
    try:
        with wave.open(fileobj, "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV file: {exc}") from None
    frames = _wav_samples(raw, width).reshape(-1, channels)
    return rate, to_mono_int16(frames, channel_axis=1)


def _wav_samples(raw: bytes, width: int) -> npt.NDArray[Any]:
    if width == 1:
        return np.frombuffer(raw, dtype=np.uint8)
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        return (b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)  # 24-bit as full-scale int32
    if width == 4:
        return np.frombuffer(raw, dtype="<i4").astype(np.int32)
    raise ValueError(f"unsupported WAV sample width: {width} bytes")


def write_wav(
    target: str | os.PathLike[str] | IO[bytes], rate: int, samples: npt.ArrayLike
) -> None:
    """Write 16-bit mono PCM WAV; multi-channel or float input is downmixed and converted."""
    _check_rate(rate, "rate")
    data = to_mono_int16(samples).astype("<i2", copy=False).tobytes()
    fileobj = os.fspath(target) if isinstance(target, str | os.PathLike) else target
    with wave.open(fileobj, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)
