"""The speech both client scripts send: a 24 kHz mono PCM16 WAV, then 2 s of silence."""

from __future__ import annotations

import wave

RATE = 24000
STEP = RATE // 50  # 20 ms


def speech(path: str) -> bytes:
    with wave.open(path) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return w.readframes(w.getnframes()) + bytes(2 * RATE * 2)
