"""Behaviour of realtime_sdk.audio.wav: WAV files in and out."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
from helpers.audio_signals import sine

from realtime_sdk.audio.wav import read_wav, write_wav


def test_wav_round_trip_path_and_bytes(tmp_path: Path) -> None:
    x = sine(440, 16000, 0.25)
    path = tmp_path / "a.wav"
    write_wav(path, 16000, x)
    rate, y = read_wav(path)
    assert rate == 16000 and np.array_equal(y, x)
    rate, y = read_wav(path.read_bytes())
    assert rate == 16000 and np.array_equal(y, x)
    buffer = io.BytesIO()
    write_wav(buffer, 24000, x.reshape(1, -1))
    rate, y = read_wav(io.BytesIO(buffer.getvalue()))
    assert rate == 24000 and np.array_equal(y, x)
    rate, y = read_wav(str(path))
    assert rate == 16000 and np.array_equal(y, x)


def _wav_bytes(rate: int, channels: int, width: int, frames: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return buffer.getvalue()


def test_wav_stereo_is_downmixed_on_read_and_write() -> None:
    left, right = sine(440, 8000, 0.1), np.zeros(800, dtype=np.int16)
    interleaved = np.column_stack([left, right]).astype("<i2").tobytes()
    rate, y = read_wav(_wav_bytes(8000, 2, 2, interleaved))
    expected = np.rint((left.astype(np.float64) + right) / 2).astype(np.int16)
    assert rate == 8000 and np.array_equal(y, expected)
    buffer = io.BytesIO()
    write_wav(buffer, 8000, np.vstack([left, right]))
    assert np.array_equal(read_wav(buffer.getvalue())[1], expected)
    # a single stereo frame is one sample, not two
    assert read_wav(_wav_bytes(8000, 2, 2, b"\x10\x00\x30\x00"))[1].tolist() == [32]


def test_wav_other_sample_widths() -> None:
    assert read_wav(_wav_bytes(8000, 1, 1, bytes([128, 0, 255])))[1].tolist() == [0, -32768, 32512]
    pcm24 = bytes([0x00, 0x00, 0x40, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x80])
    assert read_wav(_wav_bytes(8000, 1, 3, pcm24))[1].tolist() == [16384, 0, -32768]
    pcm32 = np.array([2**30, -(2**31)], dtype="<i4").tobytes()
    assert read_wav(_wav_bytes(8000, 1, 4, pcm32))[1].tolist() == [16384, -32768]
    with pytest.raises(ValueError, match="not a PCM WAV"):
        read_wav(b"RIFF....WAVEjunk")
