"""The 16 kHz speech fixtures (espeak-ng; tests/fixtures/audio/README.md says how they were
made) and where their speech is by an independent measure: each file's energy envelope.
The VAD and pause-model tests compare what the models find with it."""

from __future__ import annotations

import wave

import numpy as np
import numpy.typing as npt

from helpers.paths import AUDIO_FIXTURES

RATE = 16000
TOLERANCE_MS = 100


def load(name: str) -> npt.NDArray[np.int16]:
    with wave.open(str(AUDIO_FIXTURES / name)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def energy_regions(audio: npt.NDArray[np.int16], gap_ms: int = 300) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of stretches within 35 dB of the loudest 10 ms, bridging short gaps."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160).astype(np.float64)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    loud = np.flatnonzero(level > level.max() - 35).tolist()
    regions: list[tuple[int, int]] = []
    for i in loud:
        if regions and i * 10 - regions[-1][1] <= gap_ms:
            regions[-1] = (regions[-1][0], (i + 1) * 10)
        else:
            regions.append((i * 10, (i + 1) * 10))
    return regions
