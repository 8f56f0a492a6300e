"""Test signals and stream helpers shared by the tests of realtime_sdk.audio."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime_sdk.audio import Int16Array
from realtime_sdk.audio.resample import StreamingResampler

int16_arrays = hnp.arrays(np.int16, st.integers(0, 2000))


def sine(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def noise(rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0, 6000, int(rate * seconds)), -32768, 32767).astype(np.int16)


def stream(resampler: StreamingResampler, x: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Feed ``x`` in chunks of the given sizes (cycled), then flush."""
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(resampler.process(x[i : i + n]))
        i, k = i + n, k + 1
    out.append(resampler.flush())
    return np.concatenate(out)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def whole(in_rate: int, out_rate: int, x: np.ndarray) -> np.ndarray:
    """``x`` through a streaming resampler in one piece."""
    r = StreamingResampler(in_rate, out_rate)
    return np.concatenate([r.process(x), r.flush()])


def snr_db(y: np.ndarray, reference: np.ndarray) -> float:
    ref = reference.astype(np.float64)
    error = float(np.sum((y.astype(np.float64) - ref) ** 2))
    return float("inf") if error == 0 else float(10 * np.log10(np.sum(ref**2) / error))


def pitch_hz(samples: Int16Array, rate: int) -> float:
    """Median F0 of the voiced 40 ms frames, by autocorrelation (60-400 Hz)."""
    x = samples.astype(np.float64)
    size = rate * 40 // 1000
    lo, hi = rate // 400, rate // 60
    found = []
    for start in range(0, len(x) - size, size):
        frame = x[start : start + size] - x[start : start + size].mean()
        if np.sqrt(np.mean(frame**2)) < 500:
            continue
        ac = np.correlate(frame, frame, "full")[size - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.4 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found))
