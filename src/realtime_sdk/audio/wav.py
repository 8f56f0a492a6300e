"""WAV files in and out, for the CLI, examples and tests: any PCM WAV in, 16-bit mono out."""

from __future__ import annotations

import io
import os
import wave
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .channels import to_mono_int16
from .formats import Int16Array, check_rate

__all__ = ["read_wav", "write_wav"]


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
    check_rate(rate, "rate")
    data = to_mono_int16(samples).astype("<i2", copy=False).tobytes()
    fileobj = os.fspath(target) if isinstance(target, str | os.PathLike) else target
    with wave.open(fileobj, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)
